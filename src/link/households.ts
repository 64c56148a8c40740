import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/transaction.js';
import { asOf, periodsBefore, type Versioned } from '../db/versions.js';

/**
 * The households as versions (migration 0028): a household from the period it first appears or
 * changes (income, assistance, head, members' count, address) to the first loaded period it no
 * longer holds. The view `household` gives every loaded period's households from them, and the
 * rows of `household_row` for the periods whose versions were purged.
 */
export const householdVersions: Versioned = {
  table: 'household_version',
  periods: 'household_period',
  key: ['household_id'],
  columns: ['on_roster', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'head_id18', 'head_name', 'members', 'address', 'phone'],
};

/**
 * The households of `period`, as a parenthesised select to alias (`join ${householdsAsOf(p)} as h on …`):
 * what the view `household` holds for the period (none for null), for the run's own queries,
 * where the planner compares the versions with the period itself rather than through a join
 * with the periods.
 */
export function householdsAsOf(period: string | null): RawBuilder<unknown> {
  const columns = ['household_id', ...householdVersions.columns];
  return sql`(
    select ${period}::text as period, ${sql.join(columns.map((c) => sql.ref(`v.${c}`)))} from ${asOf(householdVersions, period)} as v
    union all
    select period, ${sql.join(columns.map((c) => sql.ref(c)))} from household_row where period = ${period}::text
  )`;
}

/**
 * Whether any period has the household (`householdId`, a column or value): asked of the
 * versions and the purged periods' rows by their keys, not of the view, whose branch of versions
 * and periods cannot be probed by household and would be built for every period.
 */
export function anyPeriodHas(householdId: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(exists (select 1 from household_version v where v.household_id = ${householdId})
    or exists (select 1 from household_row r where r.household_id = ${householdId}))`;
}

/**
 * The households of the periods before `before` written as rows of household_row, without
 * address and phone, before the versions that give them are purged: they are results (the list
 * and card of a past period), the way to their door is not. Every purged period's in one
 * statement. Returns the households written (or, `dryRun`, that would be) and how many of them
 * had an address or phone.
 */
export async function keepPurgedHouseholds(tx: Pick<Tx, 'db'>, before: string, dryRun: boolean): Promise<{ kept: number; contactsCleared: number }> {
  const purged = periodsBefore(householdVersions, before);
  const kept = sql.join(['household_id', ...householdVersions.columns].map((c) => (c === 'address' || c === 'phone' ? sql`null` : sql.ref(`h.${c}`))));
  const { rows } = await sql<{ n: number; contacts: number }>`
    with kept as (
      ${dryRun ? sql`select 1 from ${purged} as h` : sql`
      insert into household_row (period, household_id, ${sql.join(householdVersions.columns.map((c) => sql.ref(c)))})
      select h.period, ${kept} from ${purged} as h
      returning 1`}
    ) select (select count(*)::int from kept) as n,
             (select count(*)::int from ${purged} as h where address is not null or phone is not null) as contacts`.execute(tx.db);
  return { kept: rows[0]?.n ?? 0, contactsCleared: rows[0]?.contacts ?? 0 };
}
