import cron from 'node-cron';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../src/config/load-config.js';
import type { OperationConfig } from '../src/config/schema.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { ExitCode, exitCodeFor, ExtractsMissing, PeriodLocked, SafetynetError, UsageError } from '../src/errors.js';
import { localTime, writeBeat, type Heartbeat, type TickBeat } from '../src/heartbeat.js';
import { addMonths, previousPeriod } from '../src/period.js';
import { exportsFolder } from '../src/context.js';
import { purgeLimit, purgeRawExtracts } from '../src/commands/purge.js';
import { completePeriodFiles } from './period-files.js';
import { succeededPeriods } from './run-ledger.js';
import { dueDays, runDay } from './run-day.js';
import { runMonth } from './run-month.js';

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
  /** exit_code: the code `run` gives for the same failure (3 refused, 8 unreachable, ...) */
  failed: { period: string; error: string; exit_code: ExitCode } | null;
  /** after a tick that ran a month: the raw extracts retention let go (privacy.purgeOnSchedule) */
  purged?: { before: string; rows: number };
}

/**
 * What `schedule --once` exits with: the failure's code, else 4 while a month waits for its
 * files (as `run` gives; normal in the first days of a month, an alarm only when it lasts),
 * else 0.
 */
export function tickExitCode(report: { failed: { exit_code: ExitCode } | null; waiting?: string | null }): ExitCode {
  if (report.failed) return report.failed.exit_code;
  if (report.waiting) return ExitCode.extractsMissing;
  return ExitCode.ok;
}

/**
 * What the config must give before a tick can fetch anything, all of it said at once: where the
 * files come from, and every environment variable the sources' headers name (a token missing
 * from the deployment is the deployer's to fix, not a department server's failure).
 */
export function checkOperation(op: OperationConfig): void {
  if (!op.sources && !op.inbox) {
    throw new UsageError('schedule needs operation.sources (where to fetch each file) or operation.inbox in the config file');
  }
  const unset = new Set<string>();
  for (const [id, source] of Object.entries(op.sources ?? {})) {
    for (const [header, value] of Object.entries(source?.headers ?? {})) {
      for (const [, name] of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        if (process.env[name!] === undefined) unset.add(`${name} (operation.sources.${id}.headers.${header})`);
      }
    }
  }
  if (unset.size > 0) {
    throw new UsageError(`environment variable(s) not set: ${[...unset].join(', ')}; set them where the scheduler runs (the container's env, the crontab), nothing was fetched`);
  }
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
  checkOperation(op);
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
        report.failed = { period, error: err.message, exit_code: err.exitCode };
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
        // the month as `run` does it, files included: a scheduled month leaves what `run` leaves
        await runMonth({ database, config, log, home: deps.home }, { period, files: folder });
        report.succeeded.push(period);
      } catch (err) {
        if (err instanceof ExtractsMissing) {
          // the month recorded itself as waiting
          periodLog.warn({ missing: err.missing }, 'waiting: extracts not all delivered; retried at the next tick');
          report.waiting = period;
        } else if (err instanceof PeriodLocked) {
          periodLog.info('another process is running this period');
        } else {
          const message = err instanceof Error ? err.message : String(err);
          periodLog.error({ err }, 'period failed; retried at the next tick');
          report.failed = { period, error: message, exit_code: exitCodeFor(err) };
          if (!(err instanceof SafetynetError)) throw err;
        }
        break; // later periods wait for this one
      }
    }
    if (report.succeeded.length > 0 && config.config.privacy.purgeOnSchedule) {
      // once a month, after the run that moves the retention window: what `purge` would allow
      const latest = [...succeeded, ...report.succeeded].sort().at(-1)!;
      const before = purgeLimit(latest, config.config.privacy.retentionMonths).limit;
      try {
        const result = await purgeRawExtracts(database.pool, database.db, { before, retentionMonths: config.config.privacy.retentionMonths }, log);
        report.purged = { before, rows: Object.values(result.deleted).reduce((a, b) => a + b, 0) };
      } catch (err) {
        // the month's run stands; a purge blocked (a rerun of an old month holds its lock) is
        // tried again after the next month's run, and `purge` can be run by hand meanwhile
        if (!(err instanceof SafetynetError)) throw err;
        log.error({ err, before }, 'retention purge failed; tried again after the next run');
      }
    }
    return report;
  } finally {
    await database.close();
  }
}

export interface NightReport {
  succeeded: string[];
  failed: { day: string; error: string; exit_code: ExitCode } | null;
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
        report.failed = { day, error: err instanceof Error ? err.message : String(err), exit_code: exitCodeFor(err) };
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

/**
 * One tick with its heartbeat (src/heartbeat.ts), written as it starts and as it ends, however
 * it ends. The heartbeat's times are the machine's clock, never `deps.now`: a probe compares them
 * with its own.
 */
async function withHeartbeat<R>(
  deps: SchedulerDeps,
  kind: keyof Heartbeat,
  run: () => Promise<R>,
  outcomes: (r: R) => TickBeat['outcomes'],
  exitCode: (r: R) => number,
): Promise<R> {
  const tz = deps.config.config.operation.timezone;
  const started = new Date();
  const beat: TickBeat = {
    state: 'running',
    started_at: started.toISOString(),
    started_local: localTime(started, tz),
    finished_at: null,
    finished_local: null,
    time_zone: tz,
    outcomes: [],
    exit_code: null,
    error: null,
    pid: process.pid,
  };
  const write = async (b: TickBeat) => {
    // a heartbeat that cannot be written goes stale, and `status` says so: not a reason to skip a run
    await writeBeat(deps.home, kind, b).catch((err: unknown) => deps.log.error({ err }, 'could not write the heartbeat'));
  };
  const finish = async (fields: Pick<TickBeat, 'outcomes' | 'exit_code' | 'error'>) => {
    const at = new Date();
    await write({ ...beat, state: 'finished', finished_at: at.toISOString(), finished_local: localTime(at, tz), ...fields });
  };
  await write(beat);
  try {
    const result = await run();
    await finish({ outcomes: outcomes(result), exit_code: exitCode(result), error: null });
    return result;
  } catch (err) {
    await finish({ outcomes: [], exit_code: exitCodeFor(err), error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

/** A monthly tick, recorded in the heartbeat. */
export function monthlyTick(deps: SchedulerDeps): Promise<TickReport> {
  return withHeartbeat(
    deps,
    'monthly',
    () => tick(deps),
    (r) => [
      ...r.succeeded.map((period) => ({ period, outcome: 'succeeded' as const, exit_code: ExitCode.ok })),
      ...(r.waiting ? [{ period: r.waiting, outcome: 'waiting' as const, exit_code: ExitCode.extractsMissing }] : []),
      ...(r.failed ? [{ period: r.failed.period, outcome: 'failed' as const, exit_code: r.failed.exit_code, error: r.failed.error }] : []),
    ],
    tickExitCode,
  );
}

/** A night tick, recorded in the heartbeat beside the monthly one. */
export function nightlyTick(deps: SchedulerDeps): Promise<NightReport> {
  return withHeartbeat(
    deps,
    'night',
    () => nightTick(deps),
    (r) => [
      ...r.succeeded.map((day) => ({ period: day, outcome: 'succeeded' as const, exit_code: ExitCode.ok })),
      ...(r.failed ? [{ period: r.failed.day, outcome: 'failed' as const, exit_code: r.failed.exit_code, error: r.failed.error }] : []),
    ],
    tickExitCode,
  );
}

export interface RunningScheduler {
  /** stops taking ticks and waits for the current one */
  stop(): Promise<void>;
}

/** Starts the cron task and catches up at once. Ticks never overlap. */
export function startScheduler(deps: SchedulerDeps): RunningScheduler {
  const op = deps.config.config.operation;
  // refused before the first tick: a scheduler that could never fetch must not look alive
  checkOperation(op);
  let current: Promise<unknown> = Promise.resolve();
  let busy = false;
  const run = (reason: string) => {
    if (busy) {
      deps.log.warn({ reason }, 'previous tick still running: this one is skipped');
      return current;
    }
    busy = true;
    current = monthlyTick(deps)
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
            current = nightlyTick(deps)
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
