import { sql, type RawBuilder } from 'kysely';
import { isoDate, periodEnd, type PeriodWindow } from '../period.js';
import { unlessDenied, type Tx } from './transaction.js';

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
 * `windowClaims(window)` read from `claim_latest`, which holds each claim's latest monthly
 * version: the same rows while no period after `window.period` was received (then every
 * version it holds was received up to the period). A claim known only from daily deltas takes
 * its latest night's version, as in `windowClaims`.
 */
export function windowClaimsFromLatest(window: PeriodWindow): RawBuilder<unknown> {
  const { endDay: end, claimsFrom: start } = window;
  return sql`(
    select id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from claim_latest
    where settled_on >= ${start}::date and settled_on <= ${end}::date
    union all
    select id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from (
      select distinct on (d.claim_id) d.id18, d.name, d.birth_date, d.sex, d.line, d.settled_on, d.inpatient, d.out_of_pocket
      from daily_claim d
      where d.day <= ${end}::date and not exists (select 1 from claim_latest m where m.claim_id = d.claim_id)
      order by d.claim_id, d.day desc, d.line desc
    ) nightly
    where settled_on >= ${start}::date and settled_on <= ${end}::date
  )`;
}

/**
 * Brings `claim_latest` (migration 0023) up to date with the period's claims, once the run has
 * cleared and loaded them (ingest, then the identity rescue's rows): each claim whose latest
 * version was the period's before, or that the period sends now, gets its latest version from
 * `claim` again; no other claim's latest version depends on the period. Returns whether the
 * table then answers for `period`: no later period was received (a rerun of an earlier month
 * sorts the versions instead, `windowClaims`).
 */
export async function refreshLatestClaims(tx: Tx, period: string): Promise<boolean> {
  // the first month (a backfill of a year of claims) takes every claim in one sort, the indexes
  // built after (migration 0024: 15 s through them at 250,000 households, 11.5 s so); a later
  // month, the claims it touched
  const built = await buildLatestClaims(tx, false);
  if (built === true) return currentFor(tx, period);
  if (built === null && !(await sql<{ any: boolean }>`select exists (select 1 from claim_latest) as any`.execute(tx.db)).rows[0]?.any) {
    await insertLatestVersions(tx, sql`claim c`);
    return currentFor(tx, period);
  }
  await sql`drop table if exists claim_touched`.execute(tx.db);
  await sql`
    create temp table claim_touched on commit drop as
    select claim_id from claim_latest where received_period = ${period}
    union
    select claim_id from claim where received_period = ${period}
  `.execute(tx.db);
  await sql`analyze claim_touched`.execute(tx.db);
  // a rerun of that first month touches nearly every claim: built anew, not claim by claim
  const { rows: share } = await sql<{ most: boolean }>`
    select (select count(*) from claim_touched) * 2 >= (
      select case when reltuples >= 0 then reltuples else (select count(*) from claim_latest) end
      from pg_class where oid = 'claim_latest'::regclass) as most
  `.execute(tx.db);
  if (share[0]?.most && (await buildLatestClaims(tx, true)) === true) return currentFor(tx, period);
  await sql`delete from claim_latest l using claim_touched t where l.claim_id = t.claim_id`.execute(tx.db);
  await insertLatestVersions(tx, sql`claim c join claim_touched t on t.claim_id = c.claim_id`);
  return currentFor(tx, period);
}

/**
 * `safetynet_build_latest_claims` (migration 0024): whether it built the table; null when this
 * login may not call it (a login of its own, not the batch role `migrate --create-roles` grants it
 * to): the table is then kept through its indexes, as the batch may, only slower.
 */
async function buildLatestClaims(tx: Tx, rebuild: boolean): Promise<boolean | null> {
  return unlessDenied(
    tx,
    'safetynet_latest_claims',
    async () => (await sql<{ built: boolean }>`select safetynet_build_latest_claims(${rebuild}) as built`.execute(tx.db)).rows[0]?.built === true,
    () => null,
  );
}

/** Each claim's latest version among the claims `from` takes (`claim c`, joined as needed), into claim_latest. */
async function insertLatestVersions(tx: Tx, from: RawBuilder<unknown>): Promise<void> {
  await sql`
    insert into claim_latest (claim_id, received_period, line, id18, name, settled_on, inpatient, out_of_pocket, birth_date, sex)
    select distinct on (c.claim_id) c.claim_id, c.received_period, c.line, c.id18, c.name, c.settled_on, c.inpatient, c.out_of_pocket, c.birth_date, c.sex
    from ${from}
    order by c.claim_id, c.received_period desc, c.line desc
  `.execute(tx.db);
}

/** Whether `claim_latest` answers for `period`: no later period was received. */
async function currentFor(tx: Tx, period: string): Promise<boolean> {
  const { rows } = await sql<{ current: boolean }>`
    select not exists (select 1 from claim_latest where received_period > ${period}) as current
  `.execute(tx.db);
  return rows[0]?.current === true;
}

/**
 * The period's window claims kept in a temp table for the rest of the run's transaction: the
 * link (people known only from their claims) and the facts (each person's 12 months) both read
 * it, so the run finds the claims' latest versions once instead of twice. `claim_latest` is
 * brought up to date with the period's claims first, and read when it answers for the period
 * (the usual month: no sort of the window's versions, 5.6-6.6 s of the month at 250,000
 * households); a rerun of an earlier month sorts them (`windowClaims`). Call it once the
 * period's claims are in. Returns the table, for FROM.
 */
export async function buildWindowClaims(tx: Tx, window: PeriodWindow): Promise<RawBuilder<unknown>> {
  const current = await refreshLatestClaims(tx, window.period);
  const claims = current ? windowClaimsFromLatest(window) : windowClaims(window);
  await sql`create temp table window_claims on commit drop as select * from ${claims} w`.execute(tx.db);
  // a temp table has no statistics until analyzed: the facts' aggregate is sized by them
  await sql`analyze window_claims`.execute(tx.db);
  return sql`window_claims`;
}
