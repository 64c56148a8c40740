import { type Kysely, sql } from 'kysely';
import { analyzableTables, createAnalyzeFunction } from './0005-batch-analyze.js';
import { grantsOn, policiesReading, recreatePolicies, regrant, type View, viewsOver } from './0018-period-partitions.js';

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
const COLUMNS = ['on_roster', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'head_id18', 'head_name', 'members', 'address', 'phone'];
const VERSIONED = COLUMNS.join(', ');
const ALL = `period, household_id, ${VERSIONED}`;

/** The households of every loaded period, from the versions in force then. */
const VERSION_HOUSEHOLDS = `
  select p.period, v.household_id, ${COLUMNS.map((c) => `v.${c}`).join(', ')}
  from household_period p
  join household_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)`;

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

async function currentUser(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ me: string }>`select current_user as me`.execute(db);
  return rows[0]!.me;
}

async function ownerOf(db: Kysely<unknown>, relation: string): Promise<string> {
  const { rows } = await sql<{ owner: string }>`select pg_get_userbyid(relowner) as owner from pg_class where oid = ${relation}::regclass`.execute(db);
  return rows[0]!.owner;
}

/** safetynet_analyze allows `to` where it allowed `from`, in its place in the list. */
async function renameAnalyzable(db: Kysely<unknown>, from: string[], to: string[]): Promise<void> {
  const list = await analyzableTables(db);
  const at = list.indexOf(from[0]!);
  const kept = list.filter((t) => !from.includes(t));
  kept.splice(at < 0 ? kept.length : at, 0, ...to);
  await createAnalyzeFunction(db, kept);
}

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

/** The views and other tables' policies that read `household`, dropped to be made again over its new shape. */
async function dropDependents(db: Kysely<unknown>) {
  const views = (await viewsOver(db, ['household'])).filter((v) => v.name !== 'public.household');
  const grants = await grantsOn(db, views.map((v) => v.name));
  // the policies reading it or a view over it (the person tables' read `member`, a view over it since 0027), dropped first
  const overViews = views.filter((v) => v.name.startsWith('public.')).map((v) => v.name.slice('public.'.length));
  const policies = (await policiesReading(db, ['household', ...overViews])).filter((p) => !['household', 'household_version', 'household_row'].includes(p.tablename));
  for (const p of policies) await sql.raw(`drop policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)}`).execute(db);
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);
  return { views, grants, policies };
}

async function remake(db: Kysely<unknown>, dependents: Awaited<ReturnType<typeof dropDependents>>): Promise<void> {
  const me = await currentUser(db);
  for (const v of dependents.views as View[]) {
    const options = v.options?.length ? ` with (${v.options.join(', ')})` : '';
    await sql.raw(`create view ${v.name}${options} as ${v.def}`).execute(db);
    if (v.owner !== me) await sql.raw(`alter view ${v.name} owner to ${ident(v.owner)}`).execute(db);
  }
  // after the views: the person tables' read `member`
  await recreatePolicies(db, dependents.policies);
  await regrant(db, dependents.grants);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.household');
  const tableGrants = await grantsOn(db, ['public.household']);
  const dependents = await dropDependents(db);

  await sql.raw(`
    create table household_period (period text primary key);
    create table household_version (
      household_id text not null,
      valid_from text not null,
      valid_until text,
      on_roster boolean not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      head_id18 text not null,
      head_name text not null,
      members integer not null,
      address text,
      phone text,
      primary key (household_id, valid_from),
      check (valid_until is null or valid_until > valid_from)
    );
    create table household_row (
      period text not null,
      household_id text not null,
      on_roster boolean not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      head_id18 text not null,
      head_name text not null,
      members integer not null,
      address text,
      phone text,
      primary key (period, household_id)
    );
    -- whether any period had a household (a visit's report) is asked by its id alone
    create index household_row_household on household_row (household_id);

    insert into household_period select distinct period from household;

    with numbered as (
      select period, row_number() over (order by period)::int as n from household_period
    ), hashed as (
      select h.*, p.n, md5(row(${COLUMNS.map((c) => `h.${c}`).join(', ')})::text) as digest
      from household h join numbered p using (period)
    ), marked as (
      select *, case when lag(n) over w = n - 1 and lag(digest) over w = digest then 0 else 1 end as starts
      from hashed window w as (partition by household_id order by n)
    ), islands as (
      select *, sum(starts) over (partition by household_id order by n) as island from marked
    ), runs as (
      select household_id, island, min(n) as first_n, max(n) as last_n from islands group by household_id, island
    )
    insert into household_version (household_id, valid_from, valid_until, ${VERSIONED})
    select i.household_id, i.period, after.period, ${COLUMNS.map((c) => `i.${c}`).join(', ')}
    from runs r
    join islands i on i.household_id = r.household_id and i.n = r.first_n
    left join numbered after on after.n = r.last_n + 1;

    drop table household;

    create view household as
      ${VERSION_HOUSEHOLDS}
      union all
      select ${ALL} from household_row;
    ${householdPolicies('household_version')}
    ${householdPolicies('household_row')}
  `).execute(db);
  if (owner !== (await currentUser(db))) {
    for (const t of ['household_period', 'household_version', 'household_row']) await sql.raw(`alter table ${t} owner to ${ident(owner)}`).execute(db);
    await sql.raw(`alter view household owner to ${ident(owner)}`).execute(db);
  }
  // the batch's share at once when the owner's own login migrates (as 0024, 0026 and 0027)
  await sql`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and current_user = 'safetynet_owner' then
        grant select, insert, update, delete on household_period, household_version, household_row to safetynet_batch;
        grant select on household to safetynet_batch;
      end if;
    end $$;
  `.execute(db);
  // the table's readers' grants on the view, which is only read
  await regrant(db, tableGrants.filter((g) => g.privilege === 'SELECT' && g.grantee !== 'safetynet_batch').map((g) => ({ ...g, relation: 'public.household' })));
  await remake(db, dependents);
  await renameAnalyzable(db, ['household'], ['household_period', 'household_version', 'household_row']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.household_version');
  // the view's readers (SELECT granted to it) read the table again; the batch's share as below
  const viewGrants = (await grantsOn(db, ['public.household'])).filter((g) => g.grantee !== 'safetynet_batch');
  const dependents = await dropDependents(db);
  await sql.raw(`
    create table household_copy as select ${ALL} from household;
    drop view household;
    create table household (
      period text not null,
      household_id text not null,
      on_roster boolean not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      head_id18 text not null,
      head_name text not null,
      members integer not null,
      address text,
      phone text,
      constraint household_pkey primary key (period, household_id)
    ) partition by list (period);
    create table household_default partition of household default;
    insert into household select * from household_copy;
    drop table household_copy;
    ${householdPolicies('household')}
  `).execute(db);
  if (owner !== (await currentUser(db))) {
    await sql.raw(`alter table household owner to ${ident(owner)}`).execute(db);
    await sql.raw(`alter table household_default owner to ${ident(owner)}`).execute(db);
  }
  await sql`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and has_table_privilege('safetynet_batch', 'household_version', 'INSERT') then
        grant select, insert, update, delete on household, household_default to safetynet_batch;
      end if;
    end $$;
    drop table household_period, household_version, household_row;
  `.execute(db);
  await regrant(db, viewGrants);
  await remake(db, dependents);
  await renameAnalyzable(db, ['household_period', 'household_version', 'household_row'], ['household']);
}
