import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { operatorName } from '../export/audited-export.js';
import { writeFileAtomically } from '../export/output-file.js';
import { streamCsv } from '../export/stream-rows.js';
import { neutraliseFormula } from '../export/warning-list.js';
import { importVisits, rejectedVisitRows, type VisitImportCounts } from '../visits/import-visits.js';
import { writeVisitTemplate } from '../visits/visit-template.js';

export interface VisitsImportOptions extends GlobalOptions {
  file: string;
  operator?: string;
  json?: boolean;
  /** a CSV of the rejected rows as sent, each with its line, column and reason */
  rejectsOut?: string;
}

/** Rejected rows printed after the summary: enough to fix a street's report, not a flood. */
const REJECTS_SHOWN = 20;

/** `safetynet visits import FILE`: the street offices' visit report, validated and kept. */
export async function visitsImportCommand(opts: VisitsImportOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<VisitImportCounts> {
  const config = resolveConfig(opts).config;
  const database = await openMigrated(opts, log);
  try {
    const { header, ...counts } = await importVisits(database.pool, resolve(opts.file), {
      operator: operatorName(opts.operator),
      // the bureau's today, not the container's UTC one: a visit at 07:00 Beijing time is today's
      today: new Intl.DateTimeFormat('en-CA', { timeZone: config.operation.timezone }).format(new Date()),
      outcomeWords: config.visits.outcomeWords,
      log,
    });
    let written: string | undefined;
    if (opts.rejectsOut !== undefined) {
      written = resolve(opts.rejectsOut);
      // the sender's own columns after the reason, so the office can fix the row in place and send it again
      await writeFileAtomically(written, (file) =>
        streamCsv(
          rejectedVisitRows(database.db, counts.import_id),
          ['line', 'column', 'reason', ...header],
          (r) => [r.line, neutraliseFormula(r.column_name ?? ''), neutraliseFormula(r.reason), ...header.map((h) => neutraliseFormula(r.raw[h] ?? ''))],
          file,
        ),
      );
    }
    if (opts.json) out.write(`${JSON.stringify(counts)}\n`);
    else {
      out.write(
        `${counts.file}: ${counts.rows_read} rows, ${counts.rows_loaded} visits imported` +
          (counts.rows_duplicate ? `, ${counts.rows_duplicate} already imported` : '') +
          (counts.rows_rejected ? `, ${counts.rows_rejected} rejected:` : '') +
          '\n',
      );
      let shown = 0;
      for await (const r of rejectedVisitRows(database.db, counts.import_id)) {
        if (shown === REJECTS_SHOWN) break;
        shown++;
        out.write(`  line ${r.line}${r.column_name ? `, ${r.column_name}` : ''}: ${r.reason}\n`);
      }
      if (counts.rows_rejected > shown) {
        out.write(`  … and ${counts.rows_rejected - shown} more${written ? '' : ': --rejects-out FILE.csv writes them all'}\n`);
      }
      if (written) out.write(`the rejected rows, each with its line, column and reason: ${written}\n`);
      out.write('they take effect at the next run of a period (cool-down, coverage) and in safetynet quality\n');
    }
    return counts;
  } finally {
    await database.close();
  }
}

export interface VisitsTemplateOptions {
  out: string;
  lang?: 'en' | 'zh';
}

/** `safetynet visits template --out FILE.xlsx`: the blank report, to fill in and import. */
export async function visitsTemplateCommand(opts: VisitsTemplateOptions): Promise<string> {
  if (!/\.xlsx$/i.test(opts.out)) throw new UsageError(`--out ${opts.out}: the template is an Excel workbook, give a name ending .xlsx`);
  const file = resolve(opts.out);
  await writeFileAtomically(file, (out) => writeVisitTemplate(out, opts.lang));
  return file;
}
