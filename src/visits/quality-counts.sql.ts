import { sql, type Kysely, type RawBuilder } from 'kysely';
import { auditTier, inAuditFrame } from '../score/audit-sample.sql.js';
import type { SafetynetConfig } from '../config/schema.js';
import type { AuditTier, Database } from '../db/schema.js';
import { assertPeriod, isoDate, periodEnd } from '../period.js';
import { headAgeBands, type GroupingId } from './fairness.js';
import { qualityTables, type QualityTables } from './quality-tables.js';
import { membersAsOf } from '../link/members.js';

/**
 * The counts behind the period's precision, miss rate and fairness tables, in one pass over the
 * period's scored households: per grouping and key (and 'all'), per audit stratum (street x
 * tier, null for households outside the audit frame: unlisted, uncovered, not cooled down, in a
 * street, as src/score/audit-sample.sql.ts draws it), how many households, listed, visited and
 * settled, and how many audit households were drawn, settled and found in need. Counts only: no
 * household leaves the database.
 *
 * A visit answers for a household from the period's first day on, the one that settled it if
 * there is one, else the first (as list-precision.ts reads the list's visits).
 */
export interface QualityCell {
  grouping: 'all' | GroupingId;
  key: string;
  street: string;
  /** the household's audit tier when it is in the audit frame (unlisted, uncovered), else null */
  tier: AuditTier | null;
  households: number;
  /** on the list (covered or not) */
  listed: number;
  /** listed and uncovered: the cohort whose visits measure precision */
  listedUncovered: number;
  visited: number;
  assisted: number;
  notEligible: number;
  unsettled: number;
  /** audit-frame households (unlisted, uncovered, not cooled down, in a street) */
  frame: number;
  drawn: number;
  auditSettled: number;
  auditEligible: number;
  auditUnsettled: number;
}

/** How each grouping's key is read off a household (`h`: the household's row with its score's columns and its head's age). */
export function keyExpressions(ages: SafetynetConfig['ages']): Record<GroupingId, RawBuilder<string>> {
  const bands = headAgeBands(ages);
  const band = sql.join(
    bands.map((b) => (b.to === null ? sql`when h.age >= ${b.from} then ${b.key}` : sql`when h.age < ${b.to} then ${b.key}`)),
    sql` `,
  );
  return {
    street: sql`left(h.region_code, 9)`,
    hukou: sql`coalesce(h.hukou_type, '')`,
    head_age: sql`case when h.age is null then 'unknown' ${band} end`,
    single_person: sql`case when h.members = 1 then 'yes' else 'no' end`,
    // the disability dimension scores a household only for a certified disabled member
    disabled_member: sql`case when coalesce((h.dimensions->>'disability')::numeric, 0) > 0 then 'yes' else 'no' end`,
    covered: sql`case when h.covered then 'yes' else 'no' end`,
  };
}

/**
 * The period's scored households with what the groupings and the frame read: region, hukou,
 * members, whether it is in the audit frame, and the head's age at the period's end.
 */
function periodHouseholds(period: string): RawBuilder<unknown> {
  return sql`
      select s.household_id, s.on_list, s.covered, s.total, ${inAuditFrame} as in_frame,
             s.dimensions, h.region_code, h.hukou_type, h.members,
             extract(year from age(${isoDate(periodEnd(period))}::date, head.birth_date))::int as age
      from household_score s
      join household h on h.period = s.period and h.household_id = s.household_id
      -- the head's row: one join for the period, not a lookup per household
      left join ${membersAsOf(period)} as head on head.id18 = h.head_id18 and head.household_id = h.household_id
      where s.period = ${period}`;
}

export async function readQualityCells(
  db: Kysely<Database>,
  period: string,
  cfg: Pick<SafetynetConfig, 'ages' | 'warningThreshold' | 'audit'>,
): Promise<QualityCell[]> {
  assertPeriod(period);
  const keys = keyExpressions(cfg.ages);
  const since = `${period}-01`;
  const groupings = sql.join(
    [sql`('all', 'all')`, ...Object.entries(keys).map(([id, expr]) => sql`(${id}, ${expr})`)],
    sql`, `,
  );
  const { rows } = await sql<Record<string, string | number | null>>`
    with hh as (
      select p.*, a.tier as drawn_tier
      from (${periodHouseholds(period)}) p
      left join audit_sample a on a.period = ${period} and a.household_id = p.household_id
    ), answer as (
      select distinct on (v.household_id) v.household_id, v.outcome
      from visit v join hh on hh.household_id = v.household_id
      where v.visited_on >= ${since}::date
      order by v.household_id, (v.outcome like 'assisted%' or v.outcome = 'not_eligible') desc, v.visited_on, v.visit_id
    ), classed as (
      select hh.*,
             case when a.outcome like 'assisted%' then 'in_need' when a.outcome = 'not_eligible' then 'not_eligible'
                  when a.outcome is not null then 'unsettled' end as found,
             -- the frame as the draw reads it; its tier as the draw recorded it, or by the same rule
             case when not hh.in_frame then null
                  else coalesce(hh.drawn_tier, ${auditTier(sql.ref('hh.total'), { threshold: cfg.warningThreshold, nearMargin: cfg.audit.nearMargin })}) end as frame_tier
      from hh
      left join answer a on a.household_id = hh.household_id
    )
    select g.grouping, g.key, left(h.region_code, 9) as street, h.frame_tier as tier,
           count(*)::int as households,
           count(*) filter (where h.on_list)::int as listed,
           count(*) filter (where h.on_list and not h.covered)::int as listed_uncovered,
           count(*) filter (where h.on_list and not h.covered and h.found is not null)::int as visited,
           count(*) filter (where h.on_list and not h.covered and h.found = 'in_need')::int as assisted,
           count(*) filter (where h.on_list and not h.covered and h.found = 'not_eligible')::int as not_eligible,
           count(*) filter (where h.on_list and not h.covered and h.found = 'unsettled')::int as unsettled,
           count(*) filter (where h.frame_tier is not null)::int as frame,
           count(*) filter (where h.drawn_tier is not null)::int as drawn,
           count(*) filter (where h.drawn_tier is not null and h.found in ('in_need', 'not_eligible'))::int as audit_settled,
           count(*) filter (where h.drawn_tier is not null and h.found = 'in_need')::int as audit_eligible,
           count(*) filter (where h.drawn_tier is not null and (h.found is null or h.found = 'unsettled'))::int as audit_unsettled
    from classed h
    cross join lateral (values ${groupings}) g(grouping, key)
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
  `.execute(db);
  return rows.map((r) => ({
    grouping: r.grouping as QualityCell['grouping'],
    key: String(r.key),
    street: String(r.street),
    tier: (r.tier as AuditTier | null) ?? null,
    households: Number(r.households),
    listed: Number(r.listed),
    listedUncovered: Number(r.listed_uncovered),
    visited: Number(r.visited),
    assisted: Number(r.assisted),
    notEligible: Number(r.not_eligible),
    unsettled: Number(r.unsettled),
    frame: Number(r.frame),
    drawn: Number(r.drawn),
    auditSettled: Number(r.audit_settled),
    auditEligible: Number(r.audit_eligible),
    auditUnsettled: Number(r.audit_unsettled),
  }));
}

/**
 * Per grouping and key, the period's households and how many of them two sets of weights would
 * put on the list (the weighted sum of the stored dimension scores at or over the threshold):
 * what `calibrate` holds proposed weights against. Set-based: no household leaves the database.
 */
export async function readListingUnderWeights(
  db: Kysely<Database>,
  period: string,
  cfg: Pick<SafetynetConfig, 'ages' | 'warningThreshold'>,
  weights: { current: Record<string, number>; proposed: Record<string, number> },
): Promise<{ grouping: GroupingId; key: string; households: number; listedCurrent: number; listedProposed: number }[]> {
  assertPeriod(period);
  const score = (w: Record<string, number>) =>
    sql.join(Object.entries(w).map(([d, v]) => sql`${v}::numeric * coalesce((h.dimensions->>${d})::numeric, 0)`), sql` + `);
  const groupings = sql.join(Object.entries(keyExpressions(cfg.ages)).map(([id, expr]) => sql`(${id}, ${expr})`), sql`, `);
  const { rows } = await sql<{ grouping: GroupingId; key: string; households: number; listed_current: number; listed_proposed: number }>`
    with h as (${periodHouseholds(period)})
    select g.grouping, g.key, count(*)::int as households,
           count(*) filter (where round(${score(weights.current)}, 1) >= ${cfg.warningThreshold})::int as listed_current,
           count(*) filter (where round(${score(weights.proposed)}, 1) >= ${cfg.warningThreshold})::int as listed_proposed
    from h cross join lateral (values ${groupings}) g(grouping, key)
    group by 1, 2 order by 1, 2
  `.execute(db);
  return rows.map((r) => ({ grouping: r.grouping, key: r.key, households: Number(r.households), listedCurrent: Number(r.listed_current), listedProposed: Number(r.listed_proposed) }));
}

/** The recorded audit frames of the period: what each stratum's sample was drawn from. */
export async function readAuditFrames(db: Kysely<Database>, period: string): Promise<{ street: string; tier: AuditTier; frame: number; sampleSize: number }[]> {
  assertPeriod(period);
  const rows = await db.selectFrom('audit_frame').select(['street', 'tier', 'frame_households', 'sample_size']).where('period', '=', period).orderBy('street').orderBy('tier', 'desc').execute();
  return rows.map((r) => ({ street: r.street, tier: r.tier, frame: Number(r.frame_households), sampleSize: Number(r.sample_size) }));
}

/** The period's precision, miss-rate and fairness tables, as `quality` and the report show them. */
export async function readQualityTables(
  db: Kysely<Database>,
  period: string,
  cfg: Pick<SafetynetConfig, 'ages' | 'warningThreshold' | 'audit' | 'quality'>,
): Promise<QualityTables> {
  const [cells, frames] = [await readQualityCells(db, period, cfg), await readAuditFrames(db, period)];
  return qualityTables(period, cells, frames, cfg.quality);
}
