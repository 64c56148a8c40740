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
import { reasonZh } from '../ingest/reject-reasons.js';

export interface VisitsImportOptions extends GlobalOptions {
  file: string;
  operator?: string;
  json?: boolean;
  /** a CSV of the rejected rows as sent, each with its line, column and reason */
  rejectsOut?: string;
  lang?: 'en' | 'zh';
}

const IMPORT_TEXT = {
  en: {
    summary: (c: VisitImportCounts) =>
      `${c.file}: ${c.rows_read} rows, ${c.rows_loaded} visits imported${c.rows_duplicate ? `, ${c.rows_duplicate} already imported` : ''}${c.rows_rejected ? `, ${c.rows_rejected} rejected:` : ''}`,
    reject: (line: number, column: string | null, reason: string) => `line ${line}${column ? `, ${column}` : ''}: ${reason}`,
    more: (n: number, written: boolean) => `… and ${n} more${written ? '' : ': --rejects-out FILE.csv writes them all'}`,
    written: (file: string) => `the rejected rows, each with its line, column and reason: ${file}`,
    effect: 'they take effect at the next run of a period (cool-down, coverage) and in safetynet quality',
  },
  zh: {
    summary: (c: VisitImportCounts) =>
      `${c.file}：共${c.rows_read}行，导入走访记录${c.rows_loaded}条${c.rows_duplicate ? `，${c.rows_duplicate}条此前已导入` : ''}${c.rows_rejected ? `，${c.rows_rejected}行未通过：` : ''}`,
    reject: (line: number, column: string | null, reason: string) => `第${line}行${column ? `「${column}」列` : ''}：${reason}`,
    more: (n: number, written: boolean) => `……另有${n}行${written ? '' : '：加 --rejects-out 文件.csv 可全部导出'}`,
    written: (file: string) => `未通过的行（含行号、列和原因）已写入：${file}`,
    effect: '走访结果将在下次运行该期时生效（冷却期、救助覆盖），并计入 safetynet quality',
  },
};

/** Rejected rows printed after the summary: enough to fix a street's report, not a flood. */
const REJECTS_SHOWN = 20;

/** `safetynet visits import FILE`: the street offices' visit report, validated and kept. */
export async function visitsImportCommand(opts: VisitsImportOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<VisitImportCounts> {
  const config = resolveConfig(opts).config;
  const lang = opts.lang ?? config.lang;
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
          [...(lang === 'zh' ? ['行号', '列', '原因'] : ['line', 'column', 'reason']), ...header],
          (r) => [r.line, neutraliseFormula(r.column_name ?? ''), neutraliseFormula(lang === 'zh' ? reasonZh(r.reason) : r.reason), ...header.map((h) => neutraliseFormula(r.raw[h] ?? ''))],
          file,
        ),
      );
    }
    if (opts.json) out.write(`${JSON.stringify(counts)}\n`);
    else {
      const t = IMPORT_TEXT[lang];
      out.write(`${t.summary(counts)}\n`);
      let shown = 0;
      for await (const r of rejectedVisitRows(database.db, counts.import_id)) {
        if (shown === REJECTS_SHOWN) break;
        shown++;
        out.write(`  ${t.reject(r.line, r.column_name, lang === 'zh' ? reasonZh(r.reason) : r.reason)}\n`);
      }
      if (counts.rows_rejected > shown) out.write(`  ${t.more(counts.rows_rejected - shown, !!written)}\n`);
      if (written) out.write(`${t.written(written)}\n`);
      out.write(`${t.effect}\n`);
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
