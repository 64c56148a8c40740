import { type RawBuilder, sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import type { Database } from '../db/schema.js';
import { withTransaction } from '../db/transaction.js';
import { PeriodLocked, UsageError } from '../errors.js';
import { departmentTables, departmentVersions } from '../ingest/departments.js';
import { purgeVersions } from '../db/versions.js';
import { keepPurgedHouseholds, householdVersions } from '../link/households.js';
import { keepRosterMembers } from '../link/members.js';
import { assertPeriod, claimsWindowStart, PERIOD } from '../period.js';

/**
 * `safetynet purge --before YYYY-MM`: deletes the departments' raw rows of the periods before
 * that month, the personal data the results were computed from, once retention is over.
 *
 * Kept: the results (household_score, household and member, which the list and the household
 * card of past periods show), the run ledger, the export audit log, the per-file load counts
 * and hashes (source_load), the dibao standards and the analysts' identity decisions. The
 * households of purged periods lose their address and phone: the visit is long past.
 */

/**
 * Raw rows per period: table and the column that names the period (or, for daily deltas, the
 * day) it came with; every department's period tables first, asked of the registry when it runs.
 */
const RAW_TABLES = (): (readonly [string, string])[] => [
  ...departmentTables().map((t) => [t.table, t.periodColumn] as const),
  // the refused rows as sent, names and ID numbers included
  ['rejected_row', 'period'],
  // details name households and claims
  ['quality_issue', 'period'],
  // the numbers and names as sent, and the roster candidates (migration 0002)
  ['identity_rescue', 'period'],
  // the daily medical-insurance deltas (migration 0004), by the day they came
  ['daily_claim', 'day'],
];

/** `column < before`: a period compares as text, a day from the first of that month. */
const olderThan = (column: string, before: string) =>
  column === 'day' ? sql`${sql.ref(column)} < ${`${before}-01`}::date` : sql`${sql.ref(column)} < ${before}`;

export interface PurgeOptions {
  before: string;
  dryRun?: boolean;
  /** privacy.retentionMonths: the raw extracts of this many periods, up to the latest run, stay */
  retentionMonths: number;
}

export interface PurgeResult {
  before: string;
  latest_period: string;
  /** the newest `--before` the rules allow */
  limit: string;
  dry_run: boolean;
  /**
   * rows deleted (or that would be) per table; for a table of versions (the roster), the rows
   * the purged periods held: a version that also holds a kept period stays, from that period on
   */
  deleted: Record<string, number>;
  /** households of purged periods whose address and phone were cleared */
  contacts_cleared: number;
}

function addMonths(period: string, months: number): string {
  const [, y, m] = PERIOD.exec(assertPeriod(period))!;
  return new Date(Date.UTC(Number(y), Number(m) - 1 + months, 1)).toISOString().slice(0, 7);
}

/**
 * How far a purge may go: not into the 12-month claims window of the latest successful run
 * (claims received before the window start were settled before it: a settlement after its
 * period's end is refused at ingest), and not into the retention period counted back from that
 * run. Measured from the data, not the clock, as every other period rule here.
 */
export function purgeLimit(latest: string, retentionMonths: number): { limit: string; reason: string } {
  const window = claimsWindowStart(latest).slice(0, 7);
  const retained = addMonths(latest, -(retentionMonths - 1));
  return retained < window
    ? { limit: retained, reason: `privacy.retentionMonths (${retentionMonths}) keeps ${retained}..${latest}` }
    : { limit: window, reason: `the latest run (${latest}) needs the claims received from ${window} for its 12-month window` };
}

async function latestSucceededPeriod(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom('run').select((eb) => eb.fn.max('period').as('period')).where('status', '=', 'succeeded').executeTakeFirst();
  return row?.period ?? null;
}

async function tablesPresent(db: Kysely<Database>): Promise<(readonly [string, string])[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(db);
  const names = new Set(rows.map((r) => r.name));
  return RAW_TABLES().filter(([t]) => names.has(t));
}

export async function purgeRawExtracts(pool: pg.Pool, db: Kysely<Database>, opts: PurgeOptions, log: Logger): Promise<PurgeResult> {
  const before = assertPeriod(opts.before);
  const latest = await latestSucceededPeriod(db);
  if (latest === null) throw new UsageError('no period has a successful run yet: purge measures retention from the latest run, so there is nothing it may delete');
  const { limit, reason } = purgeLimit(latest, opts.retentionMonths);
  if (before > limit) {
    throw new UsageError(`--before ${before} would delete extracts that must stay: ${reason}. The newest --before allowed is ${limit}.`);
  }

  return withTransaction(pool, async (tx) => {
    const tables = await tablesPresent(tx.db);
    const deleted: Record<string, number> = {};
    const periods = new Set<string>();
    for (const [table, column] of tables) {
      if (column === 'day') continue; // daily deltas belong to no monthly run
      const { rows } = await sql<{ period: string }>`select distinct ${sql.ref(column)} as period from ${sql.table(table)} where ${olderThan(column, before)}`.execute(tx.db);
      for (const r of rows) periods.add(r.period);
    }
    for (const v of [...departmentVersions(), householdVersions]) {
      const { rows } = await sql<{ period: string }>`select period from ${sql.table(v.periods)} where period < ${before}`.execute(tx.db);
      for (const r of rows) periods.add(r.period);
    }
    if (!opts.dryRun) {
      // a run of one of these periods (a rerun of an old month) would reload what we delete
      for (const period of [...periods].sort()) {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:period'), hashtext(${period})) as locked`.execute(tx.db);
        if (!rows[0]?.locked) throw new PeriodLocked(period);
      }
    }
    // what a dry run counts and a purge deletes: `rows` is `from <table> where <condition>`
    const gone = async (rows: RawBuilder<unknown>): Promise<number> => {
      const { rows: n } = opts.dryRun
        ? await sql<{ n: number }>`select count(*)::int as n ${rows}`.execute(tx.db)
        : await sql<{ n: number }>`with gone as (delete ${rows} returning 1) select count(*)::int as n from gone`.execute(tx.db);
      return n[0]?.n ?? 0;
    };
    for (const [table, column] of tables) {
      deleted[table] = await gone(sql`from ${sql.table(table)} where ${olderThan(column, before)}`);
    }
    // the members the purged rosters gave, and the purged periods' households without their
    // address and phone, stay as rows of their own; then the versions that gave them go
    const membersKept = opts.dryRun ? 0 : await keepRosterMembers(tx, before);
    const households = await keepPurgedHouseholds(tx, before, !!opts.dryRun);
    for (const v of departmentVersions()) {
      deleted[v.table] = await purgeVersions(tx.db, v, before, !!opts.dryRun);
    }
    await purgeVersions(tx.db, householdVersions, before, !!opts.dryRun);
    // an explanation no score names any more (its period was rerun): text that explains nobody.
    // A month's run may be naming one again, uncommitted (it inserts only the explanations not
    // kept yet), so they go only while no month runs (the run's lock, held to this commit);
    // otherwise the next purge takes them
    // the explanations that stay: a score names them
    const staying = sql`from score_explanation e where exists (select 1 from scored_household s where s.explanation = e.id)`;
    const { rows: idle } = opts.dryRun
      ? { rows: [{ locked: true }] }
      : await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:month')) as locked`.execute(tx.db);
    if (idle[0]?.locked) {
      deleted.score_explanation = await gone(sql`from score_explanation e where not exists (select 1 from scored_household s where s.explanation = e.id)`);
      // and the reasons (migration 0031) no explanation that stays names
      const reasonsNamed = sql`(select distinct unnest(e.reason_ids) as id ${staying})`;
      deleted.score_reason = await gone(sql`from score_reason r where not exists (select 1 from ${reasonsNamed} k where k.id = r.id)`);
      // and the templates (migrations 0034, 0038) no text that stays uses: counted alike before the
      // explanations and reasons above are deleted (a dry run) and after
      const used = sql`(
        select e.route_template as id ${staying} and e.route_template is not null
        union select e.dimensions_template ${staying}
        union select r.template from score_reason r join ${reasonsNamed} k on k.id = r.id)`;
      deleted.score_template = await gone(sql`from score_template t where t.id not in ${used}`);
      // and the sets of departments (migration 0036) no score names, as a rerun leaves them
      deleted.signal_set = await gone(sql`from signal_set g where not exists (select 1 from scored_household s where s.signal_set = g.id)`);
    } else {
      deleted.score_explanation = 0;
      deleted.score_reason = 0;
      deleted.score_template = 0;
      deleted.signal_set = 0;
      log.warn('a month is being run: the explanations no score names are left for the next purge');
    }
    const result: PurgeResult = { before, latest_period: latest, limit, dry_run: !!opts.dryRun, deleted, contacts_cleared: households.contactsCleared };
    log.info({ ...result, periods: [...periods].sort(), members_kept: membersKept, households_kept: households.kept }, opts.dryRun ? 'purge dry run: nothing deleted' : 'raw extracts purged');
    return result;
  });
}

export interface PurgeCommandOptions extends GlobalOptions {
  before: string;
  dryRun?: boolean;
  json?: boolean;
}

export function formatPurge(r: PurgeResult): string {
  const verb = r.dry_run ? 'would delete' : 'deleted';
  const lines = [`${r.dry_run ? 'Dry run: ' : ''}raw extracts of the periods before ${r.before} (latest run ${r.latest_period}; the newest --before allowed is ${r.limit})`];
  for (const [table, n] of Object.entries(r.deleted)) lines.push(`  ${table.padEnd(16)} ${String(n).padStart(9)} rows ${verb}`);
  lines.push(`  ${'household'.padEnd(16)} ${String(r.contacts_cleared).padStart(9)} addresses and phones ${r.dry_run ? 'would be ' : ''}cleared`);
  lines.push('Kept: scores, households and members, the run ledger, the export audit log, file counts and hashes.');
  return `${lines.join('\n')}\n`;
}

/** The CLI verb: one transaction; `--dry-run` counts and changes nothing. */
export async function purgeCommand(opts: PurgeCommandOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<PurgeResult> {
  if (!opts.before) throw new UsageError('purge needs --before YYYY-MM');
  assertPeriod(opts.before);
  const config = resolveConfig(opts);
  const database = await openMigrated(opts, log);
  try {
    const result = await purgeRawExtracts(
      database.pool,
      database.db,
      { before: opts.before, dryRun: opts.dryRun, retentionMonths: config.config.privacy.retentionMonths },
      log,
    );
    out.write(opts.json ? `${JSON.stringify(result)}\n` : formatPurge(result));
    return result;
  } finally {
    await database.close();
  }
}
