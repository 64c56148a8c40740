import { type Kysely, sql } from 'kysely';

/**
 * `safetynet_build_latest_claims(rebuild)`: builds `claim_latest` (migration 0023) whole when it
 * is empty (a database's first month, which brings a year of claims; or after every claim was
 * purged), or, with `rebuild`, anew (a rerun of that first month touches nearly every claim:
 * deleted and inserted one by one, 1.9 million took 30 s): every claim's latest version in one
 * sort, inserted into the table without its indexes, which are then built in bulk. Through its
 * indexes, 2.1 million claims took 15 s at 250,000 households (the primary key 2.9 s of it, the
 * received-period index 2.3 s); unindexed, 9.8 s and 1.7 s to build both after. Otherwise a
 * table with rows is left alone (returns false): a month then brings only the claims it touched
 * up to date.
 *
 * The batch login does not own the table, so this goes through a function of the owner's that
 * does nothing else; only the batch may call it (src/db/roles.ts grants it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function safetynet_build_latest_claims(rebuild boolean) returns boolean
      language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    begin
      if not coalesce(rebuild, false) then
        if exists (select 1 from claim_latest) then return false; end if;
        -- empty: locked, and looked at again, so that two runs cannot both build it
        lock table claim_latest in access exclusive mode;
        if exists (select 1 from claim_latest) then return false; end if;
      else
        truncate claim_latest;
      end if;
      alter table claim_latest drop constraint claim_latest_pkey;
      drop index claim_latest_received;
      -- (claim_id, received_period) is claim's primary key: a period sends a claim once
      insert into claim_latest (claim_id, received_period, line, id18, name, settled_on, inpatient, out_of_pocket, birth_date, sex)
      select distinct on (c.claim_id) c.claim_id, c.received_period, c.line, c.id18, c.name, c.settled_on, c.inpatient, c.out_of_pocket, c.birth_date, c.sex
      from claim c
      order by c.claim_id, c.received_period desc;
      alter table claim_latest add constraint claim_latest_pkey primary key (claim_id);
      create index claim_latest_received on claim_latest (received_period);
      return true;
    end $$;
    revoke execute on function safetynet_build_latest_claims(boolean) from public;
  `.execute(db);
  // a migration run as the owner after `migrate --create-roles`: the batch may call it at once;
  // otherwise `migrate --create-roles` grants it (src/db/roles.ts)
  await sql`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and current_user = 'safetynet_owner' then
        grant execute on function safetynet_build_latest_claims(boolean) to safetynet_batch;
      end if;
    end $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function safetynet_build_latest_claims(boolean)`.execute(db);
}
