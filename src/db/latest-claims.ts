import { sql, type RawBuilder } from 'kysely';
import { isoDate, periodEnd, type PeriodWindow } from '../period.js';
import type { Tx } from './transaction.js';

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

/**
 * The claims of the period's 12-month window (settled from `window.claimsFrom` to the period's
 * end) as the period sees them: `latestClaims` with the window applied. Exact, and cheaper as
 * history grows: a monthly version received before the window's first month was settled before
 * it (a settlement after its period's end is refused at ingest), so when it is a claim's latest
 * version the claim is outside the window anyway, and the sort skips those versions. A daily
 * delta still loses to every monthly version received up to the period, in the window or not.
 */
export function windowClaims(window: PeriodWindow): RawBuilder<unknown> {
  const { period, endDay: end, claimsFrom: start, claimsFromPeriod } = window;
  return sql`(
    select id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from (
      select distinct on (claim_id) claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
      from (
        select claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket, 1 as source_rank, received_period as received
        from claim where received_period >= ${claimsFromPeriod} and received_period <= ${period}
        union all
        select d.claim_id, d.id18, d.name, d.birth_date, d.sex, d.line, d.settled_on, d.inpatient, d.out_of_pocket, 2, to_char(d.day, 'YYYY-MM-DD')
        from daily_claim d
        where d.day <= ${end}::date
          and not exists (select 1 from claim m where m.claim_id = d.claim_id and m.received_period <= ${period})
      ) c
      order by claim_id, source_rank, received desc, line desc
    ) latest
    where settled_on >= ${start}::date and settled_on <= ${end}::date
  )`;
}

/**
 * `windowClaims(window)` kept in a temp table for the rest of the run's transaction: the link
 * (people known only from their claims) and the facts (each person's 12 months) both read it,
 * so the run sorts the claim versions once instead of twice (measured at 100k households: the
 * sort and its aggregate were ~2.3 s in each of the two statements). Returns the table, for FROM.
 */
export async function buildWindowClaims(tx: Tx, window: PeriodWindow): Promise<RawBuilder<unknown>> {
  await sql`create temp table window_claims on commit drop as select * from ${windowClaims(window)} w`.execute(tx.db);
  // a temp table has no statistics until analyzed: the facts' aggregate is sized by them
  await sql`analyze window_claims`.execute(tx.db);
  return sql`window_claims`;
}
