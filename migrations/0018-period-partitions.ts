import { type Kysely, type RawBuilder, sql } from 'kysely';

/**
 * The tables a month writes whole (the roster as sent, the households and their members, the
 * scores) become partitioned by period, one partition per period: a month's first run loads its
 * rows into a fresh table without indexes and attaches it, so the indexes are built in bulk once
 * instead of updated row by row (measured at 250,000 households: roster_member 20 s → 7 s,
 * member 6–12 s → 3 s, household_score 7 s → 4.5 s). A rerun replaces a period's rows in place:
 * dropping an attached partition would lock every period's readers until the run commits.
 * Rows of a period that has no partition (written by hand, or before this migration's
 * functions) land in the default partition.
 *
 * The batch login does not own the tables, so creating and attaching goes through two narrow
 * SECURITY DEFINER functions that accept only these tables and a period (src/db/period-partitions.ts).
 * The conversion keeps every view over the tables, every policy that reads them, the grants,
 * owners, constraints and indexes by their names.
 */
export const PERIOD_PARTITIONED = ['roster_member', 'member', 'household', 'household_score'] as const;

export interface Policy {
  schemaname: string;
  tablename: string;
  policyname: string;
  permissive: string;
  roles: string[];
  cmd: string;
  qual: string | null;
  with_check: string | null;
}
export interface View {
  name: string;
  def: string;
  options: string[] | null;
  owner: string;
}
export interface Grant {
  relation: string;
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}
interface TableShape {
  owner: string;
  rls: boolean;
  force: boolean;
  constraints: { name: string; def: string }[];
  indexes: string[];
}

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

export async function policiesReading(db: Kysely<unknown>, tables: readonly string[]): Promise<Policy[]> {
  // the tables' own policies, and any other table's that read them (department tables' scope)
  const { rows } = await sql<Policy>`
    select distinct p.schemaname, p.tablename, p.policyname, p.permissive, p.roles::text[] as roles, p.cmd, p.qual, p.with_check
    from pg_policies p
    join pg_class c on c.relname = p.tablename
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = p.schemaname
    join pg_policy pp on pp.polrelid = c.oid and pp.polname = p.policyname
    where p.schemaname = 'public' and (
      p.tablename = any(${[...tables]}::text[])
      or exists (select 1 from pg_depend d where d.classid = 'pg_policy'::regclass and d.objid = pp.oid
                   and d.refclassid = 'pg_class'::regclass and d.refobjid = any(select to_regclass(format('public.%I', t)) from unnest(${[...tables]}::text[]) t)))
    order by p.tablename, p.policyname`.execute(db);
  return rows;
}

export async function viewsOver(db: Kysely<unknown>, tables: readonly string[]): Promise<View[]> {
  // and the views over those views, in the order they can be made again
  const { rows } = await sql<View>`
    with recursive over(oid, depth) as (
      select to_regclass(format('public.%I', t))::oid, 0 from unnest(${[...tables]}::text[]) t
      union
      select r.ev_class, o.depth + 1
      from over o
      join pg_depend d on d.refclassid = 'pg_class'::regclass and d.refobjid = o.oid and d.classid = 'pg_rewrite'::regclass
      join pg_rewrite r on r.oid = d.objid
      where r.ev_class <> o.oid and o.depth < 10
    ), deepest as (
      select oid, max(depth) as depth from over where depth > 0 group by oid
    )
    select format('%I.%I', n.nspname, v.relname) as name, pg_get_viewdef(v.oid) as def, v.reloptions as options,
           pg_get_userbyid(v.relowner) as owner
    from deepest x join pg_class v on v.oid = x.oid join pg_namespace n on n.oid = v.relnamespace
    where v.relkind in ('v', 'm')
    order by x.depth, v.oid`.execute(db);
  return rows;
}

export async function grantsOn(db: Kysely<unknown>, relations: readonly string[]): Promise<Grant[]> {
  const { rows } = await sql<Grant>`
    select r.name as relation, case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end as grantee,
           a.privilege_type as privilege, a.is_grantable as grantable
    from unnest(${[...relations]}::text[]) r(name)
    join pg_class c on c.oid = r.name::regclass
    cross join lateral aclexplode(c.relacl) a
    where a.grantee <> c.relowner
    order by 1, 2, 3`.execute(db);
  return rows;
}

async function shapeOf(db: Kysely<unknown>, table: string): Promise<TableShape> {
  const rel = `public.${ident(table)}`;
  const { rows: [c] } = await sql<{ owner: string; rls: boolean; force: boolean }>`
    select pg_get_userbyid(relowner) as owner, relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = ${rel}::regclass`.execute(db);
  const { rows: constraints } = await sql<{ name: string; def: string }>`
    select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
    where conrelid = ${rel}::regclass and contype in ('p', 'u') order by conname`.execute(db);
  const { rows: indexes } = await sql<{ def: string }>`
    select pg_get_indexdef(i.indexrelid) as def from pg_index i
    where i.indrelid = ${rel}::regclass and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
    order by i.indexrelid`.execute(db);
  return { owner: c!.owner, rls: c!.rls, force: c!.force, constraints, indexes: indexes.map((i) => i.def) };
}

export async function recreatePolicies(db: Kysely<unknown>, policies: Policy[]): Promise<void> {
  for (const p of policies) {
    const roles = p.roles.map((r) => (r === 'public' ? 'public' : ident(r))).join(', ');
    const text =
      `create policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)} as ${p.permissive.toLowerCase()} ` +
      `for ${p.cmd.toLowerCase()} to ${roles}` +
      (p.qual !== null ? ` using (${p.qual})` : '') +
      (p.with_check !== null ? ` with check (${p.with_check})` : '');
    await sql.raw(text).execute(db);
  }
}

export async function regrant(db: Kysely<unknown>, grants: Grant[]): Promise<void> {
  for (const g of grants) {
    const to = g.grantee === null ? 'public' : ident(g.grantee);
    await sql.raw(`grant ${g.privilege} on ${g.relation} to ${to}${g.grantable ? ' with grant option' : ''}`).execute(db);
  }
}

/**
 * Remakes each table as partitioned by period (`partitioned`) or as a plain table again, with
 * its rows, and everything that depends on it: views dropped and made again from their
 * definitions, policies (the tables' own and those of other tables that read them), grants,
 * owners, row security, constraints and indexes under their names.
 */
async function remake(db: Kysely<unknown>, tables: readonly string[], partitioned: boolean): Promise<void> {
  const views = await viewsOver(db, tables);
  const policies = await policiesReading(db, tables);
  const grants = await grantsOn(db, [...tables.map((t) => `public.${ident(t)}`), ...views.map((v) => v.name)]);
  const shapes = new Map<string, TableShape>();
  for (const t of tables) shapes.set(t, await shapeOf(db, t));

  const { rows: [self] } = await sql<{ me: string }>`select current_user as me`.execute(db);
  const me = self!.me;
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);
  for (const p of policies) await sql.raw(`drop policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)}`).execute(db);

  for (const t of tables) {
    const shape = shapes.get(t)!;
    const old = `${t}__remade`;
    const { rows: periods } = await sql<{ period: string }>`select distinct period from ${sql.table(t)} order by period`.execute(db);
    await sql.raw(`alter table public.${ident(t)} rename to ${ident(old)}`).execute(db);
    // the names of its constraints and indexes go to the new table
    const { rows: oldIndexes } = await sql<{ name: string }>`
      select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = ${`public.${ident(old)}`}::regclass`.execute(db);
    for (const i of oldIndexes) await sql.raw(`alter index public.${ident(i.name)} rename to ${ident(`${i.name}__remade`)}`).execute(db);
    await sql
      .raw(
        `create table public.${ident(t)} (like public.${ident(old)} including defaults including constraints including storage including compression)` +
          (partitioned ? ' partition by list (period)' : ''),
      )
      .execute(db);
    for (const c of shape.constraints) await sql.raw(`alter table public.${ident(t)} add constraint ${ident(c.name)} ${c.def}`).execute(db);
    for (const def of shape.indexes) await sql.raw(def).execute(db);
    if (partitioned) {
      await sql.raw(`create table public.${ident(`${t}_default`)} partition of public.${ident(t)} default`).execute(db);
      for (const { period } of periods) {
        await sql.raw(`create table public.${ident(partitionName(t, period))} partition of public.${ident(t)} for values in (${sqlText(period)})`).execute(db);
      }
    }
    await sql.raw(`insert into public.${ident(t)} select * from public.${ident(old)}`).execute(db);
    await sql.raw(`drop table public.${ident(old)}`).execute(db);
    if (shape.rls) await sql.raw(`alter table public.${ident(t)} enable row level security`).execute(db);
    if (shape.force) await sql.raw(`alter table public.${ident(t)} force row level security`).execute(db);
    if (shape.owner !== me) await sql.raw(`alter table public.${ident(t)} owner to ${ident(shape.owner)}`).execute(db);
  }

  await recreatePolicies(db, policies);
  for (const v of views) {
    const barrier = v.options?.length ? ` with (${v.options.join(', ')})` : '';
    await sql.raw(`create view ${v.name}${barrier} as ${v.def}`).execute(db);
    if (v.owner !== me) await sql.raw(`alter view ${v.name} owner to ${ident(v.owner)}`).execute(db);
  }
  await regrant(db, grants);
}

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A period's partition of a table: `member_p2026_10`. */
export const partitionName = (table: string, period: string) => `${table}_p${period.replace('-', '_')}`;

/** The guard both functions open with: only these tables and a YYYY-MM period; `part` names the period's table alike. */
export const partitionGuard = (fn: string, what: string, tables: readonly string[] = PERIOD_PARTITIONED) =>
  sql.raw(`if tbl is null or not (tbl = any (array[${tables.map(sqlText).join(', ')}]::text[])) then
        raise exception '${fn} ${what} of Safetynet''s period tables only, not %', coalesce(quote_ident(tbl), 'null') using errcode = '42501';
      end if;
      if period is null or period !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then
        raise exception '${fn}: % is not a period (YYYY-MM)', coalesce(quote_literal(period), 'null') using errcode = '22023';
      end if;
      part := tbl || '_p' || replace(period, '-', '_');`);

/**
 * `safetynet_attach_partition`: attaches the period's fresh table (its indexes built now, in bulk)
 * and analyses it, on the columns `columns` gives (a text expression of the function, such as
 * ` (period, rank)`; '': every column); `then` runs after, in either case (migrations 0020 and
 * 0022 add to it, their downs restore the one before).
 */
export const attachPartition = (
  then: RawBuilder<unknown> = sql``,
  columns: RawBuilder<unknown> = sql`''`,
  // the tables it accepts: since migration 0026 household_score's table is scored_household
  tables: readonly string[] = PERIOD_PARTITIONED,
) => sql`
    create or replace function safetynet_attach_partition(tbl text, period text) returns void
      language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    declare
      part text;
    begin
      ${partitionGuard('safetynet_attach_partition', 'attaches partitions', tables)}
      if to_regclass(format('public.%I', part)) is null then
        execute format('analyze public.%I', tbl || '_default');
      else
        if not exists (select 1 from pg_inherits where inhrelid = format('public.%I', part)::regclass) then
          execute format('alter table public.%I attach partition public.%I for values in (%L)', tbl, part, period);
        end if;
        execute format('analyze public.%I', part) || ${columns};
      end if;
      ${then}
    end $$;
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await remake(db, PERIOD_PARTITIONED, true);
  await sql`
    -- the period's fresh table, when the period has no rows yet (null: write through the table);
    -- owned by the tables' owner, writable by the batch role until it is attached
    create function safetynet_fresh_partition(tbl text, period text) returns text
      language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    declare
      part text;
      present boolean;
    begin
      ${partitionGuard('safetynet_fresh_partition', 'makes partitions')}
      if to_regclass(format('public.%I', part)) is not null then return null; end if;
      execute format('select exists (select 1 from public.%I where period = $1)', tbl || '_default') into present using period;
      if present then return null; end if;
      execute format('create table public.%I (like public.%I including defaults including constraints including storage including compression)', part, tbl);
      -- attaching then trusts this instead of scanning the rows
      execute format('alter table public.%I add constraint %I check (period = %L)', part, part || '_period', period);
      if to_regrole('safetynet_batch') is not null then
        execute format('grant select, insert, update, delete on public.%I to safetynet_batch', part);
      end if;
      return part;
    end $$;

  `.execute(db);
  await attachPartition().execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop function safetynet_attach_partition(text, text);
    drop function safetynet_fresh_partition(text, text);
  `.execute(db);
  await remake(db, PERIOD_PARTITIONED, false);
}
