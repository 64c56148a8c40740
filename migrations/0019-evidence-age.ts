import { type Kysely, sql } from 'kysely';
import { remakingMaskedView } from './0007-dimension-scores-as-data.js';

/**
 * `low_confidence`: every dated fact behind the household's reasons came from a department's
 * extract `evidence.staleMonths` or more older than the period (scoring/evidence.ts): the list,
 * its JSON and the card mark it, for the visit to confirm what the extracts may no longer say.
 * Periods scored before it have none. The masked view is `select *` of the table as it was, so it
 * is made again over the new column, with its grants.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await remakingMaskedView(db, async () => {
    await sql`alter table household_score add column low_confidence boolean not null default false`.execute(db);
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await remakingMaskedView(db, async () => {
    await sql`alter table household_score drop column low_confidence`.execute(db);
  });
}
