import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { renderReport } from './render-report.js';
import { reportData, type QualityRules } from './report-data.js';

export interface ReportOptions {
  period: string;
  lang?: 'en' | 'zh';
  /** the warning threshold of the config the period was run with; the default config's otherwise */
  warningThreshold?: number;
  /** how many months back the list whose visit outcomes the report shows was (config visits.precisionLagMonths) */
  precisionLagMonths?: number;
  /** the bureau's clock (operation.timezone) for the run's finishing time */
  timeZone?: string;
  /** the config's rules for the precision, miss-rate and fairness tables; the defaults' otherwise */
  rules?: QualityRules;
}

/**
 * `safetynet report`: the period's aggregates rendered as one self-contained HTML file. Like the
 * list writers, it ends `out` and resolves once everything is written (rejects on its error).
 */
export async function writeReport(db: Kysely<Database>, opts: ReportOptions, out: Writable): Promise<void> {
  const data = await reportData(db, opts.period, {
    ...(opts.warningThreshold !== undefined ? { warningThreshold: opts.warningThreshold } : {}),
    ...(opts.precisionLagMonths !== undefined ? { precisionLagMonths: opts.precisionLagMonths } : {}),
    ...(opts.rules ? { rules: opts.rules } : {}),
  });
  const html = renderReport(data, { ...(opts.lang ? { lang: opts.lang } : {}), ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) });
  const done = finished(out);
  out.end(html, 'utf8');
  await done;
}
