import type { Logger } from 'pino';
import { ExtractsMissing, PullFailed } from '../src/errors.js';
import { assertPeriod } from '../src/period.js';
import { pullPeriod } from '../src/pull/pull-period.js';
import { openRunListCopy, writePeriodFiles, type ExportsFolder, type PeriodFiles } from './period-files.js';
import { recordWaiting } from './run-ledger.js';
import { runPeriod, type RunDeps, type RunSummary } from './run-period.js';

/**
 * One month, whole: its extracts located (or pulled from the departments' servers), the run of
 * jobs/run-period.ts (ingest, rescue, link, score and ledger in one transaction), then the
 * month's files. `run`, `schedule` and `replay` all call this, so a month leaves the same
 * ledger rows and the same files whichever of them ran it.
 */
export interface MonthDeps extends RunDeps {
  /** SAFETYNET_HOME: pulled extracts are kept under it */
  home: string;
}

export interface MonthOptions {
  period: string;
  /** a local inbox in the contract's layout; left out, the config's operation.sources are fetched (operation.inbox read when there are none) */
  inbox?: string;
  /** where the month's files go (SAFETYNET_HOME/exports); null writes none (`run --no-export`) */
  files: ExportsFolder | null;
}

export type MonthSummary = RunSummary &
  Partial<PeriodFiles> & {
    /** the inbox the extracts were read from (the pulled folder when they were fetched) */
    inbox: string;
  };

export async function runMonth(deps: MonthDeps, opts: MonthOptions): Promise<MonthSummary> {
  const period = assertPeriod(opts.period);
  const log = deps.log.child({ period });
  const inbox = opts.inbox ?? (await pullMonth(deps, period, log));
  // the list file is written by the run as it reads the list for its hash, beside its target;
  // renamed into place after the commit, with the data-quality report. A process killed in
  // between is completed by the next `run` of the month or the next tick (completePeriodFiles)
  const listCopy = opts.files ? await openRunListCopy(opts.files, period) : null;
  let summary;
  try {
    summary = await runPeriod(deps, { inbox, period, listCopy });
  } catch (err) {
    await listCopy?.side.discard();
    throw err;
  }
  const files = opts.files ? await writePeriodFiles(deps.database, opts.files, period, log, listCopy) : {};
  return { ...summary, ...files, inbox };
}

/** The month's files fetched into SAFETYNET_HOME/pulled; the ledger records a fetch that failed or is not complete. */
async function pullMonth(deps: MonthDeps, period: string, log: Logger): Promise<string> {
  const { database, config } = deps;
  let pulled;
  try {
    pulled = await pullPeriod(config.config.operation, deps.home, period, log, config.config.departments);
  } catch (err) {
    // a department's server down is the month's failure, recorded like a refused file
    if (err instanceof PullFailed) {
      await database.db
        .insertInto('run')
        .values({ period, status: 'failed', inbox: 'pulled', config_version: config.version, finished_at: new Date(), error: err.message })
        .execute();
    }
    throw err;
  }
  if (pulled.missing.length > 0) {
    // not delivered yet is no failure of the data: the month waits, as when a local file is missing
    await recordWaiting(database.db, period, pulled.inbox, config.version, pulled.missing);
    throw new ExtractsMissing(period, pulled.missing);
  }
  return pulled.inbox;
}
