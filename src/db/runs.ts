import type { Kysely } from 'kysely';
import { PeriodNotRun } from '../errors.js';
import type { Database, Run } from './schema.js';

/** Reads of the run ledger that exports, reports and scoring share. Executor first, one query each. */

export function latestSucceededRun(db: Kysely<Database>, period: string): Promise<Run | undefined> {
  return db
    .selectFrom('run')
    .selectAll()
    .where('period', '=', period)
    .where('status', '=', 'succeeded')
    .orderBy('run_id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The period's latest successful run, or a usage error that says how to get one. */
export async function requireSucceededRun(db: Kysely<Database>, period: string): Promise<Run> {
  const run = await latestSucceededRun(db, period);
  if (!run) throw new PeriodNotRun(period);
  return run;
}

/** The latest period with a successful run before `period` (or up to it, with `orSame`). */
async function latestSucceededPeriod(db: Kysely<Database>, period: string, orSame: boolean): Promise<string | null> {
  const row = await db
    .selectFrom('run')
    .select('period')
    .where('status', '=', 'succeeded')
    .where('period', orSame ? '<=' : '<', period)
    .orderBy('period', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.period ?? null;
}

/** The latest earlier period with a successful run: what `change` and an income fall compare against. */
export function previousSucceededPeriod(db: Kysely<Database>, period: string): Promise<string | null> {
  return latestSucceededPeriod(db, period, false);
}

/** The latest period run successfully up to and including `period`: what a night compares with. */
export function succeededPeriodUpTo(db: Kysely<Database>, period: string): Promise<string | null> {
  return latestSucceededPeriod(db, period, true);
}
