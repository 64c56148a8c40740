import { type Kysely, sql } from 'kysely';
import { up as latestTable } from './0023-claim-latest-version.js';
import { up as latestBuild } from './0024-claim-latest-bulk-build.js';
import { grantsOn, regrant } from './0018-period-partitions.js';
import { currentUser, owner } from './0026-score-explanations.js';

/**
 * Each claim version says which period superseded it: `claim.superseded_by`, the received period
 * of the claim's next version, null while it is the latest. A period's claims are then the
 * versions received up to it and not superseded by then, read straight from `claim`, exactly for
 * any period, an earlier month's rerun included.
 *
 * It replaces `claim_latest` (migrations 0023 and 0024), which held a second copy of nearly every
 * claim (the latest version of each, 336 MiB beside claim's 463 at 250,000 households, 28 MiB
 * more a month) and answered only for the newest period (a rerun sorted every version instead).
 * A month now sets the column on the versions its claims supersede, about 1% of them, and the
 * new versions come in with it null: no copy, no bulk build, no owner's function.
 *
 * `claim_superseded` finds the versions a period superseded, for a rerun of that period that
 * takes its claims out again (src/db/latest-claims.ts); it holds only the superseded versions.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table claim add column superseded_by text;
    update claim c set superseded_by = n.next
    from (select claim_id, received_period, lead(received_period) over (partition by claim_id order by received_period) as next from claim) n
    where n.next is not null and c.claim_id = n.claim_id and c.received_period = n.received_period;
    create index claim_superseded on claim (superseded_by) where superseded_by is not null;
    drop function safetynet_build_latest_claims(boolean);
    drop table claim_latest;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index claim_superseded;
    alter table claim drop column superseded_by;
  `.execute(db);
  await latestTable(db);
  await latestBuild(db);
  // the batch's table like claim (migration 0023), claim's owner's: claim's grants, on it; its
  // build function the owner's (0024's up lets the batch call it when the owner migrates)
  const grants = await grantsOn(db, ['public.claim']);
  await regrant(db, grants.map((g) => ({ ...g, relation: 'public.claim_latest' })));
  const claimOwner = await owner(db, 'public.claim');
  if (claimOwner !== (await currentUser(db))) {
    await sql`alter table claim_latest owner to ${sql.id(claimOwner)}`.execute(db);
    await sql`alter function safetynet_build_latest_claims(boolean) owner to ${sql.id(claimOwner)}`.execute(db);
  }
}
