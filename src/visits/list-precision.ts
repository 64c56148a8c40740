import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { assertPeriod } from '../period.js';

/**
 * The list's precision as the bureau sees it: of the uncovered households listed in a period,
 * how many were visited since, and of those whose eligibility the visit settled, how many needed
 * help. By tier, by street, and by the dimension that drove the warning (the one with the most
 * weighted points): what the weights should be tuned on.
 */
export interface PrecisionRow {
  /** 'all', or the tier, street (9-digit) or dimension */
  group: string;
  key: string;
  listed: number;
  visited: number;
  assisted: number;
  not_eligible: number;
  /** refused, not found, moved: visited but not settled */
  unsettled: number;
  /** assisted / (assisted + not_eligible); null when no visit settled it */
  precision: number | null;
}

export async function listPrecision(db: Kysely<Database>, period: string): Promise<PrecisionRow[]> {
  assertPeriod(period);
  const { rows } = await sql<{ grp: string; key: string; listed: number; visited: number; assisted: number; not_eligible: number; unsettled: number }>`
    with cohort as (
      select s.household_id, s.tier, left(h.region_code, 9) as street, coalesce(s.reasons->0->>'dimension', 'none') as driver
      from household_score s join household h on h.period = s.period and h.household_id = s.household_id
      where s.period = ${period} and s.on_list and not s.covered
    ), answer as (
      -- the visit that settled the case if there is one, else the first visit since the listing
      select distinct on (v.household_id) v.household_id, v.outcome
      from visit v join cohort c on c.household_id = v.household_id
      where v.visited_on >= ${`${period}-01`}::date
      order by v.household_id, (v.outcome like 'assisted%' or v.outcome = 'not_eligible') desc, v.visited_on, v.visit_id
    )
    select case when grouping(c.tier) = 0 then 'tier' when grouping(c.street) = 0 then 'street'
                when grouping(c.driver) = 0 then 'dimension' else 'all' end as grp,
           coalesce(c.tier, c.street, c.driver, 'all') as key,
           count(*)::int as listed,
           count(a.outcome)::int as visited,
           count(*) filter (where a.outcome like 'assisted%')::int as assisted,
           count(*) filter (where a.outcome = 'not_eligible')::int as not_eligible,
           count(*) filter (where a.outcome in ('refused', 'not_found', 'moved'))::int as unsettled
    from cohort c left join answer a on a.household_id = c.household_id
    group by grouping sets ((), (c.tier), (c.street), (c.driver))
  `.execute(db);
  const order = { all: 0, tier: 1, street: 2, dimension: 3 } as Record<string, number>;
  const tierOrder = { red: 0, orange: 1, yellow: 2 } as Record<string, number>;
  return rows
    .map((r) => ({
      group: r.grp,
      key: r.key,
      listed: r.listed,
      visited: r.visited,
      assisted: r.assisted,
      not_eligible: r.not_eligible,
      unsettled: r.unsettled,
      precision: r.assisted + r.not_eligible > 0 ? Math.round((r.assisted / (r.assisted + r.not_eligible)) * 1000) / 1000 : null,
    }))
    .sort((a, b) => order[a.group]! - order[b.group]! || (tierOrder[a.key] ?? 9) - (tierOrder[b.key] ?? 9) || a.key.localeCompare(b.key));
}
