import { sql, type Kysely } from 'kysely';
import type { SafetynetConfig } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { inRegion } from '../export/list-rank.js';
import { VIEW } from '../export/views.js';
import { assertPeriod } from '../period.js';
import { insertAuditDraw } from './audit-sample.sql.js';

/**
 * The month's audit sample: per street, a few households the list leaves out, drawn at random
 * (seeded, so reproducible) for an "audit visit" beside the listed ones. What those visits find
 * is the only unbiased view of the households in need that the list misses; listed households'
 * outcomes say how precise the list is, never what it leaves out.
 *
 * Drawn in the run's transaction right after scoring, from the list it fixed (migration 0017);
 * a rerun of the period has cleared the period's rows first, as it does household_score's.
 */
export interface AuditSampleCounts {
  /** households drawn for an audit visit */
  drawn: number;
  /** street-and-tier strata with at least one frame household */
  strata: number;
}

export async function drawAuditSample(
  db: Kysely<Database>,
  period: string,
  cfg: Pick<SafetynetConfig, 'audit' | 'warningThreshold'>,
): Promise<AuditSampleCounts> {
  const p = {
    period: assertPeriod(period),
    seed: cfg.audit.seed,
    threshold: cfg.warningThreshold,
    nearMargin: cfg.audit.nearMargin,
    near: cfg.audit.samplePerStreet.near,
    far: cfg.audit.samplePerStreet.far,
  };
  const { rows } = await insertAuditDraw(p).execute(db);
  return { drawn: rows[0]?.drawn ?? 0, strata: rows[0]?.strata ?? 0 };
}

/** The order audit visits (`x`: audit_sample) are listed in: by street, the near tier first, each in its draw order. */
export const auditVisitOrder = sql`x.street, x.tier = 'far', x.draw_order`;

/**
 * The month's audit visits of a region, as a reader sees them (the export views, its row
 * security): by street, the near tier first, each in its draw order.
 */
export async function auditVisits(db: Kysely<Database>, opts: { period: string; region?: string }): Promise<string[]> {
  const { rows } = await sql<{ household_id: string }>`
    select x.household_id
    from ${sql.table(VIEW.audit_sample)} x
    join ${sql.table(VIEW.household)} h on h.period = x.period and h.household_id = x.household_id
    where x.period = ${opts.period} and ${inRegion(opts.region)}
    order by ${auditVisitOrder}`.execute(db);
  return rows.map((r) => r.household_id);
}
