import { type Kysely, sql } from 'kysely';
import { departmentRowSecurity } from './0003-roles-and-row-security.js';
import { allowAnalyze } from './0005-batch-analyze.js';

/**
 * The public-security department's rows (公安 population events: deaths, births, moves,
 * src/ingest/public-security), by the period they were received in: an events feed keeps every
 * month's rows, and the facts read them all (the latest received of a person's event wins). Row
 * security as the other departments' person tables (migration 0003): the run sees every row, an
 * exporter only the people of households in its scope (it has no grant on the table either). The
 * batch ANALYZEs it through safetynet_analyze like the other period tables (migration 0005).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table public_security (
      received_period text not null,
      line integer not null,
      id18 text not null,
      name text,
      event text not null check (event in ('death', 'birth', 'move_out', 'move_in')),
      event_date date not null,
      -- a birth's parent: the household the child joins
      parent_id18 text,
      cancelled boolean not null,
      birth_date date not null,
      sex text not null,
      primary key (received_period, id18, event)
    );
    -- the facts read a person's events across every month received
    create index public_security_person on public_security (id18, event, received_period);
  `.execute(db);
  await departmentRowSecurity(db, 'public_security', 'received_period');
  await allowAnalyze(db, ['public_security'], true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, ['public_security'], false);
  await sql`drop table public_security`.execute(db);
}
