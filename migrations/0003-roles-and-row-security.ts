import { type Kysely, sql } from 'kysely';

/**
 * Row-level security on what exports read: household, household_score and member (the list and
 * the card), disability and diagnosis (the card shows their categories). The card's lines about
 * rows linked through a corrected ID number read the view identity_rescue_link, which applies
 * the same rule: identity_rescue itself cannot take a policy, because the run COPYs into it and
 * PostgreSQL refuses COPY FROM into a table under row-level security.
 *
 * This migration runs on any server, with or without the roles of `safetynet migrate
 * --create-roles`: the policies name no role (a policy `to` a role that does not exist cannot be
 * created), they ask at query time, through to_regrole, who the current user is:
 *
 * - the tables' owner, and members of safetynet_owner or safetynet_batch, see and write every
 *   row: the monthly run scores the whole district. FORCE puts the owner through the policies
 *   too (only superusers and BYPASSRLS roles skip them, and none of ours is either), so owning
 *   a table is an explicit rule here, not PostgreSQL's default exemption.
 * - members of safetynet_exporter see only the households whose region code starts with the
 *   transaction's `safetynet.region` (6, 9 or 12 digits); with none set, or a malformed one,
 *   nothing. They write nothing here (they have no grant either).
 * - anybody else granted SELECT by hand sees nothing: deny by default.
 *
 * The role checks and the scope sit in uncorrelated subqueries, so they are evaluated once per
 * query (an InitPlan), not once per row; the scoped test is false at once for owner and batch (a
 * batch login is a member of the exporter, to write the run's list), so their queries never pay
 * for the per-row household lookup.
 */
const REGION_TABLES = ['household'] as const;
const HOUSEHOLD_TABLES = ['household_score', 'member'] as const;
const PERSON_TABLES = ['disability', 'diagnosis'] as const;
const ALL = [...REGION_TABLES, ...HOUSEHOLD_TABLES, ...PERSON_TABLES];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- the scope the export chokepoint set for its transaction, when it is a region code prefix
    create function safetynet_region_scope() returns text language sql stable parallel safe set search_path = pg_catalog, public as $$
      select s from (select current_setting('safetynet.region', true) as s) x where s ~ '^[0-9]{6}([0-9]{3}){0,2}$'
    $$;

    -- owner or batch: every row
    create function safetynet_trusted(tbl regclass) returns boolean language sql stable parallel safe set search_path = pg_catalog, public as $$
      select coalesce(pg_has_role(current_user, c.relowner, 'USAGE'), false)
          or coalesce(pg_has_role(current_user, to_regrole('safetynet_owner'), 'USAGE'), false)
          or coalesce(pg_has_role(current_user, to_regrole('safetynet_batch'), 'USAGE'), false)
      from pg_class c where c.oid = tbl
    $$;

    -- an exporter, and not also owner or batch: only the households in the scope
    create function safetynet_scoped(tbl regclass) returns boolean language sql stable parallel safe set search_path = pg_catalog, public as $$
      select coalesce(pg_has_role(current_user, to_regrole('safetynet_exporter'), 'USAGE'), false)
         and not safetynet_trusted(tbl)
    $$;
  `.execute(db);

  for (const table of ALL) {
    const t = sql.table(table);
    const trusted = sql.raw(`(select safetynet_trusted('${table}'::regclass))`);
    await sql`
      alter table ${t} enable row level security;
      alter table ${t} force row level security;
      create policy safetynet_trusted on ${t} for all to public using (${trusted}) with check (${trusted});
    `.execute(db);
  }
  const scoped = (table: string) => sql.raw(`(select safetynet_scoped('${table}'::regclass))`);
  // prefix match on the 12-digit region code; a null scope matches nothing
  const inScope = (column: string) =>
    sql.raw(`left(${column}, length((select safetynet_region_scope()))) = (select safetynet_region_scope())`);
  await sql`
    create policy safetynet_exporter_scope on household for select to public
      using (${scoped('household')} and ${inScope('region_code')});
  `.execute(db);
  for (const table of HOUSEHOLD_TABLES) {
    await sql`
      create policy safetynet_exporter_scope on ${sql.table(table)} for select to public
        using (${scoped(table)} and exists (
          select 1 from household h
          where h.period = ${sql.ref(`${table}.period`)} and h.household_id = ${sql.ref(`${table}.household_id`)}
            and ${inScope('h.region_code')}));
    `.execute(db);
  }
  for (const table of PERSON_TABLES) {
    // a person's extract rows follow the household the roster put them in that period
    await sql`
      create policy safetynet_exporter_scope on ${sql.table(table)} for select to public
        using (${scoped(table)} and exists (
          select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id
          where m.period = ${sql.ref(`${table}.period`)} and m.id18 = ${sql.ref(`${table}.id18`)}
            and ${inScope('h.region_code')}));
    `.execute(db);
  }

  // the rescued rows of a person in the scope: the person is a member of an in-scope household
  // in a period whose card shows the row (the row's own, or the 11 after it for a claim)
  await sql`
    create view identity_rescue_link with (security_barrier) as
      select r.period, r.source, r.line, r.outcome, r.id18, r.difference, r.confidence, r.reason
      from identity_rescue r
      where (select safetynet_trusted('identity_rescue'::regclass))
         or ((select safetynet_scoped('identity_rescue'::regclass)) and exists (
              select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id
              -- written out, not BETWEEN: a view made again from its definition (migration 0018) reads the same
              where m.period >= r.period and m.period <= to_char(to_date(r.period, 'YYYY-MM') + interval '11 months', 'YYYY-MM')
                and m.id18 = r.id18 and ${inScope('h.region_code')}));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view identity_rescue_link`.execute(db);
  for (const table of ALL) {
    const t = sql.table(table);
    await sql`
      drop policy if exists safetynet_exporter_scope on ${t};
      drop policy if exists safetynet_trusted on ${t};
      alter table ${t} no force row level security;
      alter table ${t} disable row level security;
    `.execute(db);
  }
  await sql`
    drop function safetynet_scoped(regclass), safetynet_trusted(regclass), safetynet_region_scope();
  `.execute(db);
}

/**
 * The row security of a department's person table, as this migration gives disability and diagnosis: the run sees every row, an
 * exporter only the people of households in its scope (it has no grant on the table either: no
 * export reads it, the card shows its facts through the reasons). Kept as the migrations up to
 * 0014 used it: a department added after migration 0027 takes that migration's
 * `personRowSecurity` (the members' view asked by period and ID number, no household joined).
 */
export async function departmentRowSecurity(db: Kysely<unknown>, table: string, periodColumn: string): Promise<void> {
  const t = sql.table(table);
  const name = sql.lit(table);
  const period = sql.ref(`${table}.${periodColumn}`);
  const id18 = sql.ref(`${table}.id18`);
  await sql`
    alter table ${t} enable row level security;
    alter table ${t} force row level security;
    create policy safetynet_trusted on ${t} for all to public
      using ((select safetynet_trusted(${name}::regclass)))
      with check ((select safetynet_trusted(${name}::regclass)));
    create policy safetynet_exporter_scope on ${t} for select to public
      using ((select safetynet_scoped(${name}::regclass)) and exists (
        select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id
        where m.period = ${period} and m.id18 = ${id18}
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));
  `.execute(db);
}
