import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { writeFileAtomically } from '../export/output-file.js';
import { writeReport } from '../report/write-report.js';

export interface ReportOptions extends GlobalOptions {
  period: string;
  out: string;
  lang?: 'en' | 'zh';
}

/** `safetynet report`: the period's monthly report, one self-contained HTML file of aggregates. */
export async function reportCommand(opts: ReportOptions, log: Logger): Promise<string> {
  // the report is HTML: a report.pdf holding HTML opens nowhere. Print it to PDF from a browser.
  if (!/\.html?$/i.test(opts.out)) {
    throw new UsageError(`--out ${opts.out}: the report is one HTML file, give a name ending .html (print it to PDF from the browser if a PDF is needed)`);
  }
  const config = resolveConfig(opts);
  const database = await openMigrated(opts, log);
  try {
    const file = resolve(opts.out);
    await writeFileAtomically(file, (out) =>
      writeReport(database.db, { period: opts.period, lang: opts.lang ?? config.config.lang, timeZone: config.config.operation.timezone, warningThreshold: config.config.warningThreshold, precisionLagMonths: config.config.visits.precisionLagMonths, rules: config.config }, out),
    );
    log.info({ period: opts.period, file }, 'report written');
    return file;
  } finally {
    await database.close();
  }
}
