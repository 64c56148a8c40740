import type { Kysely } from 'kysely';
import type { Database, Run } from '../src/db/schema.js';

/**
 * The run ledger: every attempt at a period, with its inputs, rules and outcome. Runs write
 * their own rows (jobs/run-period.ts); this is what the scheduler and `safetynet runs` read, and
 * the "waiting" record of a period whose extracts have not all arrived.
 */

/** One row per period and wait: a period waiting for days keeps one row, updated each tick. */
export async function recordWaiting(db: Kysely<Database>, period: string, inbox: string, configVersion: string, missing: string[]): Promise<void> {
  const error = `not delivered yet: ${missing.join(', ')}`;
  const latest = await db.selectFrom('run').select(['run_id', 'status']).where('period', '=', period).orderBy('run_id', 'desc').limit(1).executeTakeFirst();
  if (latest?.status === 'waiting') {
    await db.updateTable('run').set({ finished_at: new Date(), error, inbox }).where('run_id', '=', latest.run_id).execute();
    return;
  }
  await db.insertInto('run').values({ period, status: 'waiting', inbox, config_version: configVersion, finished_at: new Date(), error }).execute();
}

export async function succeededPeriods(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('run').select('period').distinct().where('status', '=', 'succeeded').execute();
  return new Set(rows.map((r) => r.period));
}

export async function listRuns(db: Kysely<Database>, opts: { period?: string; limit?: number } = {}): Promise<Run[]> {
  return db
    .selectFrom('run')
    .selectAll()
    .$if(opts.period !== undefined, (q) => q.where('period', '=', opts.period!))
    .orderBy('run_id', 'desc')
    .limit(opts.limit ?? 100)
    .execute();
}
