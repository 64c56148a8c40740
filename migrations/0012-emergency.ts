import { type Kysely, sql } from 'kysely';
import { departmentRowSecurity } from './0003-roles-and-row-security.js';
import { allowAnalyze } from './0005-batch-analyze.js';

/**
 * The emergency department's rows (应急: disaster-affected people, src/ingest/emergency), one per
 * person, disaster and month received: a delta feed, read 12 months back by the disaster's date
 * (the index serves that read). Row security as the other departments' person tables; the
 * batch ANALYZEs it through safetynet_analyze (migration 0005).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table disaster_event (
      received_period text not null,
      line integer not null,
      id18 text not null,
      name text,
      event text not null,
      event_date date not null,
      loss numeric(14, 2) not null,
      house_damaged boolean not null,
      birth_date date not null,
      sex text not null,
      primary key (received_period, id18, event, event_date)
    );
    create index disaster_event_by_date on disaster_event (event_date);
  `.execute(db);
  await departmentRowSecurity(db, 'disaster_event', 'received_period');
  await allowAnalyze(db, ['disaster_event'], true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, ['disaster_event'], false);
  await sql`drop table disaster_event`.execute(db);
}
