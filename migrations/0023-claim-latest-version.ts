import { type Kysely, sql } from 'kysely';

/**
 * `claim_latest`: the latest monthly version of every claim (the one of the latest received
 * period, its last line), kept up to date by each month's run after its claims are in
 * (`refreshLatestClaims` in src/db/latest-claims.ts) and by purge. The month's 12-month window
 * reads it instead of sorting every version received in the window (2 million at 250,000
 * households, 9 million at 1,000,000) to find each claim's latest.
 *
 * It holds what `claim` holds, ID numbers and names included: the batch's table like `claim`,
 * no exporter reads it (src/db/roles.ts grants every table alike).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table claim_latest (
      claim_id text primary key,
      received_period text not null,
      line integer not null,
      id18 text not null,
      name text,
      settled_on date not null,
      inpatient boolean not null,
      out_of_pocket numeric(14, 2) not null,
      birth_date date not null,
      sex text not null
    );
    -- a rerun of a period finds the claims whose latest version was that period's
    create index claim_latest_received on claim_latest (received_period);
    insert into claim_latest
    select distinct on (claim_id) claim_id, received_period, line, id18, name, settled_on, inpatient, out_of_pocket, birth_date, sex
    from claim
    order by claim_id, received_period desc, line desc;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table claim_latest`.execute(db);
}
