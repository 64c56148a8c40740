import { sql } from 'kysely';
import type { SafetynetConfig } from '../config/schema.js';
import type { Tx } from '../db/transaction.js';
import { TooManyRejects } from '../errors.js';
import type { SourceCounts } from './ingest-source.js';
import { commonestReasons } from './reject-reasons.js';
import type { DepartmentId } from './department.js';
import { department } from './departments.js';

export interface LoadedExtract {
  source: DepartmentId;
  /** how the file is named in messages */
  file: string;
  counts: SourceCounts;
}

export interface RejectVerdict {
  source: DepartmentId;
  rate: number;
  /** the median rate of the department's last loaded months, null without any */
  usual: number | null;
  limit: number;
  refused: boolean;
}

const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;

/**
 * Refuses the period when a department's file is mostly refused rows (docs/decisions.md): its
 * reject rate is over max(its limit, usualRateMultiple x its usual rate) with at least
 * minRejectedRows rejected, or the department that defines households (the roster) loaded none. Runs inside the period's transaction after the
 * ingest, so a refusal rolls everything back; the message names each department, its rate
 * and its three commonest reasons with their counts.
 */
export async function refuseMassRejects(tx: Tx, period: string, loaded: LoadedExtract[], limits: SafetynetConfig['ingest']): Promise<RejectVerdict[]> {
  const verdicts: RejectVerdict[] = [];
  const refusals: string[] = [];
  // each department's usual rate in one statement: the median of the months before this one that
  // were loaded (refused ones were rolled back); a daily delta's source_load row carries its day
  const { rows: usualRates } = await sql<{ source: string; usual: number }>`
    select source, percentile_cont(0.5) within group (order by rate) as usual
    from (
      select source, rows_rejected::float8 / rows_read as rate,
             row_number() over (partition by source order by period desc) as recency
      from source_load
      where source = any(${loaded.map((l) => l.source)}) and period < ${period} and period ~ '^[0-9]{4}-[0-9]{2}$' and rows_read > 0
    ) recent
    where recency <= ${limits.usualPeriods}
    group by source
  `.execute(tx.db);
  const usualBySource = new Map(usualRates.map((r) => [r.source, r.usual]));
  for (const { source, file, counts } of loaded) {
    const { rows_read: read, rows_loaded: kept, rows_rejected: rejected } = counts;
    const rate = read === 0 ? 0 : rejected / read;
    const usual = usualBySource.get(source) ?? null;
    const limit = Math.max(limits.maxRejectRateBySource[source] ?? limits.maxRejectRate, limits.usualRateMultiple * (usual ?? 0));
    // a small file all of whose rows are rejected is left to the rate rule's minimum: its rows
    // may still be linked by the identity rescue, and it holds few people
    const noRow = kept === 0 && department(source).definesHouseholds === true;
    const overLimit = rate > limit && rejected >= limits.minRejectedRows;
    verdicts.push({ source, rate, usual, limit, refused: noRow || overLimit });
    if (!noRow && !overLimit) continue;

    if (read === 0) {
      refusals.push(`${file} has no data rows, and the ${source} extract defines the households: without it every family would be listed as not on the roster`);
      continue;
    }
    const reasons = await commonestReasons(tx.db, period, source, 3);
    const why = noRow
      ? `no row loaded, all ${read} rejected`
      : `${rejected} of ${read} rows rejected (${percent(rate)}; the limit is ${percent(limit)}${usual === null ? '' : `, the department's usual rate ${percent(usual)}`})`;
    const commonest = reasons.map((r) => `${r.column ? `${r.column}: ` : ''}${r.reason} (${r.rows})`).join(', ');
    refusals.push(`${file} (${source}): ${why}; commonest reasons: ${commonest}`);
  }
  if (refusals.length > 0) throw new TooManyRejects(period, refusals);
  return verdicts;
}
