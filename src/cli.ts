import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { auditCommand } from './commands/audit.js';
import { diffCommand } from './commands/diff.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { migrateCommand } from './commands/migrate.js';
import { replayCommand } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { scheduleCommand } from './commands/schedule.js';
import type { GlobalOptions } from './context.js';
import { ExitCode, exitCodeFor, exitCodeHelp, ReplayDiffers, SafetynetError } from './errors.js';
import { createLogger } from './log.js';

/**
 * The `safetynet` command line. This file only registers commands; each command is a plain
 * function in src/commands/, and `main` is the one place that turns errors into exit codes.
 */

const ENV_HELP = `
Environment:
  DATABASE_URL         use this PostgreSQL server instead of the embedded one
  SAFETYNET_HOME       where the embedded PostgreSQL and exports live (default ./.safetynet)
  SAFETYNET_CONFIG     config file (JSON, overrides the documented defaults)
  SAFETYNET_LOG_LEVEL  trace, debug, info (default), warn, error

${exitCodeHelp}
`;

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

function globals(cmd: Command): GlobalOptions & { logJson?: boolean; logLevel?: string } {
  return cmd.optsWithGlobals();
}

function logger(cmd: Command): Logger {
  const o = globals(cmd);
  return createLogger({ json: o.logJson, level: o.logLevel as never });
}

export function buildProgram(): Command {
  const program = new Command('safetynet')
    .description('Policy finds people: scores every household on six dimensions from four departments\' monthly extracts and writes a ranked, explained warning list for home visits.')
    .option('--home <dir>', 'SAFETYNET_HOME: embedded database and exports')
    .option('--config <file>', 'config file (JSON) over the documented defaults')
    .option('--database-url <url>', 'PostgreSQL server to use (default: DATABASE_URL, else embedded)')
    .option('--log-json', 'JSON log lines on stderr even on a terminal')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .addHelpText('after', ENV_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run the monthly job: pull the period\'s four extracts, verify, ingest, link, score, record the run and write the warning list')
    .option('--inbox <dir>', 'inbox folder: <inbox>/<period>/{civil-affairs,disability,medical-insurance,health}.csv (default: fetch from the config\'s operation.sources)')
    .option('--period <YYYY-MM>', 'the period to run (default: every period folder of the inbox, oldest first)')
    .option('--json', 'print one JSON summary line per period on stdout')
    .option('--no-export', 'do not write the warning list under SAFETYNET_HOME/exports')
    .addHelpText('after', `
Examples:
  safetynet run --inbox fixtures/district-a/inbox --period 2026-10
  safetynet run --inbox /data/inbox --period 2026-10 --json
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await runCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('export')
    .description('write the ranked warning list of a period that has been run')
    .requiredOption('--period <YYYY-MM>', 'the period')
    .addOption(
      new Option('--format <format>', 'csv; json (one object per household, reasons as structured facts); xlsx (a summary sheet, then one sheet per street)')
        .choices(['csv', 'json', 'xlsx'])
        .default('csv'),
    )
    .option('--out <file>', 'output file, or - for stdout', '-')
    .option('--all', 'every scored household with its six dimension scores, not only those over the threshold')
    .option('--region <code>', 'a 12-digit community code, a 9-digit street or a 6-digit county prefix')
    .option('--top <n>', 'only the first N households', positiveInt)
    .option('--unmasked', 'names and ID numbers in clear (needs --purpose; audited)')
    .option('--operator <name>', 'who takes the export, for the audit log (default: SAFETYNET_OPERATOR, else the login name)')
    .option('--purpose <text>', 'why, for the audit log; required with --unmasked')
    .addOption(new Option('--lang <lang>', 'header and value language').choices(['en', 'zh']).default('en'))
    .addHelpText('after', `
IDs show their first 6 and last 4 characters and names their first character unless --unmasked.
Every export is recorded in the audit log (safetynet audit) in the transaction that read its rows;
a file is put in place only once its audit row is committed.
Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await exportCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('replay')
    .description('run every period of a fixture folder on a throwaway database and compare each warning list with the expected one')
    .argument('<dir>', 'folder with inbox/, expected/warning-list-<period>.csv and optionally config.json')
    .option('--update', 'write the actual lists as the expected ones (after an intended rule change)')
    .addHelpText('after', `
Exits 0 when every list matches, 6 with a diff when one differs.
${exitCodeHelp}`)
    .action(async (dir: string, opts, cmd: Command) => {
      await replayCommand({ ...globals(cmd), ...opts, dir }, logger(cmd));
    });

  program
    .command('schedule')
    .description('unattended operation: on the config\'s cron schedule (operation.schedule, operation.timezone), fetch and run every period that is due and not yet done')
    .option('--once', 'one tick, then exit (for cron(8) or a CronJob); prints a JSON report')
    .addHelpText('after', `
A tick only triggers; the run ledger decides what is due: every month from operation.firstPeriod
(default: last month) up to last month without a successful run, oldest first. A period whose
files have not all arrived is recorded as waiting and retried at the next tick. SIGINT/SIGTERM
stop the process; the current run rolls back and is redone at the next start.
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await scheduleCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('runs')
    .description('the run ledger: every run with its period, status, times, counts and output hash, newest first')
    .option('--period <YYYY-MM>', 'only this period')
    .option('--limit <n>', 'at most N runs (default 100)', positiveInt)
    .option('--json', 'one JSON object per line')
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await runsCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('report')
    .description('the monthly report: one self-contained HTML file (no network) with charts of the period\'s aggregates and data quality')
    .requiredOption('--period <YYYY-MM>', 'the period (it must have been run)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .addOption(new Option('--lang <lang>', 'language').choices(['en', 'zh']).default('en'))
    .addHelpText('after', `
Only aggregates: no name, no ID number. Opens on a locked-down office PC: no script, no CDN.
Example: safetynet report --period 2026-10 --lang zh --out report-2026-10.html
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      process.stdout.write(`${await reportCommand({ ...globals(cmd), ...opts }, logger(cmd))}\n`);
    });

  program
    .command('explain')
    .description('the household card: members, each dimension\'s points with their facts and sources, coverage, history, what changed')
    .argument('<household_id>', 'the household (as in the list)')
    .requiredOption('--period <YYYY-MM>', 'the period')
    .option('--json', 'one JSON object')
    .option('--unmasked', 'names, ID numbers and diagnosis codes in clear (logged)')
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (householdId: string, opts, cmd: Command) => {
      await explainCommand({ ...globals(cmd), ...opts, householdId }, logger(cmd));
    });

  program
    .command('diff')
    .description('what-if: score a period under another config and list who would enter or leave the list, without touching the stored results')
    .requiredOption('--period <YYYY-MM>', 'the period (it must have been run)')
    .option('--top <n>', 'how many of the largest other moves to show (default 20)', positiveInt)
    .option('--json', 'one JSON object')
    .addHelpText('after', `
The config to try is the one given with --config (before or after "diff"); the stored results
stay those of the config they were run with. Example:
  safetynet diff --period 2026-10 --config heavier-medical.json
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      const all = globals(cmd) as GlobalOptions & { period: string; top?: number; json?: boolean };
      await diffCommand({ ...all, ...opts, with: all.config ?? '' }, logger(cmd));
    });

  program
    .command('audit')
    .description('the export audit log: who exported which list, when, why, masked or not, rows and file hash')
    .option('--period <YYYY-MM>', 'only exports of this period')
    .option('--limit <n>', 'at most N entries (default 100)', positiveInt)
    .option('--json', 'one JSON object per line')
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await auditCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('migrate')
    .description('bring the database schema to the latest version (run and export do this themselves)')
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (_opts, cmd: Command) => {
      const applied = await migrateCommand(globals(cmd), logger(cmd));
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not errors
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = exitCodeFor(err);
    if (err instanceof ReplayDiffers) {
      process.stderr.write(`${err.message}\n`);
    } else if (err instanceof SafetynetError) {
      process.stderr.write(`safetynet: ${err.message}\n`);
    } else {
      process.stderr.write(`safetynet: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return code;
  }
}
