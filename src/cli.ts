import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import type { GlobalOptions } from './context.js';
import { ExitCode, exitCodeFor, exitCodeHelp, NotPermitted, PeriodNotRun, ReplayDiffers, SafetynetError, UsageError } from './errors.js';
import { exportFormats } from './export/formats.js';
import { createLogger } from './log.js';

/**
 * The `safetynet` command line. This file only registers commands; each command is a plain
 * function in src/commands/, and `main` is the one place that turns errors into exit codes.
 * A command's module is imported when it runs: the monthly run does not carry the workbook and
 * chart libraries of `export` and `report` in its memory (issue 5: Node under 300 MB).
 */

const ENV_HELP = `
Environment:
  DATABASE_URL         use this PostgreSQL server instead of the embedded one
  SAFETYNET_HOME       where the embedded PostgreSQL and exports live (default ./.safetynet)
  SAFETYNET_CONFIG     config file (JSON, overrides the documented defaults)
  SAFETYNET_LOG_LEVEL  trace, debug, info (default), warn, error
  SAFETYNET_REGION     the operator's region scope for exports and cards (overrides access.region)

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
    .description('Policy finds people: scores every household on six dimensions from the monthly extracts of the registered departments (civil affairs, disability, medical insurance, health and more: docs/departments.md) and writes a ranked, explained warning list for home visits.')
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
    .description('run the monthly job: pull the period\'s extracts (every required department\'s, and the optional ones that arrived), verify, ingest, link, score, record the run and write the warning list')
    .option('--inbox <dir>', 'inbox folder: <inbox>/<period>/<department>.csv or .xlsx, one file a department (docs/departments.md), and an optional manifest.json (default: fetch from the config\'s operation.sources)')
    .option('--period <YYYY-MM>', 'the period to run (default: every period folder of the inbox, oldest first)')
    .option('--json', 'print one JSON summary line per period on stdout')
    .option('--no-export', 'do not write the warning list under SAFETYNET_HOME/exports')
    .addHelpText('after', `
Examples:
  safetynet run --inbox fixtures/district-a/inbox --period 2026-10
  safetynet run --inbox /data/inbox --period 2026-10 --json
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/run.js')).runCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('export')
    .description('write the ranked warning list of a period that has been run, or the night runs\' urgent warnings (--urgent)')
    .option('--period <YYYY-MM>', 'the period (required unless --urgent)')
    .option('--urgent', 'the urgent warnings of the night runs instead (with --since; csv or json)')
    .option('--since <YYYY-MM-DD>', 'with --urgent: the first day of warnings to list')
    .addOption(
      new Option('--format <format>', exportFormats.map((f) => f.description).join('; '))
        .choices(exportFormats.map((f) => f.id))
        .default('csv'),
    )
    .option('--out <file>', 'output file, or - for stdout', '-')
    .option('--all', 'every scored household with its six dimension scores, not only those over the threshold')
    .option('--region <code>', 'a 12-digit community code, a 9-digit street or a 6-digit county prefix')
    .option('--top <n>', 'only the first N households', positiveInt)
    .option('--capacity', 'cut each street\'s list at its visits a month (visits.capacity / visits.capacityFile), highest need first; stderr says how many fall beyond')
    .option('--no-audit', 'leave out the month\'s audit visits (listed after the households on the list)')
    .option('--unmasked', 'names and ID numbers in clear (needs --purpose; audited)')
    .option('--operator <name>', 'who takes the export, for the audit log (default: SAFETYNET_OPERATOR, else the login name)')
    .option('--purpose <text>', 'why, for the audit log; required with --unmasked')
    .addOption(new Option('--lang <lang>', 'header and value language (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
IDs show their first 6 and last 4 characters and names their first character unless --unmasked.
Every export is recorded in the audit log (safetynet audit) in the transaction that read its rows;
a file is put in place only once its audit row is committed.
Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/export.js')).exportCommand({ ...globals(cmd), ...opts }, logger(cmd));
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
      await (await import('./commands/replay.js')).replayCommand({ ...globals(cmd), ...opts, dir }, logger(cmd));
    });

  program
    .command('schedule')
    .description('unattended operation: on the config\'s cron schedule (operation.schedule, operation.timezone), fetch and run every period that is due and not yet done')
    .option('--once', 'one tick, then exit (for cron(8) or a CronJob); prints a JSON report and exits with its worst outcome\'s code')
    .addHelpText('after', `
A tick only triggers; the run ledger decides what is due: every month from operation.firstPeriod
(default: last month) up to last month without a successful run, oldest first. A period whose
files have not all arrived is recorded as waiting and retried at the next tick. SIGINT/SIGTERM
stop the process; the current run rolls back and is redone at the next start. Each tick writes
SAFETYNET_HOME/heartbeat.json; safetynet status reads it.
With --once the exit code is the failed period's (3 refused, 8 not fetched, ...), else 4 while a
month waits for its files, else 0; 2 when the config gives no sources or inbox, or a header's
\${NAME} is not set.
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/schedule.js')).scheduleCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('status')
    .description('the scheduler\'s last ticks from SAFETYNET_HOME/heartbeat.json: when, each period\'s outcome, the exit code; for a HEALTHCHECK or a probe')
    .option('--json', 'one JSON object: healthy, problems, the heartbeat')
    .option('--max-age <hours>', 'unhealthy when no tick finished for longer (default operation.heartbeatMaxAgeHours, 26)', positiveInt)
    .addHelpText('after', `
Exits 0 when the last monthly tick (and night tick) succeeded or waits for late files, and one
finished within the maximum age; 11 when a tick failed, none finished in time, or none is recorded.
Reads no database.
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/status.js')).statusCommand({ ...globals(cmd), json: opts.json, maxAgeHours: opts.maxAge }, logger(cmd));
    });

  program
    .command('runs')
    .description('the run ledger: every run with its period, status, times, counts and output hash, newest first')
    .option('--period <YYYY-MM>', 'only this period')
    .option('--limit <n>', 'at most N runs (default 100)', positiveInt)
    .option('--json', 'one JSON object per line')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/runs.js')).runsCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('report')
    .description('the monthly report: one self-contained HTML file (no network) with charts of the period\'s aggregates and data quality')
    .requiredOption('--period <YYYY-MM>', 'the period (it must have been run)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .addOption(new Option('--lang <lang>', 'language (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
Only aggregates: no name, no ID number. Opens on a locked-down office PC: no script, no CDN.
Example: safetynet report --period 2026-10 --lang zh --out report-2026-10.html
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      process.stdout.write(`${await (await import('./commands/report.js')).reportCommand({ ...globals(cmd), ...opts }, logger(cmd))}\n`);
    });

  program
    .command('explain')
    .description('the household card: members, each dimension\'s points with their facts and sources, coverage, history, what changed')
    .argument('<household_id>', 'the household (as in the list)')
    .requiredOption('--period <YYYY-MM>', 'the period')
    .option('--json', 'one JSON object')
    .option('--unmasked', 'names, ID numbers, birth dates and diagnosis codes in clear (needs --purpose; audited)')
    .option('--purpose <text>', 'why the card is needed in clear, for the audit log')
    .option('--operator <name>', 'who asks (default: SAFETYNET_OPERATOR, else the login name)')
    .option('--region <code>', 'region scope, when neither SAFETYNET_REGION nor the config\'s access.region sets one (which it may only narrow); the rank is on this region\'s list')
    .addOption(new Option('--lang <lang>', 'language of the card (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
The rank is the household's place on the list as \`export\` numbers it for the same reader and
--region; a household not on the list says so. Address and phone are in clear for a street's or
community's own scope (a --region or access scope of 9 or 12 digits) and with --unmasked.
Examples:
  safetynet explain WC010 --period 2026-10 --lang zh
  safetynet explain WC010 --period 2026-10 --region 420106001 --unmasked --purpose "home visit"
${exitCodeHelp}`)
    .action(async (householdId: string, opts, cmd: Command) => {
      await (await import('./commands/explain.js')).explainCommand({ ...globals(cmd), ...opts, householdId }, logger(cmd));
    });

  program
    .command('cards')
    .description('printable visit cards: one A4 page per listed household of a street, with what to verify at the visit and a block for its outcome')
    .requiredOption('--period <YYYY-MM>', 'the period (it must have been run)')
    .requiredOption('--region <code>', 'the street (9 digits) or community (12 digits) whose listed households get a card')
    .requiredOption('--out <file>', 'the HTML file to write (print it from a browser, on A4)')
    .addOption(new Option('--lang <lang>', 'language of the cards (default: the config\'s lang, en)').choices(['en', 'zh']))
    .option('--capacity', 'only the listed households within the street\'s visits a month (visits.capacity / visits.capacityFile), highest need first')
    .option('--no-audit', 'no cards for the month\'s audit visits')
    .option('--unmasked', 'names and ID numbers in clear (needs --purpose; audited)')
    .option('--purpose <text>', 'why, for the audit log; required with --unmasked')
    .option('--operator <name>', 'who takes the cards (default: SAFETYNET_OPERATOR, else the login name)')
    .addHelpText('after', `
The cards are the list's households in list order, then the month's audit visits (households
drawn at random among those the list leaves out), read and audited as an export is (one audit
row for the batch). Names and ID numbers are masked unless --unmasked; address and phone are in
clear, as the street's own staff need them for the visit. One self-contained HTML file: no script,
no network; print it to paper or PDF on A4.
Examples:
  safetynet cards --period 2026-10 --region 420106001 --lang zh --out cards-420106001.html
  chromium --headless --no-pdf-header-footer --print-to-pdf=cards.pdf cards-420106001.html
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/cards.js')).cardsCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('diff')
    .description('what-if: score a period under another config and list who would enter or leave the list, without touching the stored results')
    .requiredOption('--period <YYYY-MM>', 'the period (it must have been run)')
    .option('--top <n>', 'how many of the largest other moves to show (default 20)', positiveInt)
    .option('--json', 'one JSON object')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
The config to try is the one given with --config (before or after "diff"); the stored results
stay those of the config they were run with. Example:
  safetynet diff --period 2026-10 --config heavier-medical.json
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      const all = globals(cmd) as GlobalOptions & { period: string; top?: number; json?: boolean };
      await (await import('./commands/diff.js')).diffCommand({ ...all, ...opts, with: all.config ?? '' }, logger(cmd));
    });

  program
    .command('review')
    .description('the identity review list: rejected rows whose mistyped ID number matches a roster person only ambiguously or weakly; confirm or refuse each')
    .requiredOption('--period <YYYY-MM>', 'the period')
    .option('--confirm <item>', 'link item (source:line) to one of its candidates (with --candidate)')
    .option('--candidate <n>', 'which candidate, as numbered in the list', positiveInt)
    .option('--refuse <item>', 'keep item (source:line) rejected, now and in later months')
    .option('--operator <name>', 'who answers (default: SAFETYNET_OPERATOR, else the login name)')
    .option('--note <text>', 'why, kept with the answer')
    .option('--json', 'one JSON object per item')
    .option('--unmasked', 'names and ID numbers in clear (needs --purpose; audited)')
    .option('--purpose <text>', 'why the list is needed in clear, for the audit log')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
A row rejected for an invalid ID number is linked automatically only when exactly one roster
person has the same name, birth date and region and a number one wrong digit or one swap of
adjacent digits away. Every other near match waits here. Answers are remembered by the number
and name as sent: later months apply them, and a rerun of the period applies them to it.
Examples:
  safetynet review --period 2026-10
  safetynet review --period 2026-10 --confirm medical-insurance:12 --candidate 1 --note "phoned the hospital"
  safetynet review --period 2026-10 --refuse health:7
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/review.js')).reviewCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  const visits = program.command('visits').description('what the street workers found at the door: import their visit reports');
  visits
    .command('import')
    .description('import a visit report (CSV or XLSX; English or Chinese headers): household_id, visited_on, outcome, assistance_granted, note')
    .argument('<file>', 'the report: .csv (UTF-8 or GB18030) or .xlsx (first sheet)')
    .option('--operator <name>', 'who imports (default: SAFETYNET_OPERATOR, else the login name)')
    .option('--json', 'one JSON summary line')
    .option('--rejects-out <file>', 'write the rejected rows as CSV: line, column, reason, then the row as sent')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
Outcomes: assisted_dibao (纳入低保), assisted_tekun (纳入特困), assisted_temporary (临时救助),
assisted_medical (医疗救助), assisted_other (其他帮扶), not_eligible (不符合条件), refused (拒绝),
not_found (未找到), moved (已搬迁), and the street offices' words in config visits.outcomeWords
(符合条件待审批 is assisted_other). Dates as 2026-11-07, 20261107, 2026/11/7, 2026.11.7 or
2026年11月7日; amounts as 800, 800.00, 800元 or ¥800.
Bad rows are printed and kept with their line, column and reason; a row
already imported (same household, day and outcome) is counted once. Effects at the next run of a
period: a household found not eligible stays off the list for visits.coolDownMonths unless its
score rises by visits.relistMargin or a new severe fact appears; one assisted with dibao/tekun is
covered from the visit on.
Example: safetynet visits import reports/2026-10-street-003.xlsx --rejects-out street-003-rejected.csv
${exitCodeHelp}`)
    .action(async (file: string, opts, cmd: Command) => {
      await (await import('./commands/visits.js')).visitsImportCommand({ ...globals(cmd), ...opts, file }, logger(cmd));
    });
  visits
    .command('template')
    .description('a blank visit report to fill in (XLSX): the columns visits import reads, an outcome drop-down, one example row to delete')
    .requiredOption('--out <file>', 'the workbook to write (.xlsx)')
    .addOption(new Option('--lang <lang>', 'headers and outcome words').choices(['en', 'zh']).default('zh'))
    .addHelpText('after', `
Example: safetynet visits template --out 走访情况表.xlsx
${exitCodeHelp}`)
    .action(async (opts) => {
      process.stdout.write(`${await (await import('./commands/visits.js')).visitsTemplateCommand(opts)}\n`);
    });

  program
    .command('nightly')
    .description("the night run: load the day's deliveries (claims, deaths and births, disasters), score the households they touch again, raise urgent warnings")
    .option('--inbox <dir>', 'inbox with daily/YYYY-MM-DD/ holding medical-insurance.csv, public-security.csv, emergency.csv (any of them; .xlsx too) (default: operation.inbox)')
    .option('--day <YYYY-MM-DD>', 'this day only (default: every delivered day without a successful night run, oldest first)')
    .option('--json', 'one JSON summary line per day')
    .addHelpText('after', `
A household is warned the same night when the day's events push it over the warning threshold;
when one inpatient bill costs it urgent.severeEventIncomeMultiple (3) times its monthly income or
more out of pocket; when a disaster's loss is as much, or damaged its house; when its main earner
died and it is low-income (under urgent.lowIncomeMultiple (2) times the dibao standard per person,
or assisted). A warning is raised once per household and event, however often the night is rerun;
the next monthly run counts each claim once and each event as its latest version says. The
schedule command runs this at operation.nightlySchedule when operation.inbox is set.
Examples:
  safetynet nightly --inbox /data/inbox
  safetynet export --urgent --since 2026-11-01 --out urgent.csv
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/nightly.js')).nightlyCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('quality')
    .description("the list's precision: of a period's uncovered households on the list, how many were visited and how many needed help, by tier, street and the dimension that drove the warning")
    .requiredOption('--period <YYYY-MM>', 'the period whose list is measured (visits since its first day count)')
    .option('--json', 'one JSON object per row')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `
Example: safetynet quality --period 2026-09
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/quality.js')).qualityCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('calibrate')
    .description('propose weights from the visit outcomes so far (regularised logistic regression on the six dimension scores, fit shown); writes a config for `diff`, never applies it')
    .requiredOption('--out <file>', 'the config file to write ({"weights": {...}})')
    .option('--lambda <n>', 'L2 penalty (default 1): larger keeps coefficients small when outcomes are few', (v) => {
      const n = Number(v);
      // 0 would let separable outcomes drive the coefficients to infinity
      if (!(n > 0)) throw new InvalidArgumentError('must be a number > 0');
      return n;
    })
    .option('--json', 'the fit as one JSON object')
    .addHelpText('after', `
Example: safetynet calibrate --out proposed.json && safetynet diff --period 2026-10 --config proposed.json
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      const all = globals(cmd) as GlobalOptions;
      await (await import('./commands/calibrate.js')).calibrateCommand({ ...all, ...opts }, logger(cmd));
    });

  program
    .command('access')
    .description('which database login may export which region: the database holds every exporter login to its grant')
    .argument('<action>', 'grant, revoke or list')
    .argument('[login]', 'the database login (grant, revoke)')
    .option('--region <code>', 'with grant: the 6-digit county, 9-digit street or 12-digit community code the login may export')
    .option('--note <text>', 'with grant: who this login is, kept with the grant')
    .option('--json', 'with list: one JSON object per line')
    .addHelpText('after', `
An exporter login (a member of safetynet_exporter) sees the households of its granted region and
nothing else: --region and SAFETYNET_REGION can narrow it, not widen it, and without a grant it
sees no household. Names, ID numbers, addresses, phones and diagnosis codes stay masked unless
an export or card is asked --unmasked with a --purpose, which is audited. Needs the owner or an
admin login (run after \`safetynet migrate --create-roles\`). Examples:
  safetynet access grant street_a_worker --region 420106001 --note "Zhongnan street office"
  safetynet access revoke street_a_worker
  safetynet access list
${exitCodeHelp}`)
    .action(async (action: string, login: string | undefined, opts, cmd: Command) => {
      if (!['grant', 'revoke', 'list'].includes(action)) throw new UsageError(`access: unknown action "${action}" (grant, revoke or list)`);
      await (await import('./commands/access.js')).accessCommand({ ...globals(cmd), ...opts, action: action as 'grant' | 'revoke' | 'list', login }, logger(cmd));
    });

  program
    .command('audit')
    .description('the export audit log: who exported which list, when, why, masked or not, rows and file hash')
    .option('--period <YYYY-MM>', 'only exports of this period')
    .option('--limit <n>', 'at most N entries (default 100)', positiveInt)
    .option('--json', 'one JSON object per line')
    .addOption(new Option('--lang <lang>', 'language of the output (default: the config\'s lang, en)').choices(['en', 'zh']))
    .addHelpText('after', `\n${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/audit.js')).auditCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('generate')
    .description('write a synthetic city in the inbox layout (for tests and the benchmark): households, roster, disabilities, claims, diagnoses, a few percent of bad rows, every encoding')
    .requiredOption('--households <n>', 'how many households', positiveInt)
    .option('--periods <n>', 'how many consecutive months (default 2); the first carries 12 months of claims', positiveInt)
    .option('--seed <n>', 'the same seed gives the same bytes (default 20260901)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
      return n;
    })
    .requiredOption('--out <dir>', 'the inbox to write: <out>/<period>/*.csv, manifest.json, <out>/dibao-standards.csv, city.json')
    .option('--start <YYYY-MM>', 'the first period (default 2026-09)')
    .option('--dirty <share>', 'share of rows a department gets wrong (default 0.02)', Number)
    .option('--copyable', 'bad rows only have wrong values, none breaks a plain COPY (the benchmark loads the same files with psql \\copy)')
    .option('--force', 'replace a city already in --out (its period folders, dibao-standards.csv and city.json)')
    .option('--json', 'one JSON line with the figures of city.json')
    .addHelpText('after', `
Deterministic (same seed, same bytes) and streamed: a million households take flat memory.
city.json says per period and file the rows, the rows the contract refuses, the encoding and the
header language, and the households and not-on-roster people a run must find.
Examples:
  safetynet generate --households 300 --periods 3 --seed 7 --out /tmp/city
  safetynet run --inbox /tmp/city
  safetynet generate --households 1000000 --periods 13 --out /data/city   # the benchmark's reference city
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      // loaded on use: no other command needs the generator
      const { generateCommand } = await import('./commands/generate.js');
      await generateCommand(opts, logger(cmd));
    });

  program
    .command('migrate')
    .description('bring the database schema to the latest version (run and export do this themselves)')
    .option('--create-roles', 'also create the roles safetynet_owner, safetynet_batch and safetynet_exporter (needs a superuser or CREATEROLE login) and grant them this database')
    .addHelpText('after', `
With --create-roles (idempotent; rerun it after an upgrade) exports and household cards read as
safetynet_exporter under row-level security: only the households of the region scope
(SAFETYNET_REGION, else the config's access.region, else --region); with no scope, none.
Passwords come from SAFETYNET_OWNER_PASSWORD, SAFETYNET_BATCH_PASSWORD and
SAFETYNET_EXPORTER_PASSWORD (sent as SCRAM verifiers, never printed); unset, a role has none
(trust or peer on a local socket, or SET ROLE from the admin login). See docs/privacy.md.
Examples:
  safetynet migrate
  SAFETYNET_BATCH_PASSWORD=… SAFETYNET_EXPORTER_PASSWORD=… DATABASE_URL=postgres://admin@db/safetynet safetynet migrate --create-roles
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/migrate.js')).migrateCommand({ ...globals(cmd), ...opts }, logger(cmd));
    });

  program
    .command('purge')
    .description('delete the raw extract rows (roster, disability, claims, diagnoses, rejected rows, quality details) of the periods before a month; scores, households, the run ledger and the export audit stay')
    .requiredOption('--before <YYYY-MM>', 'delete the raw rows of the periods before this month')
    .option('--dry-run', 'count what would be deleted, change nothing')
    .option('--json', 'one JSON object')
    .addHelpText('after', `
Refused (exit 2) when --before would reach into the 12-month claims window of the latest run, or
into the privacy.retentionMonths (default 24) periods up to the latest run. One transaction;
addresses and phones of the purged periods' households are cleared too. See docs/privacy.md.
Examples:
  safetynet purge --before 2024-11 --dry-run
  safetynet purge --before 2024-11
${exitCodeHelp}`)
    .action(async (opts, cmd: Command) => {
      await (await import('./commands/purge.js')).purgeCommand({ ...globals(cmd), ...opts }, logger(cmd));
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
    if (err instanceof PeriodNotRun && !err.where) {
      const { lastOpened } = await import('./context.js');
      if (lastOpened) err = new PeriodNotRun(err.period, lastOpened);
    }
    if (!(err instanceof SafetynetError) && (err as { code?: string } | null)?.code === '42501') {
      err = new NotPermitted((err as Error).message, { cause: err });
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
