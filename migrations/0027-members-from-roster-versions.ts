import { type Kysely, sql } from 'kysely';
import { analyzableTables, createAnalyzeFunction } from './0005-batch-analyze.js';
import { type Grant, grantsOn, type Policy, policiesReading, recreatePolicies, regrant, type View, viewsOver } from './0018-period-partitions.js';
import { currentUser, owner as ownerOf } from './0026-score-explanations.js';

/**
 * A period's members are read from the roster's versions instead of written again every month:
 * `member` was a copy of the roster's people a period (114 MiB a month at 250,000 households),
 * when migration 0025 already keeps the roster as versions of which about 5% change a month.
 *
 * `member` is now a view: the roster's people in force in each loaded period (`roster_period`
 * × `roster_version`), and the rows of `member_row`, which holds the members no version gives:
 * the people outside the roster the link adds as one-person households (about 5% of a city),
 * and every member of a period whose roster was purged (purge writes them there first: members
 * are results, kept when the raw extracts go). Its columns are the table's, in their order, so
 * every reader reads what it read: the scoring, the report, the masked export view, and the
 * row-security policies of the person tables, which find a person's household through it.
 *
 * Row security: the table had the policies of migration 0003 (every row for the owner and the
 * batch, the households in scope for an exporter). The view says the same in its WHERE: a
 * trusted reader reads every member, anyone else those of the households the household table's
 * own policies show it. Neither roster_version nor member_row has row security; the exporter
 * has no grant on either, nor on this view: it reads members through
 * `safetynet_export.member`, which is a security barrier again (migration 0021 had lifted it
 * while it read a table with policies of its own), so that a reader's condition cannot see a
 * row before the view's WHERE has removed it.
 *
 * `roster_version_household` finds a household's members (a card reads one household) among the
 * versions, as `member_household` did among a period's rows.
 *
 * The person tables' exporter policies (disability, diagnosis and each department's since) and
 * `identity_rescue_link` found a person's household by joining `member` to `household`. Over
 * views that PostgreSQL cannot flatten (a join of periods and versions is one branch of a union)
 * that join cannot reach the versions' keys: each row checked would have read a whole period of
 * households. They now ask the members' view alone, by period and ID number (both reach the
 * versions' primary key), whose WHERE says the household's scope; the down writes them as
 * migration 0003 did.
 *
 * The conversion checks that each loaded period's members are the versions': a member row that
 * differs stops the migration (nothing converted) rather than change what a period reads.
 * `safetynet_fresh_partition` still names `member` among its tables; nothing asks it for it.
 * The down writes the view's rows into the table again, with its policies as 0003 made them.
 */
/** member's columns in their order, as migration 0001 made them. */
const MEMBER_COLUMNS: readonly (readonly [string, string])[] = [
  ['period', 'text not null'], ['household_id', 'text not null'], ['id18', 'text not null'], ['name', 'text not null'],
  ['relation', 'text not null'], ['birth_date', 'date not null'], ['sex', 'text not null'], ['employment', 'text'],
];
const COLUMNS = MEMBER_COLUMNS.map(([c]) => c).join(', ');
/** A table's column definitions from a list of (name, type). */
export const columnDefinitions = (columns: readonly (readonly [string, string])[]) => columns.map(([c, t]) => `${c} ${t}`).join(',\n      ');

/** The roster's members of every loaded period, from the versions in force then. */
const ROSTER_MEMBERS = `
  select p.period, v.household_id, v.id18, v.name, v.relation, v.birth_date, v.sex, v.employment
  from roster_period p
  join roster_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)`;

const EXPORT_MEMBERS = 'safetynet_export.member';
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

const IN_SCOPE = `left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())`;

/**
 * A person table's exporter policy (migration 0003's form: the person's household in scope that
 * period) through the members' view alone (`throughView`, whose WHERE says the household's scope),
 * or as 0003 wrote it, with the household joined. Any other policy is given back as it is.
 */
function personScope(p: Policy, throughView: boolean): Policy {
  const period = /m\.period = ([a-z_]+\.[a-z_]+)\)/.exec(p.qual ?? '')?.[1];
  if (p.policyname !== 'safetynet_exporter_scope' || period === undefined) return p;
  return { ...p, qual: personQual(p.tablename, period, throughView) };
}

/** The exporter's condition on person table `t` whose row's period is `period` (`t.column`). */
function personQual(t: string, period: string, throughView: boolean): string {
  const scoped = `(select safetynet_scoped('${t}'::regclass))`;
  return throughView
    ? `${scoped} and exists (select 1 from member m where m.period = ${period} and m.id18 = ${t}.id18)`
    : `${scoped} and exists (select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id ` +
      `where m.period = ${period} and m.id18 = ${t}.id18 and ${IN_SCOPE})`;
}

/**
 * The row security of a department's person table from this migration on (migration 0003's
 * `departmentRowSecurity` as 0027 leaves it): the owner and the batch see every row, an exporter
 * the people of the households in its scope that period, asked of the members' view by period
 * and ID number, whose WHERE says the scope.
 */
export async function personRowSecurity(db: Kysely<unknown>, table: string, periodColumn: string): Promise<void> {
  const trusted = `(select safetynet_trusted('${table}'::regclass))`;
  await sql.raw(`
    alter table ${ident(table)} enable row level security;
    alter table ${ident(table)} force row level security;
    create policy safetynet_trusted on ${ident(table)} for all to public using (${trusted}) with check (${trusted});
    create policy safetynet_exporter_scope on ${ident(table)} for select to public
      using (${personQual(table, `${table}.${periodColumn}`, true)});
  `).execute(db);
}

/** The rescued rows of a person in scope (migration 0003): the person a member of an in-scope household in a period whose card shows the row. */
export function identityRescueLink(
  throughView: boolean,
  within = `m.period >= r.period and m.period <= to_char(to_date(r.period, 'YYYY-MM') + interval '11 months', 'YYYY-MM') and m.id18 = r.id18`,
): string {
  return `
    select r.period, r.source, r.line, r.outcome, r.id18, r.difference, r.confidence, r.reason
    from identity_rescue r
    where (select safetynet_trusted('identity_rescue'::regclass))
       or ((select safetynet_scoped('identity_rescue'::regclass)) and exists (
            ${throughView
              ? `select 1 from member m where ${within}`
              : `select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id where ${within} and ${IN_SCOPE}`}))`;
}

/** safetynet_analyze allows `to` where it allowed `from`, in its place in the list. */
export async function renameAnalyzable(db: Kysely<unknown>, from: readonly string[], to: readonly string[]): Promise<void> {
  const list = await analyzableTables(db);
  const at = list.indexOf(from[0]!);
  const kept = list.filter((t) => !from.includes(t));
  kept.splice(at < 0 ? kept.length : at, 0, ...to);
  await createAnalyzeFunction(db, kept);
}

/**
 * What a migration made, handed over as migration 0003's roles expect: its tables and views to
 * `owner` (when another login runs it), and the batch its share (to write the tables, to read
 * the views) when `batchMay`, a condition in SQL, holds: the owner's own login migrating
 * (`OWNER_MIGRATES`), or, on the way down, the batch having written what is made again.
 */
export async function handOver(db: Kysely<unknown>, owner: string, made: { tables: readonly string[]; views?: readonly string[] }, batchMay: string): Promise<void> {
  if (owner !== (await currentUser(db))) {
    for (const t of made.tables) await sql.raw(`alter table ${t} owner to ${ident(owner)}`).execute(db);
    for (const v of made.views ?? []) await sql.raw(`alter view ${v} owner to ${ident(owner)}`).execute(db);
  }
  const views = made.views?.length ? `grant select on ${made.views.join(', ')} to safetynet_batch;` : '';
  await sql.raw(`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and ${batchMay} then
        grant select, insert, update, delete on ${made.tables.join(', ')} to safetynet_batch;
        ${views}
      end if;
    end $$;`).execute(db);
}
/** A migration run as the owner after `migrate --create-roles` gives the batch its share at once, as grantObjects would (migrations 0024 and 0026 do the same). */
export const OWNER_MIGRATES = `current_user = 'safetynet_owner'`;
/** The batch could write `table`: what replaces it is the batch's to write too. */
export const batchWrote = (table: string) => `has_table_privilege('safetynet_batch', '${table}', 'INSERT')`;

export interface Dependents {
  views: View[];
  grants: Grant[];
  policies: Policy[];
}

/**
 * The views over `table` and the other tables' policies that read it or a view over it (the
 * person tables' read `member`), dropped, policies first, to be made again over its new shape;
 * `own`: the table's own names, whose policies go with it.
 */
export async function dropDependents(db: Kysely<unknown>, table: string, own: readonly string[]): Promise<Dependents> {
  const views = (await viewsOver(db, [table])).filter((v) => v.name !== `public.${table}`);
  const grants = await grantsOn(db, views.map((v) => v.name));
  const overViews = views.filter((v) => v.name.startsWith('public.')).map((v) => v.name.slice('public.'.length));
  const policies = (await policiesReading(db, [table, ...overViews])).filter((p) => !own.includes(p.tablename));
  for (const p of policies) await sql.raw(`drop policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)}`).execute(db);
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);
  return { views, grants, policies };
}

/** The dependents made again, views first (the policies may read them), each view and policy as `change` gives it. */
export async function remakeDependents(
  db: Kysely<unknown>,
  d: Dependents,
  change: { view?: (v: View) => View; policy?: (p: Policy) => Policy } = {},
): Promise<void> {
  const me = await currentUser(db);
  for (const view of d.views) {
    const v = change.view?.(view) ?? view;
    await sql.raw(`create view ${v.name}${v.options?.length ? ` with (${v.options.join(', ')})` : ''} as ${v.def}`).execute(db);
    if (v.owner !== me) await sql.raw(`alter view ${v.name} owner to ${ident(v.owner)}`).execute(db);
  }
  await recreatePolicies(db, d.policies.map((p) => change.policy?.(p) ?? p));
  await regrant(db, d.grants);
}

/** This migration's changes to the views over member: `identity_rescue_link` by key, the masked view a barrier (or, down, as before). */
const memberViews = (up: boolean) => (v: View): View => {
  if (v.name === 'public.identity_rescue_link') return { ...v, def: identityRescueLink(up) };
  if (v.name !== EXPORT_MEMBERS) return v;
  return { ...v, options: [...(v.options ?? []).filter((o) => o !== 'security_barrier=true'), ...(up ? ['security_barrier=true'] : [])] };
};

export async function up(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.member');
  // the table's readers other than the batch (granted its share below) read the view
  const readers = (await grantsOn(db, ['public.member'])).filter((g) => g.privilege === 'SELECT' && g.grantee !== 'safetynet_batch');
  const dependents = await dropDependents(db, 'member', ['member']);

  await sql.raw(`
    create table member_row (
      ${columnDefinitions(MEMBER_COLUMNS)},
      primary key (period, id18)
    );
    create index member_row_household on member_row (period, household_id);

    -- the people outside the roster, and every member of a period with no roster loaded
    insert into member_row (${COLUMNS})
    select ${COLUMNS.split(', ').map((c) => `m.${c}`).join(', ')}
    from member m
    where m.period not in (select period from roster_period)
       or exists (select 1 from household h where h.period = m.period and h.household_id = m.household_id and not h.on_roster);

    do $$
    declare
      differing bigint;
      example text;
    begin
      with kept as (
        select ${COLUMNS} from member m
        where not exists (select 1 from member_row r where r.period = m.period and r.id18 = m.id18)
      ), derived as (${ROSTER_MEMBERS}), only_kept as (
        select * from kept except all select * from derived
      ), only_derived as (
        select * from derived except all select * from kept
      ), diff as (
        select period, id18 from only_kept union all select period, id18 from only_derived
      )
      select count(*), min(period || ' ' || left(id18, 6)) into differing, example from diff;
      if differing > 0 then
        raise exception 'member holds % rows that the roster''s versions do not give (first: period and region %); nothing was converted', differing, example;
      end if;
    end $$;

    drop table member;
    -- a household's members (the card, the household of a person who died) without reading every version
    create index roster_version_household on roster_version (household_id);

    create view member as
      select m.period, m.household_id, m.id18, m.name, m.relation, m.birth_date, m.sex, m.employment
      from (
        ${ROSTER_MEMBERS}
        union all
        select ${COLUMNS} from member_row
      ) m
      -- the owner and the batch read every member; anyone else those of the households the
      -- household table's row security shows them (an exporter: its region)
      where (select safetynet_trusted('member_row'::regclass))
         or exists (select 1 from household h where h.period = m.period and h.household_id = m.household_id);
  `).execute(db);
  await handOver(db, owner, { tables: ['member_row'], views: ['member'] }, OWNER_MIGRATES);
  await regrant(db, readers.map((g) => ({ ...g, relation: 'public.member' })));
  await remakeDependents(db, dependents, { view: memberViews(true), policy: (p) => personScope(p, true) });
  await renameAnalyzable(db, ['member'], ['member_row']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const owner = await ownerOf(db, 'public.member_row');
  const readers = (await grantsOn(db, ['public.member'])).filter((g) => g.grantee !== 'safetynet_batch');
  const dependents = await dropDependents(db, 'member', ['member']);
  const scoped = `(select safetynet_scoped('member'::regclass))`;
  const trusted = `(select safetynet_trusted('member'::regclass))`;
  const inScope = IN_SCOPE;
  await sql.raw(`
    create table member_copy as select ${COLUMNS} from member;
    drop view member;
    drop index roster_version_household;
    create table member (
      ${columnDefinitions(MEMBER_COLUMNS)},
      constraint member_pkey primary key (period, id18)
    ) partition by list (period);
    create index member_household on member (period, household_id);
    create table member_default partition of member default;
    insert into member select * from member_copy;
    drop table member_copy;
    -- migration 0003's policies
    alter table member enable row level security;
    alter table member force row level security;
    create policy safetynet_trusted on member for all to public using (${trusted}) with check (${trusted});
    create policy safetynet_exporter_scope on member for select to public
      using (${scoped} and exists (
        select 1 from household h
        where h.period = member.period and h.household_id = member.household_id and ${inScope}));
  `).execute(db);
  await handOver(db, owner, { tables: ['member', 'member_default'] }, batchWrote('member_row'));
  await sql`drop table member_row`.execute(db);
  await regrant(db, readers);
  // the export view as migration 0021 left it, without its barrier
  await remakeDependents(db, dependents, { view: memberViews(false), policy: (p) => personScope(p, false) });
  await renameAnalyzable(db, ['member_row'], ['member']);
}
