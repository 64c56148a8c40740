import { type Kysely, sql } from 'kysely';
import { remakingMaskedView } from './0007-dimension-scores-as-data.js';

/**
 * Which departments' data point at a household this month (`signal_departments`: department
 * ids in registry order, src/ingest/department.ts `signal`): the list and the card show the
 * overlap for the analyst; no dimension reads it. Periods scored before it have none. The masked
 * view is `select *` of the table as it was, so it is made again over the new column, with its
 * grants.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await remakingMaskedView(db, async () => {
    await sql`alter table household_score add column signal_departments text[] not null default '{}'`.execute(db);
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await remakingMaskedView(db, async () => {
    await sql`alter table household_score drop column signal_departments`.execute(db);
  });
}
