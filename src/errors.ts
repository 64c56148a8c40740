/**
 * Typed errors. Each carries what a user needs to act on it (file, line, column) and maps to
 * one documented exit code in `exitCodeFor`; the CLI wrapper is the only place that exits.
 */

export const ExitCode = {
  ok: 0,
  /** a bug or an unexpected failure: the log has the stack */
  internal: 1,
  /** bad command line or a config file that does not validate */
  usage: 2,
  /** an extract could not be trusted (manifest mismatch, unreadable header, mostly rejected rows): nothing of the period was loaded */
  inputRefused: 3,
  /** one or more of the period's required extracts is not in the inbox yet */
  extractsMissing: 4,
  /** PostgreSQL could not be reached or started */
  databaseUnavailable: 5,
  /** `replay`: a warning list differs from the expected one */
  replayDiffers: 6,
  /** another process holds the period's lock */
  lockHeld: 7,
  /** a source could not be fetched, even after retries (server down, refused, forbidden, too slow for the deadline, over the size cap) */
  pullFailed: 8,
  /** a file (list, report) could not be written: full disk, read-only folder; the database part stands */
  outputFailed: 9,
  /** the database login may not do this (an exporter asking for the batch's tables, a scope it was not granted) */
  notPermitted: 10,
  /** `status`: the scheduler's last tick failed, or none finished within operation.heartbeatMaxAgeHours */
  unhealthy: 11,
  /** stopped by SIGINT (128 + SIGINT) */
  interrupted: 130,
  /** stopped by SIGTERM (128 + SIGTERM) */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class SafetynetError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends SafetynetError {
  readonly exitCode = ExitCode.usage;
}

export class ConfigInvalid extends SafetynetError {
  readonly exitCode = ExitCode.usage;
  constructor(readonly source: string, readonly problems: string[]) {
    super(`config ${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface FileLocation {
  file: string;
  line?: number;
  column?: string;
}

function where(loc: FileLocation): string {
  return [loc.file, loc.line !== undefined ? `line ${loc.line}` : '', loc.column ? `column ${loc.column}` : '']
    .filter(Boolean)
    .join(', ');
}

/** A whole extract is refused: nothing of it (and nothing of its period) is loaded. */
export class ExtractRejected extends SafetynetError {
  readonly exitCode = ExitCode.inputRefused;
  constructor(readonly location: FileLocation, readonly problem: string, options?: { cause?: unknown }) {
    super(`${where(location)}: ${problem}`, options);
  }
}

export class ManifestMismatch extends SafetynetError {
  readonly exitCode = ExitCode.inputRefused;
  constructor(readonly file: string, readonly problem: string) {
    super(`${file} does not match manifest.json: ${problem}. The period was refused whole; nothing was loaded.`);
  }
}

/**
 * A department's month rejected far more rows than it should (a format change: 9-digit region
 * codes, swapped columns), or the roster loaded no row: the period is refused whole and keeps
 * its previous list. `departments` holds one sentence per department over its limit.
 */
export class TooManyRejects extends SafetynetError {
  readonly exitCode = ExitCode.inputRefused;
  constructor(readonly period: string, readonly departments: string[]) {
    super(
      `period ${period} refused: ${departments.join('; ')}. Nothing of the period was loaded and its previous results stand; ` +
        'see docs/decisions.md (ingest.maxRejectRate) and have the department fix and resend the file',
    );
  }
}

/**
 * No successful run of the period in this database. Run from another folder, a command opens
 * another (new, empty) SAFETYNET_HOME: the CLI adds which database it looked in (`where`).
 */
export class PeriodNotRun extends UsageError {
  constructor(readonly period: string, readonly where?: string) {
    super(
      `no successful run for period ${period}${where ? ` in ${where}` : ''}: run it first (safetynet run --inbox DIR --period ${period})` +
        (where?.startsWith('embedded PostgreSQL in ') ? ', or point SAFETYNET_HOME (--home) at the folder the run used' : ''),
    );
  }
}

export class ExtractsMissing extends SafetynetError {
  readonly exitCode = ExitCode.extractsMissing;
  constructor(readonly period: string, readonly missing: string[]) {
    super(`period ${period}: not delivered yet: ${missing.join(', ')}`);
  }
}

export class DatabaseUnavailable extends SafetynetError {
  readonly exitCode = ExitCode.databaseUnavailable;
}

export class ReplayDiffers extends SafetynetError {
  readonly exitCode = ExitCode.replayDiffers;
  constructor(readonly periods: string[]) {
    super(`replay: the warning list of ${periods.join(', ')} differs from the expected one (diff above)`);
  }
}

export class PeriodLocked extends SafetynetError {
  readonly exitCode = ExitCode.lockHeld;
  constructor(readonly period: string) {
    super(`period ${period} is being run by another process; nothing was written`);
  }
}

/** SIGINT or SIGTERM stopped the command: its transaction was rolled back. */
export class Interrupted extends SafetynetError {
  readonly exitCode: ExitCode;
  constructor(readonly signal: 'SIGINT' | 'SIGTERM', options?: { cause?: unknown }) {
    const exitCode = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
    super(`interrupted by ${signal} (exit ${exitCode}): the work in progress was rolled back, nothing of it was committed`, options);
    this.exitCode = exitCode;
  }
}

export class PullFailed extends SafetynetError {
  readonly exitCode = ExitCode.pullFailed;
  constructor(readonly source: string, problem: string, options?: { cause?: unknown }) {
    super(`could not fetch ${source}: ${problem}`, options);
  }
}

/**
 * The database refused this login (SQLSTATE 42501): say which login and what to use instead,
 * not a stack trace. An exporter reads lists and cards; the batch's tables are not for it.
 */
export class NotPermitted extends SafetynetError {
  readonly exitCode = ExitCode.notPermitted;
  constructor(problem: string, options?: { cause?: unknown }) {
    super(
      `the database refused this login: ${problem}. Exports and household cards (safetynet export, explain) are what safetynet_exporter logins may read; ` +
        'run, report, review, quality, audit and purge need the batch or owner login (docs/privacy.md)',
      options,
    );
  }
}

/**
 * `schedule --once`: a tick that did not do all it owed exits with its worst outcome's code
 * (a refused month 3, a late file 4, an unreachable source 8, ...), so that cron mails and a
 * CronJob's Job fails; the JSON report on stdout says which period and why.
 */
export class TickNotDone extends SafetynetError {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, problem: string) {
    super(problem);
    this.exitCode = exitCode;
  }
}

/** `status`: what makes the scheduler unhealthy, one sentence each. */
export class Unhealthy extends SafetynetError {
  readonly exitCode = ExitCode.unhealthy;
  constructor(readonly problems: string[]) {
    super(`unhealthy: ${problems.join('; ')}`);
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof SafetynetError) return err.exitCode;
  return ExitCode.internal;
}

export const exitCodeHelp = `Exit codes:
  0    success
  1    unexpected error (see the log)
  2    usage: bad arguments or an invalid config file
  3    input refused: an extract failed its manifest or could not be read, or a department's rows were
       mostly rejected; nothing of the period was loaded, it keeps its previous list
  4    extracts missing: the period's files have not all arrived
  5    database unavailable
  6    replay: a warning list differs from the expected one
  7    the period is locked by another run
  8    a source could not be fetched, even after retries, within its deadline or under the size cap
  9    an output file could not be written (disk full, read-only); what the database holds is committed
  10   not permitted: this database login may not read or do that (docs/privacy.md)
  11   status: the scheduler's last tick failed, or none finished within operation.heartbeatMaxAgeHours
  130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM: the period's transaction is rolled back`;

export class OutputNotWritten extends SafetynetError {
  readonly exitCode = ExitCode.outputFailed;
  constructor(readonly file: string, problem: string, options?: { cause?: unknown }) {
    super(`cannot write ${file}: ${problem}. What the database holds is committed; free space there and rerun (or safetynet export)`, options);
  }
}
