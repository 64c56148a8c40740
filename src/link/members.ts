import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/transaction.js';
import { periodsBefore } from '../db/versions.js';
import { rosterAsOf, rosterVersions } from '../ingest/civil-affairs/civil-affairs.source.js';

/** A member's columns after its period, as the view `member` has them (migration 0027). */
const MEMBER = ['household_id', 'id18', 'name', 'relation', 'birth_date', 'sex', 'employment'] as const;

/**
 * The members of `period`, as a parenthesised select to alias (`join ${membersAsOf(p)} as m on …`):
 * what the view `member` holds for the period (none for null), for the run's own queries.
 * Through the view, the period reached the versions only by a join with `roster_period`, so the
 * planner guessed a third of every version in force and took a nested loop over them for each
 * identity rescued (minutes at 250,000 households); here it compares the versions with the
 * period itself.
 */
export function membersAsOf(period: string | null): RawBuilder<unknown> {
  return sql`(
    select ${period}::text as period, ${sql.join(MEMBER.map((c) => sql.ref(`r.${c}`)))} from ${rosterAsOf(period)} as r
    union all
    select period, ${sql.join(MEMBER.map((c) => sql.ref(c)))} from member_row where period = ${period}::text
  )`;
}

/**
 * A period's members are the roster's versions in force then, read through the view `member`
 * (migration 0027), and the rows of `member_row` for those no version gives. Purging a period's
 * roster would take its members with it; they are results (the card of a past period shows
 * them), so they are written as rows first, every purged period's in one statement. Returns the
 * members written.
 */
export async function keepRosterMembers(tx: Pick<Tx, 'db'>, before: string): Promise<number> {
  const { numAffectedRows } = await sql`
    insert into member_row (period, ${sql.join(MEMBER.map((c) => sql.ref(c)))})
    select period, ${sql.join(MEMBER.map((c) => sql.ref(`r.${c}`)))} from ${periodsBefore(rosterVersions, before)} as r`.execute(tx.db);
  return Number(numAffectedRows ?? 0);
}
