import type { Kysely } from 'kysely';
import { PeriodNotRun } from '../errors.js';
import { departmentIds } from '../ingest/departments.js';
import { periodWindow, type PeriodWindow } from '../period.js';
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

/**
 * The window a month's run measures by, as the ledger stands when the run starts. `delivered`
 * are the departments whose extract the month has: every other registered department's rows are
 * those of its latest earlier extract loaded (source_load), or none before its first.
 */
export async function startingWindow(db: Kysely<Database>, period: string, delivered?: readonly string[]): Promise<PeriodWindow> {
  const absent = delivered ? departmentIds().filter((id) => !delivered.includes(id)) : [];
  const notDelivered: Record<string, string | null> = Object.fromEntries(absent.map((id) => [id, null]));
  if (absent.length > 0) {
    const latest = await db
      .selectFrom('source_load')
      .select(['source', (eb) => eb.fn.max('period').as('period')])
      .where('source', 'in', absent)
      .where('period', '<', period)
      .groupBy('source')
      .execute();
    for (const l of latest) notDelivered[l.source] = l.period;
  }
  return periodWindow(period, await previousSucceededPeriod(db, period), notDelivered);
}

/**
 * The window a run measured by: its previous period as the run recorded it in its summary, not
 * as the ledger stands now (an earlier month run since would otherwise change what its list's
 * "change" was measured against).
 */
export function windowOfRun(run: Pick<Run, 'period' | 'summary'>): PeriodWindow {
  const recorded = (run.summary ?? {}) as { previous_period?: string | null; not_delivered?: Record<string, string | null> };
  return periodWindow(run.period, recorded.previous_period ?? null, recorded.not_delivered ?? {});
}
