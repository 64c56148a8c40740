import { type Kysely, sql } from 'kysely';
import { grantsOn, regrant } from './0018-period-partitions.js';
import { versionsFromCopies } from './0025-roster-versions.js';
import { owner as ownerOf } from './0026-score-explanations.js';
import { batchWrote, columnDefinitions, dropDependents, handOver, OWNER_MIGRATES, remakeDependents, renameAnalyzable } from './0027-members-from-roster-versions.js';

/**
 * The households kept as versions (src/db/versions.ts), as the roster is since migration 0025:
 * `household` was the city's households again every month (52 MiB a month at 250,000
 * households) when one in ten of them changes (income, assistance, the head, the members'
 * count, the address). `household_version` holds a household from the period it first appears or
 * changes to the first loaded period it no longer holds; `household_period` lists the periods
 * the households were written for.
 *
 * `household` is now a view: the versions in force in each period, and the rows of
 * `household_row`, the households of periods whose versions were purged (purge writes them
 * there first, without address and phone: results are kept, the way to the door is not). Its
 * columns are the table's in their order, so every reader reads what it read.
 *
 * Row security stays where it was decided, on the rows: both tables carry household's policies of
 * migration 0003 (every row for the owner and the batch, the households of its region for an
 * exporter), forced for the owner too. A version's region is the household's in every period it
 * holds, so the policy reads the row alone, and the view needs no WHERE and its masked export
 * view no barrier (the planner keeps seeing through them, as migration 0021 wanted).
 *
 * The conversion is gaps and islands over the loaded periods, as migration 0025's; the down
 * writes the view's rows into the table again, partitioned by period as migration 0018 made it.
 */
/** What a household version holds: household's columns after its period and id, as migration 0001 made them. */
const VERSIONED_COLUMNS: readonly (readonly [string, string])[] = [
  ['on_roster', 'boolean not null'], ['region_code', 'text not null'], ['hukou_type', 'text not null'], ['assistance', 'text not null'],
  ['monthly_income', 'numeric(14, 2)'], ['head_id18', 'text not null'], ['head_name', 'text not null'], ['members', 'integer not null'],
  ['address', 'text'], ['phone', 'text'],
];
const COLUMNS = VERSIONED_COLUMNS.map(([c]) => c);
/** household's columns in their order, as a period's row (household itself, household_row). */
const HOUSEHOLD_COLUMNS = [['period', 'text not null'], ['household_id', 'text not null'], ...VERSIONED_COLUMNS] as const;
const ALL = HOUSEHOLD_COLUMNS.map(([c]) => c).join(', ');

/** The households of every loaded period, from the versions in force then. */
const VERSION_HOUSEHOLDS = `
  select p.period, v.household_id, ${COLUMNS.map((c) => `v.${c}`).join(', ')}
  from household_period p
  join household_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)`;

/** Migration 0003's policies of a household table: every row for the trusted, the region's for an exporter. */
function householdPolicies(table: string): string {
  const trusted = `(select safetynet_trusted('${table}'::regclass))`;
  return `
    alter table ${table} enable row level security;
    alter table ${table} force row level security;
    create policy safetynet_trusted on ${table} for all to public using (${trusted}) with check (${trusted});
    create policy safetynet_exporter_scope on ${table} for select to public
      using ((select safetynet_scoped('${table}'::regclass))
             and left(region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope()));`;
}

/** The households' own tables, whose policies are theirs (the others' that read them are dependents). */
const OWN = ['household', 'household_version', 'household_row'];

export async function up(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.household');
  const tableGrants = await grantsOn(db, ['public.household']);
  const dependents = await dropDependents(db, 'household', OWN);

  await sql.raw(`
    create table household_period (period text primary key);
    create table household_version (
      household_id text not null,
      valid_from text not null,
      valid_until text,
      ${columnDefinitions(VERSIONED_COLUMNS)},
      primary key (household_id, valid_from),
      check (valid_until is null or valid_until > valid_from)
    );
    create table household_row (
      ${columnDefinitions(HOUSEHOLD_COLUMNS)},
      primary key (period, household_id)
    );
    -- whether any period had a household (a visit's report) is asked by its id alone
    create index household_row_household on household_row (household_id);

    insert into household_period select distinct period from household;

    ${versionsFromCopies({ into: 'household_version', periods: 'household_period', key: 'household_id', columns: COLUMNS, copies: 'select * from household' })};

    drop table household;

    create view household as
      ${VERSION_HOUSEHOLDS}
      union all
      select ${ALL} from household_row;
    ${householdPolicies('household_version')}
    ${householdPolicies('household_row')}
  `).execute(db);
  await handOver(db, owner, { tables: ['household_period', 'household_version', 'household_row'], views: ['household'] }, OWNER_MIGRATES);
  // the table's readers' grants on the view, which is only read
  await regrant(db, tableGrants.filter((g) => g.privilege === 'SELECT' && g.grantee !== 'safetynet_batch').map((g) => ({ ...g, relation: 'public.household' })));
  await remakeDependents(db, dependents);
  await renameAnalyzable(db, ['household'], ['household_period', 'household_version', 'household_row']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.household_version');
  // the view's readers (SELECT granted to it) read the table again; the batch's share as below
  const viewGrants = (await grantsOn(db, ['public.household'])).filter((g) => g.grantee !== 'safetynet_batch');
  const dependents = await dropDependents(db, 'household', OWN);
  await sql.raw(`
    create table household_copy as select ${ALL} from household;
    drop view household;
    create table household (
      ${columnDefinitions(HOUSEHOLD_COLUMNS)},
      constraint household_pkey primary key (period, household_id)
    ) partition by list (period);
    create table household_default partition of household default;
    insert into household select * from household_copy;
    drop table household_copy;
    ${householdPolicies('household')}
  `).execute(db);
  await handOver(db, owner, { tables: ['household', 'household_default'] }, batchWrote('household_version'));
  await sql`drop table household_period, household_version, household_row`.execute(db);
  await regrant(db, viewGrants);
  await remakeDependents(db, dependents);
  await renameAnalyzable(db, ['household_period', 'household_version', 'household_row'], ['household']);
}
