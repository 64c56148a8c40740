import { type Kysely, sql } from 'kysely';

/**
 * The scores' index on (period, rank) holds the households on a list only: over the threshold
 * (`on_list`) or covered and flagged for review (`review`), the rows every reader that reads in
 * rank order asks for (the list and its workbook, a card's places, a street's capacity). Every
 * other household of the month had an entry no one read: at 1,000,000 households 32 MiB a month
 * for an index of which 16% was ever read (171,527 listed of 1,064,372). `--all`, the whole
 * city in rank order, sorts instead; it was always the whole month's rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index scored_household_rank;
    create index scored_household_rank on scored_household (period, rank) where on_list or review;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index scored_household_rank;
    create index scored_household_rank on scored_household (period, rank);
  `.execute(db);
}
