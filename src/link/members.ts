import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/transaction.js';
import { rosterAsOf, rosterVersions } from '../ingest/civil-affairs/civil-affairs.source.js';

/**
 * The members of `period`, as a parenthesised select to alias (`join ${membersAsOf(p)} as m on …`):
 * what the view `member` holds for the period, for the run's own queries. Through the view, the
 * period reached the versions only by a join with `roster_period`, so the planner guessed a
 * third of every version in force and took a nested loop over them for each identity rescued
 * (minutes at 250,000 households); here it compares the versions with the period itself.
 */
export function membersAsOf(period: string): RawBuilder<unknown> {
  return sql`(
    select ${period}::text as period, r.household_id, r.id18, r.name, r.relation, r.birth_date, r.sex, r.employment
    from ${rosterAsOf(period)} as r
    where exists (select 1 from ${sql.table(rosterVersions.periods)} p where p.period = ${period}::text)
    union all
    select period, household_id, id18, name, relation, birth_date, sex, employment from member_row where period = ${period}::text
  )`;
}

/**
 * A period's members are the roster's versions in force then, read through the view `member`
 * (migration 0027), and the rows of `member_row` for those no version gives. Purging a period's
 * roster would take its members with it; they are results (the card of a past period shows
 * them), so they are written as rows first. Returns the members written.
 */
export async function keepRosterMembers(tx: Pick<Tx, 'db'>, before: string): Promise<number> {
  const { rows: periods } = await sql<{ period: string }>`
    select period from ${sql.table(rosterVersions.periods)} where period < ${before} order by period`.execute(tx.db);
  let kept = 0;
  for (const { period } of periods) {
    const { rows } = await sql<{ n: number }>`
      with kept as (
        insert into member_row (period, household_id, id18, name, relation, birth_date, sex, employment)
        select ${period}, household_id, id18, name, relation, birth_date, sex, employment from ${rosterAsOf(period)} as r
        returning 1
      ) select count(*)::int as n from kept`.execute(tx.db);
    kept += rows[0]?.n ?? 0;
  }
  return kept;
}
