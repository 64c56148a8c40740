import { sql, type RawBuilder } from 'kysely';
import { isoDate, periodEnd } from '../period.js';

/**
 * The claims as a period sees them: the latest version of each claim_id received up to the
 * period (a re-sent claim replaces the earlier one, never adds to it). Claims that only came as
 * daily deltas (settled by the period's end) are folded in; a monthly extract's version of the
 * same claim_id always wins, so a claim seen at night and again in the month counts once.
 * A subquery for FROM.
 */
export function latestClaims(period: string): RawBuilder<unknown> {
  return sql`(
    select distinct on (claim_id) claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from (
      select claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket, 1 as source_rank, received_period as received
      from claim where received_period <= ${period}
      union all
      select claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket, 2, to_char(day, 'YYYY-MM-DD')
      from daily_claim where day <= ${isoDate(periodEnd(period))}::date
    ) c
    order by claim_id, source_rank, received desc, line desc
  )`;
}

/**
 * The claims a night sees on `day`: the monthly extracts up to `basePeriod` and every daily delta
 * up to the day, the newest version of each claim_id first (a later day corrects an earlier one).
 */
export function claimsAsOfDay(basePeriod: string, day: string): RawBuilder<unknown> {
  return sql`(
    select distinct on (claim_id) claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from (
      select claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket, ${isoDate(periodEnd(basePeriod))}::date as received
      from claim where received_period <= ${basePeriod}
      union all
      select claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket, day
      from daily_claim where day <= ${day}::date
    ) c
    order by claim_id, received desc, line desc
  )`;
}
