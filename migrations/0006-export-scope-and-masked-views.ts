import { type Kysely, sql } from 'kysely';

/**
 * Who may see which households is decided by the database, not by the process that asks.
 *
 * Before this migration an exporter chose its own scope: the policies read `safetynet.region`,
 * a setting any login can set, so an exporter in psql could widen itself to the whole district,
 * and it read names, ID numbers, addresses and diagnosis codes in clear from the tables.
 *
 * - `export_scope` maps a login to the region it may export (a 6-, 9- or 12-digit prefix). Only
 *   the owner writes it (`safetynet access grant`). For a login that is neither superuser, owner
 *   nor batch, the scope is that row: `safetynet.region` may narrow it, never widen it; no row,
 *   no household. A trusted session (superuser, owner, batch: they can read every table anyway)
 *   acting as the exporter through the CLI's chokepoint keeps the old rule, its setting is the
 *   scope. The key is `session_user`, which a non-superuser cannot change.
 * - The exporter reads no table with personal data any more, only the views of schema
 *   `safetynet_export`, which mask names, ID numbers, birth dates, addresses, phones and
 *   diagnosis codes (address and phone stay in clear for a street's or community's own scope:
 *   the visit is their purpose) unless this very transaction opened an unmasked audit row through
 *   `safetynet_audit_begin` (with a purpose). Rows are still limited by the tables' row security
 *   (the views are not security invokers, but the policies ask `current_user`, which a view does
 *   not change). The card joins people across views on `person_key`, a keyed hash of the ID number
 *   that says nothing without the key in `safetynet_secret`.
 * - `export_audit` is written only by `safetynet_audit_begin` and `safetynet_audit_finish`
 *   (SECURITY DEFINER): they set the login, the time, the backend and transaction themselves.
 *   A transaction rolled back after an unmasked read loses its audit row with everything else,
 *   so `safetynet_audit_begin` also writes the unmasked access to the server log, which no
 *   rollback takes back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table export_scope (
      login name primary key,
      region_prefix text not null check (region_prefix ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
      granted_by name not null default session_user,
      granted_at timestamptz not null default now(),
      note text
    );
    -- granting a scope is the owner's act, not the batch's (which may write the period tables)
    alter table export_scope enable row level security;
    alter table export_scope force row level security;
    create policy safetynet_owner_only on export_scope for all to public
      using (pg_has_role(current_user, (select relowner from pg_class where oid = 'export_scope'::regclass), 'USAGE'))
      with check (pg_has_role(current_user, (select relowner from pg_class where oid = 'export_scope'::regclass), 'USAGE'));

    -- the key of person_key; random per database; no grant to the batch or the exporter
    -- (the views read it as their owner: no row security here, which would ask the reader)
    create table safetynet_secret (key text not null);
    insert into safetynet_secret values (md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text));

    alter table export_audit
      add column login name,
      add column backend_pid integer,
      add column xact_id xid8;
    create index export_audit_transaction on export_audit (backend_pid, xact_id);

    -- a session that could read every table anyway: superuser, owner or batch (or the tables' owner)
    create function safetynet_trusted_session() returns boolean language sql stable security definer set search_path = pg_catalog, public as $$
      select coalesce((select rolsuper from pg_roles where rolname = session_user), false)
          or coalesce(pg_has_role(session_user, to_regrole('safetynet_owner'), 'USAGE'), false)
          or coalesce(pg_has_role(session_user, to_regrole('safetynet_batch'), 'USAGE'), false)
          or coalesce(pg_has_role(session_user, (select relowner from pg_class where oid = 'household'::regclass), 'USAGE'), false)
    $$;

    -- the region this login may see now: its granted prefix intersected with the transaction's
    -- safetynet.region (a narrower one narrows, a wider one gives the grant, another region
    -- nothing); a trusted session's setting is its scope; null: nothing
    create or replace function safetynet_region_scope() returns text language sql stable security definer set search_path = pg_catalog, public as $$
      with requested as (
        select s from (select current_setting('safetynet.region', true) as s) x where s ~ '^[0-9]{6}([0-9]{3}){0,2}$'
      )
      select case
        when safetynet_trusted_session() then (select s from requested)
        else (select case when not exists (select 1 from requested) then g.region_prefix
                          when (select s from requested) like g.region_prefix || '%' then (select s from requested)
                          when g.region_prefix like (select s from requested) || '%' then g.region_prefix end
              from export_scope g where g.login = session_user)
      end
    $$;

    -- this transaction opened an unmasked audit row: names and numbers in clear, for it only
    create function safetynet_unmask_granted() returns boolean language sql stable security definer set search_path = pg_catalog, public as $$
      select exists (select 1 from export_audit a
                     where a.backend_pid = pg_backend_pid() and a.xact_id = pg_current_xact_id_if_assigned() and not a.masked)
    $$;

    create function safetynet_mask_id(id text) returns text language sql immutable parallel safe set search_path = pg_catalog as $$
      select case when length(id) <= 10 then repeat('*', length(id)) else left(id, 6) || repeat('*', length(id) - 10) || right(id, 4) end
    $$;
    create function safetynet_mask_name(name text) returns text language sql immutable parallel safe set search_path = pg_catalog as $$
      select case when name is null or name = '' then name else left(name, 1) || '*' end
    $$;
    -- a phone keeps its first 3 and last 4 digits; an address its first 6 characters (province and city)
    create function safetynet_mask_phone(phone text) returns text language sql immutable parallel safe set search_path = pg_catalog as $$
      select case when phone is null then null when length(phone) <= 7 then repeat('*', length(phone)) else left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4) end
    $$;
    create function safetynet_mask_address(address text) returns text language sql immutable parallel safe set search_path = pg_catalog as $$
      select case when address is null then null when char_length(address) <= 6 then address else left(address, 6) || '…' end
    $$;

    /*
     * The one door to the audit log. Returns the audit id; an unmasked one needs a purpose and
     * opens the masked views for the rest of this transaction. The operator named by a trusted
     * session is kept (the CLI's --operator); any other login is its own operator.
     */
    create function safetynet_audit_begin(p_operator text, p_purpose text, p_period text, p_format text, p_filters jsonb, p_masked boolean, p_file text)
      returns bigint language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    declare
      id bigint;
      who text := case when safetynet_trusted_session() then coalesce(nullif(btrim(p_operator), ''), session_user::text) else session_user::text end;
    begin
      if not p_masked and coalesce(btrim(p_purpose), '') = '' then
        raise exception 'an unmasked view needs a purpose' using errcode = '22023';
      end if;
      insert into export_audit (operator, purpose, period, format, filters, masked, rows, sha256, file, login, backend_pid, xact_id)
        values (who, nullif(btrim(p_purpose), ''), p_period, p_format, coalesce(p_filters, '{}'::jsonb), p_masked, 0, '', coalesce(p_file, '-'),
                session_user, pg_backend_pid(), pg_current_xact_id())
        returning audit_id into id;
      if not p_masked then
        raise log 'safetynet: unmasked access audit_id=% login=% operator=% period=% format=% purpose=%', id, session_user, who, p_period, p_format, p_purpose;
      end if;
      return id;
    end $$;

    -- completes the audit row this transaction began, with the row count and the output's hash
    create function safetynet_audit_finish(p_audit_id bigint, p_rows integer, p_sha256 text, p_file text)
      returns void language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    begin
      update export_audit set rows = p_rows, sha256 = coalesce(p_sha256, ''), file = coalesce(p_file, file)
        where audit_id = p_audit_id and backend_pid = pg_backend_pid() and xact_id = pg_current_xact_id_if_assigned();
      if not found then
        raise exception 'audit row % was not begun in this transaction', p_audit_id using errcode = '42501';
      end if;
    end $$;

    revoke execute on function safetynet_audit_begin(text, text, text, text, jsonb, boolean, text) from public;
    revoke execute on function safetynet_audit_finish(bigint, integer, text, text) from public;
  `.execute(db);

  const clear = sql.raw(`((select safetynet_trusted('household'::regclass)) or (select safetynet_unmask_granted()))`);
  // address and phone are what a street's own staff need for the visit: in clear for a street or
  // community scope, masked for a district-wide reader unless unmasked
  const clearForVisit = sql.raw(
    `((select safetynet_trusted('household'::regclass)) or (select safetynet_unmask_granted()) or coalesce(length((select safetynet_region_scope())) >= 9, false))`,
  );
  const personKey = (column: string) => sql.raw(`md5((select key from safetynet_secret) || ${column})`);
  await sql`
    create schema safetynet_export;
    create view safetynet_export.household with (security_barrier) as
      select period, household_id, on_roster, region_code, hukou_type, assistance, monthly_income,
             case when ${clear} then head_id18 else safetynet_mask_id(head_id18) end as head_id18,
             case when ${clear} then head_name else safetynet_mask_name(head_name) end as head_name,
             members,
             case when ${clearForVisit} then address else safetynet_mask_address(address) end as address,
             case when ${clearForVisit} then phone else safetynet_mask_phone(phone) end as phone
      from public.household;
    create view safetynet_export.household_score with (security_barrier) as select * from public.household_score;
    create view safetynet_export.urgent_warning with (security_barrier) as select * from public.urgent_warning;
    create view safetynet_export.member with (security_barrier) as
      select period, household_id,
             case when ${clear} then id18 else safetynet_mask_id(id18) end as id18,
             ${personKey('id18')} as person_key,
             case when ${clear} then name else safetynet_mask_name(name) end as name,
             relation,
             -- the masked ID number shows region and sequence: with the birth date it would be whole
             case when ${clear} then birth_date end as birth_date,
             extract(year from age((to_date(period, 'YYYY-MM') + interval '1 month' - interval '1 day')::date, birth_date))::int as age,
             sex, employment
      from public.member;
    create view safetynet_export.disability with (security_barrier) as
      select period, ${personKey('id18')} as person_key, disability_type, disability_grade from public.disability;
    create view safetynet_export.diagnosis with (security_barrier) as
      select period, ${personKey('id18')} as person_key, category,
             case when ${clear} then diagnosis_code end as diagnosis_code
      from public.diagnosis;
    create view safetynet_export.identity_rescue_link with (security_barrier) as
      select period, source, line, outcome, ${personKey('id18')} as person_key, difference, confidence, reason
      from public.identity_rescue_link;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema safetynet_export cascade`.execute(db);
  await sql`
    drop function safetynet_audit_finish(bigint, integer, text, text);
    drop function safetynet_audit_begin(text, text, text, text, jsonb, boolean, text);
    drop function safetynet_mask_id(text), safetynet_mask_name(text), safetynet_mask_phone(text), safetynet_mask_address(text);
    drop function safetynet_unmask_granted();
    create or replace function safetynet_region_scope() returns text language sql stable parallel safe security invoker set search_path = pg_catalog, public as $$
      select s from (select current_setting('safetynet.region', true) as s) x where s ~ '^[0-9]{6}([0-9]{3}){0,2}$'
    $$;
    drop function safetynet_trusted_session();
    drop index export_audit_transaction;
    alter table export_audit drop column login, drop column backend_pid, drop column xact_id;
    drop table safetynet_secret, export_scope;
  `.execute(db);
}
