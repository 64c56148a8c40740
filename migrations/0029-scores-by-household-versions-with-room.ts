import { type Kysely, sql } from 'kysely';

/**
 * Two changes to what an ordinary month adds to the database, neither to what anyone reads.
 *
 * The scores' key is (household_id, period) instead of (period, household_id), and the index on
 * (household_id, period) goes: it held the same entries as the key in the other order (each
 * period is a partition of its own), 10 MiB a month at 250,000 households. The key in this order
 * answers both questions: a period's household (both columns given) and a household's periods
 * (the card's history, the first column given); a period alone is its partition.
 *
 * The versions' tables leave 15% of each page free. A month ends about one roster version in
 * fourteen and one household version in seven by setting its `valid_until`, which no index
 * holds: with room on its page, PostgreSQL writes the ended version beside the old one and adds
 * no index entry (a heap-only update), and the old one's space is taken back the next time the
 * page is read. Without room, each ended version was a new tuple at the table's end, three new
 * index entries for the roster, and a dead tuple that only VACUUM frees. A new page is filled to
 * 85% from now on; pages already full stay as they are until they are rewritten.
 */
const VERSIONS = ['roster_version', 'household_version'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table scored_household drop constraint scored_household_pkey;
    alter table scored_household add constraint scored_household_pkey primary key (household_id, period);
    drop index scored_household_household;
  `.execute(db);
  for (const table of VERSIONS) await sql`alter table ${sql.table(table)} set (fillfactor = 85)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of VERSIONS) await sql`alter table ${sql.table(table)} reset (fillfactor)`.execute(db);
  await sql`
    create index scored_household_household on scored_household (household_id, period);
    alter table scored_household drop constraint scored_household_pkey;
    alter table scored_household add constraint scored_household_pkey primary key (period, household_id);
  `.execute(db);
}
