import cron from 'node-cron';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../src/config/load-config.js';
import type { OperationConfig } from '../src/config/schema.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { ExtractsMissing, PeriodLocked, PullFailed, SafetynetError, UsageError } from '../src/errors.js';
import { addMonths, previousPeriod } from '../src/period.js';
import { pullPeriod } from '../src/pull/pull-period.js';
import { exportsFolder } from '../src/context.js';
import { completePeriodFiles, writePeriodFiles } from './period-files.js';
import { recordWaiting, succeededPeriods } from './run-ledger.js';
import { dueDays, runDay } from './run-day.js';
import { runPeriod } from './run-period.js';

/**
 * Unattended operation. A cron tick only triggers; the ledger decides what is due: every period
 * from the first one owed up to last month that has no successful run, oldest first. A period
 * whose files have not all arrived is "waiting" and retried at the next tick; the periods after
 * it wait for it, so that each is compared with the one before.
 */
export interface SchedulerDeps {
  config: LoadedConfig;
  log: Logger;
  home: string;
  /** opens the database for one tick: an embedded server is not held between ticks */
  openDatabase: () => Promise<DatabaseHandle>;
  now?: () => Date;
}

export interface TickReport {
  succeeded: string[];
  waiting: string | null;
  failed: { period: string; error: string } | null;
}

/** The calendar month `now` falls in, on the bureau's clock. */
export function currentPeriod(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}`;
}

/** Periods owed a run, oldest first: a month is due once it has ended. */
export function duePeriods(op: OperationConfig, now: Date, succeeded: Set<string>): string[] {
  const last = previousPeriod(currentPeriod(now, op.timezone));
  const latestDone = [...succeeded].sort().at(-1);
  const first = op.firstPeriod ?? (latestDone && latestDone < last ? addMonths(latestDone, 1) : last);
  if (first > last) return [];
  const due: string[] = [];
  for (let p = first; p <= last; p = addMonths(p, 1)) if (!succeeded.has(p)) due.push(p);
  return due;
}

export async function tick(deps: SchedulerDeps): Promise<TickReport> {
  const { config, log } = deps;
  const op = config.config.operation;
  const report: TickReport = { succeeded: [], waiting: null, failed: null };
  const database = await deps.openDatabase();
  try {
    const succeeded = await succeededPeriods(database.db);
    // the files of a run are the run's end, here as in `run`: those a killed process did not
    // write are written now, from what it committed
    const folder = await exportsFolder({ home: deps.home }, config);
    for (const period of [...succeeded].sort()) {
      try {
        await completePeriodFiles(database, folder, [period], log.child({ period }));
      } catch (err) {
        if (!(err instanceof SafetynetError)) throw err;
        log.error({ err, period }, 'could not write the files of a successful run; retried at the next tick');
        report.failed = { period, error: err.message };
        return report;
      }
    }
    const due = duePeriods(op, (deps.now ?? (() => new Date()))(), succeeded);
    if (due.length === 0) {
      log.info('nothing due');
      return report;
    }
    log.info({ due }, 'periods due');
    for (const period of due) {
      const periodLog = log.child({ period });
      try {
        const pulled = await pullPeriod(op, deps.home, period, periodLog);
        if (pulled.missing.length > 0) throw new ExtractsMissing(period, pulled.missing);
        await runPeriod({ database, config, log }, { inbox: pulled.inbox, period });
        report.succeeded.push(period);
        await writePeriodFiles(database, folder, period, periodLog);
      } catch (err) {
        if (err instanceof ExtractsMissing) {
          await recordWaiting(database.db, period, op.inbox ?? 'pulled', config.version, err.missing);
          periodLog.warn({ missing: err.missing }, 'waiting: extracts not all delivered; retried at the next tick');
          report.waiting = period;
        } else if (err instanceof PeriodLocked) {
          periodLog.info('another process is running this period');
        } else {
          const message = err instanceof Error ? err.message : String(err);
          if (err instanceof PullFailed) {
            await database.db
              .insertInto('run')
              .values({ period, status: 'failed', inbox: 'pulled', config_version: config.version, finished_at: new Date(), error: message })
              .execute();
          }
          periodLog.error({ err }, 'period failed; retried at the next tick');
          report.failed = { period, error: message };
          if (!(err instanceof SafetynetError)) throw err;
        }
        break; // later periods wait for this one
      }
    }
    return report;
  } finally {
    await database.close();
  }
}

export interface NightReport {
  succeeded: string[];
  failed: { day: string; error: string } | null;
  urgent_raised: number;
}

/** One night tick: every delivered day of the local inbox without a successful night run, oldest first. */
export async function nightTick(deps: SchedulerDeps): Promise<NightReport> {
  const { config, log } = deps;
  const inbox = config.config.operation.inbox;
  const report: NightReport = { succeeded: [], failed: null, urgent_raised: 0 };
  if (!inbox) return report;
  const database = await deps.openDatabase();
  try {
    for (const day of await dueDays(database, inbox)) {
      try {
        const summary = await runDay({ database, config, log }, { inbox, day });
        report.succeeded.push(day);
        report.urgent_raised += summary.urgent_raised;
      } catch (err) {
        if (err instanceof PeriodLocked) continue;
        report.failed = { day, error: err instanceof Error ? err.message : String(err) };
        log.error({ err, day }, 'night run failed; retried at the next night tick');
        if (!(err instanceof SafetynetError)) throw err;
        // days are independent (each compares with the monthly run): one bad file stops no other day
      }
    }
    return report;
  } finally {
    await database.close();
  }
}

export interface RunningScheduler {
  /** stops taking ticks and waits for the current one */
  stop(): Promise<void>;
}

/** Starts the cron task and catches up at once. Ticks never overlap. */
export function startScheduler(deps: SchedulerDeps): RunningScheduler {
  const op = deps.config.config.operation;
  if (!op.sources && !op.inbox) {
    throw new UsageError('schedule needs operation.sources (where to fetch each file) or operation.inbox in the config file');
  }
  let current: Promise<unknown> = Promise.resolve();
  let busy = false;
  const run = (reason: string) => {
    if (busy) {
      deps.log.warn({ reason }, 'previous tick still running: this one is skipped');
      return current;
    }
    busy = true;
    current = tick(deps)
      .then((report) => deps.log.info({ reason, ...report }, 'tick done'))
      .catch((err: unknown) => deps.log.error({ err, reason }, 'tick failed'))
      .finally(() => {
        busy = false;
      });
    return current;
  };
  // the guard above skips a tick that comes while one runs, and says so in the JSON log; handed
  // the promise, node-cron would print its own plain-text warning to stderr for each such tick
  const task = cron.schedule(op.schedule, () => void run('schedule'), { timezone: op.timezone, noOverlap: true, name: 'safetynet' });
  // the night run shares the guard: a month's run and a night's never hold the database together
  const night =
    op.nightlySchedule && op.inbox
      ? cron.schedule(
          op.nightlySchedule,
          () => {
            if (busy) return deps.log.warn('a tick is still running: the night run waits for the next night');
            busy = true;
            current = nightTick(deps)
              .then((report) => deps.log.info({ ...report }, 'night tick done'))
              .catch((err: unknown) => deps.log.error({ err }, 'night tick failed'))
              .finally(() => {
                busy = false;
              });
          },
          { timezone: op.timezone, noOverlap: true, name: 'safetynet-night' },
        )
      : null;
  if (op.nightlySchedule && !op.inbox) deps.log.info('no night runs: daily deltas are read from operation.inbox/daily/, which is not set');
  deps.log.info({ schedule: op.schedule, timezone: op.timezone, next: task.getNextRun()?.toISOString() }, 'scheduler started');
  void run('start: catching up');
  return {
    async stop() {
      await task.stop();
      await task.destroy();
      await night?.stop();
      await night?.destroy();
      await current;
    },
  };
}
