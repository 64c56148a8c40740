import type { Logger } from 'pino';
import { monthlyTick, startScheduler, tickExitCode } from '../../jobs/schedule.js';
import { openMigrated, resolveConfig, resolveHome, type GlobalOptions } from '../context.js';
import { TickNotDone } from '../errors.js';
import { untilInterrupted } from '../interrupt.js';

export interface ScheduleOptions extends GlobalOptions {
  /** one tick and exit: for cron(8) or a Kubernetes CronJob instead of a long-running process */
  once?: boolean;
}

/**
 * `safetynet schedule`: the long-running process of unattended operation. SIGINT and SIGTERM
 * end it: the current run's transaction rolls back (its lock goes with it), the embedded
 * server stops, and the exit code is 130 or 143.
 */
export async function scheduleCommand(opts: ScheduleOptions, log: Logger): Promise<void> {
  const config = resolveConfig(opts);
  const deps = { config, log, home: resolveHome(opts), openDatabase: () => openMigrated(opts, log) };
  if (opts.once) {
    const report = await monthlyTick(deps);
    const exitCode = tickExitCode(report);
    process.stdout.write(`${JSON.stringify({ ...report, exit_code: exitCode })}\n`);
    if (report.failed) throw new TickNotDone(exitCode, `period ${report.failed.period} failed: ${report.failed.error}`);
    if (report.waiting) throw new TickNotDone(exitCode, `period ${report.waiting} waits for its files; the next tick tries again`);
    return;
  }
  const scheduler = startScheduler(deps);
  // runs until a signal: the current tick's run is cut off and recorded as interrupted, and
  // src/main.ts exits 130/143
  const signal = await untilInterrupted();
  await scheduler.stop();
  log.info({ signal }, 'scheduler stopped');
}
