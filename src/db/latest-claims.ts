import { sql, type RawBuilder } from 'kysely';
import { isoDate, periodEnd, type PeriodWindow } from '../period.js';
import type { Tx } from './transaction.js';

/**
 * The claims as a period sees them: the latest version of each claim_id received up to the
 * period (a re-sent claim replaces the earlier one, never adds to it). Claims that only came as
 * daily deltas (settled by the period's end) are folded in; a monthly extract's version of the
 * same claim_id always wins, so a claim seen at night and again in the month counts once.
 * A subquery for FROM: the definition, by sorting every version, that `windowClaims` answers
 * without the sort.
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
 * end) as the period sees them: `latestClaims` with the window applied, read without a sort.
 * A monthly version is the period's when it was received up to the period and not superseded by
 * then (`superseded_by`, migration 0030, kept by `markSupersededClaims`), which holds for any
 * period, an earlier month's rerun included. Versions received before the window's first month
 * are not read: such a version was settled before the window (a settlement after its period's end
 * is refused at ingest). A claim known only from daily deltas takes its latest night's version,
 * and loses to every monthly version received up to the period, in the window or not.
 */
export function windowClaims(window: PeriodWindow): RawBuilder<unknown> {
  const { period, endDay: end, claimsFrom: start, claimsFromPeriod } = window;
  return sql`(
    select id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from claim
    where received_period >= ${claimsFromPeriod} and received_period <= ${period}
      and (superseded_by is null or superseded_by > ${period})
      and settled_on >= ${start}::date and settled_on <= ${end}::date
    union all
    select id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from (
      select distinct on (d.claim_id) d.id18, d.name, d.birth_date, d.sex, d.line, d.settled_on, d.inpatient, d.out_of_pocket
      from daily_claim d
      where d.day <= ${end}::date
        and not exists (select 1 from claim m where m.claim_id = d.claim_id and m.received_period <= ${period})
      order by d.claim_id, d.day desc, d.line desc
    ) nightly
    where settled_on >= ${start}::date and settled_on <= ${end}::date
  )`;
}

/**
 * Sets `superseded_by` on the versions of every claim the period's claims touch, once the run has
 * cleared and loaded them (ingest, then the identity rescue's rows): each version is superseded
 * by the claim's next received one. The claims touched are the period's own (a claim it sends
 * supersedes an earlier version, or is superseded by a later month's, when the period is run
 * late) and those whose version the period superseded before it was cleared for a rerun (that
 * version may be the latest again). No other claim's versions depend on the period. Only versions
 * whose value changes are written: about 1% of a month's claims correct an earlier one. Returns
 * how many versions it wrote.
 */
export async function markSupersededClaims(tx: Tx, period: string): Promise<number> {
  await sql`drop table if exists claim_touched`.execute(tx.db);
  // of the period's claims, only those with another version: the first month's year of claims
  // has nearly none, an ordinary month's a few percent
  await sql`
    create temp table claim_touched on commit drop as
    select claim_id from claim where superseded_by = ${period}
    union
    select p.claim_id from claim p
    where p.received_period = ${period}
      and exists (select 1 from claim o where o.claim_id = p.claim_id and o.received_period <> ${period})
  `.execute(tx.db);
  await sql`analyze claim_touched`.execute(tx.db);
  const result = await sql`
    update claim c set superseded_by = n.next
    from (
      select v.claim_id, v.received_period, lead(v.received_period) over (partition by v.claim_id order by v.received_period) as next
      from claim v join claim_touched t on t.claim_id = v.claim_id
    ) n
    where c.claim_id = n.claim_id and c.received_period = n.received_period and c.superseded_by is distinct from n.next
  `.execute(tx.db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The period's window claims kept in a temp table for the rest of the run's transaction: the
 * link (people known only from their claims) and the facts (each person's 12 months) both read
 * it, so the run finds the claims' latest versions once instead of twice. The versions the
 * period's claims supersede are marked first. Call it once the period's claims are in. Returns
 * the table, for FROM.
 */
export async function buildWindowClaims(tx: Tx, window: PeriodWindow): Promise<RawBuilder<unknown>> {
  await markSupersededClaims(tx, window.period);
  await sql`create temp table window_claims on commit drop as select * from ${windowClaims(window)} w`.execute(tx.db);
  // a temp table has no statistics until analyzed: the facts' aggregate is sized by them
  await sql`analyze window_claims`.execute(tx.db);
  return sql`window_claims`;
}
