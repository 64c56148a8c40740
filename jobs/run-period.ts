import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../src/config/load-config.js';
import { crashPoint } from '../src/crash-point.js';
import { analyzeTables } from '../src/db/analyze-tables.js';
import { isPeriodPartitioned } from '../src/db/period-partitions.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { buildWindowClaims } from '../src/db/latest-claims.js';
import { withTransaction } from '../src/db/transaction.js';
import { ExtractsMissing, PeriodLocked, SafetynetError } from '../src/errors.js';
import { ingestSource, type SourceCounts } from '../src/ingest/ingest-source.js';
import { refuseMassRejects } from '../src/ingest/refuse-mass-rejects.js';
import type { DepartmentId } from '../src/ingest/department.js';
import { department, departments, departmentTables, departmentVersions } from '../src/ingest/departments.js';
import { forgetPeriod } from '../src/db/versions.js';
import { linkHouseholds } from '../src/link/link-households.js';
import { rescueIdentities, type RescueCounts } from '../src/link/rescue-identities.js';
import { assertPeriod, notDeliveredNote } from '../src/period.js';
import { startingWindow } from '../src/db/runs.js';
import { loadDibaoStandards } from '../src/pull/dibao-standards.js';
import { loadRegionNames } from '../src/pull/region-names.js';
import { locateExtracts } from '../src/pull/inbox.js';
import { scoreHouseholds } from '../src/score/score-households.js';
import { drawAuditSample } from '../src/score/audit-sample.js';
import { beyondCapacityByStreet, capacityCuts, streetCapacity } from '../src/export/street-capacity.js';
import { readRunList, type RunListCopy } from './period-files.js';
import { recordWaiting } from './run-ledger.js';

export interface RunSummary {
  period: string;
  sources: Record<DepartmentId, SourceCounts>;
  households_scored: number;
  warnings: number;
  run_id: number;
  not_on_roster: number;
  /** households new or changed since the versions in force before the period (the versions it wrote, migration 0028) */
  households_changed: number;
  previous_period: string | null;
  /** households scored against the config's default dibao standard, for want of a local one */
  default_standard: number;
  /** rows rejected for an invalid ID number: linked by the rescue, sent to review, or still rejected */
  identity_rescue: Record<DepartmentId, RescueCounts>;
  /** optional departments without an extract this period, each with the period whose rows stood in (null: none yet) */
  not_delivered: Record<DepartmentId, string | null>;
  /** households drawn for an audit visit this month (src/score/audit-sample.ts) */
  audit_visits: number;
  /** per street with a configured capacity (visits.capacity, visits.capacityFile): listed households beyond it */
  beyond_capacity: Record<string, number>;
}

export interface RunDeps {
  database: DatabaseHandle;
  config: LoadedConfig;
  log: Logger;
}

export interface RunOptions {
  inbox: string;
  period: string;
  /** the month's list file, written as the run reads its list for the ledger's hash (jobs/period-files.ts) */
  listCopy?: RunListCopy | null;
}

/** Tables holding one period's rows, the departments' own among them; a rerun empties them for the period first. */
const PERIOD_TABLES = (): (readonly [string, string])[] => [
  // drawn from the period's scores: first, before the households they name
  ['audit_sample', 'period'],
  ['audit_frame', 'period'],
  ['scored_household', 'period'],
  ['identity_rescue', 'period'],
  ['member_row', 'period'],
  ['household_row', 'period'],
  ...departmentTables().map((t) => [t.table, t.periodColumn] as const),
  ['rejected_row', 'period'],
  ['quality_issue', 'period'],
  ['source_load', 'period'],
];

const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

/**
 * The monthly run of one period: check the extracts, then ingest, link and score in a single
 * transaction that replaces the period's earlier results. The run ledger records the attempt
 * either way; a failure or a refusal leaves the previous good state untouched.
 */
export async function runPeriod(deps: RunDeps, opts: RunOptions): Promise<RunSummary> {
  const period = assertPeriod(opts.period);
  const { database, config } = deps;
  const log = deps.log.child({ period });
  const t0 = performance.now();
  // a bad capacity file is the config's fault: said before anything is read or recorded
  const capacity = streetCapacity(config);

  const ledger = async (status: 'refused' | 'failed', err: unknown, hashes?: Record<string, string>) => {
    await database.db
      .insertInto('run')
      .values({
        period,
        status,
        inbox: opts.inbox,
        config_version: config.version,
        input_hashes: hashes ? JSON.stringify(hashes) : null,
        error: err instanceof Error ? err.message : String(err),
        finished_at: new Date(),
      })
      .execute()
      .catch((e: unknown) => log.error({ err: e }, 'could not record the failed run'));
  };

  let located;
  try {
    located = await locateExtracts(opts.inbox, period, config.config.departments);
  } catch (err) {
    // "not delivered yet" is not a failure of the data: the period is waiting
    if (err instanceof ExtractsMissing) await recordWaiting(database.db, period, opts.inbox, config.version, err.missing);
    else await ledger('refused', err);
    throw err;
  }
  const hashes = Object.fromEntries(located.map((l) => [l.source, l.sha256]));
  log.info({ files: located.map((l) => l.file), manifest: located.some((l) => l.expectedRows !== undefined) }, 'extracts found');

  const run = await database.db
    .insertInto('run')
    .values({ period, status: 'running', inbox: opts.inbox, config_version: config.version, input_hashes: JSON.stringify(hashes) })
    .returning('run_id')
    .executeTakeFirstOrThrow();
  const runLog = log.child({ runId: run.run_id });

  try {
    const summary = await withTransaction(database.pool, async (tx) => {
      // one run of a period at a time, across processes; released at commit or rollback
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:period'), hashtext(${period})) as locked`.execute(tx.db);
      if (!rows[0]?.locked) throw new PeriodLocked(period);
      // and one month at a time: two months at once replace the same shared tables (the dibao
      // standards, the region names) in opposite orders and PostgreSQL ends one of them
      // ("deadlock detected"); the later one waits for the earlier one's commit instead
      const { rows: alone } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:month')) as locked`.execute(tx.db);
      if (!alone[0]?.locked) {
        runLog.info('waiting for the run of another month to finish');
        await sql`select pg_advisory_xact_lock(hashtext('safetynet:month'))`.execute(tx.db);
      }
      // holding the lock, any other 'running' row of this period is a run that died (killed, crashed)
      await tx.db
        .updateTable('run')
        .set({ status: 'failed', finished_at: new Date(), error: 'interrupted: the process ended before the run finished' })
        .where('period', '=', period)
        .where('status', '=', 'running')
        .where('run_id', '<>', run.run_id)
        .execute();
      // the claims window and the facts aggregate sort a city's rows: keep those sorts in memory
      await sql`set local work_mem = '64MB'`.execute(tx.db);
      // the month's window, once: every stage below measures by it, and the ledger keeps its
      // previous period in the summary for the exports and reports read later
      const window = await startingWindow(tx.db, period, located.map((l) => l.source));

      for (const [table, column] of PERIOD_TABLES()) {
        await sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${period}`.execute(tx.db);
      }
      // a department kept as versions writes the period again when it delivers; one that does not
      // this time must not be read in what an earlier run of the period wrote
      const delivering = new Set(located.map((l) => l.source));
      for (const def of departments()) {
        if (def.versions && !def.definesHouseholds && !delivering.has(def.id)) await forgetPeriod(tx, def.versions, period);
      }
      const standards = await loadDibaoStandards(tx, opts.inbox);
      runLog.info({ standards: standards ?? 'config defaults' }, 'dibao standards');
      await loadRegionNames(tx, opts.inbox, config.config.regions, runLog);

      const counts: Record<DepartmentId, SourceCounts> = {};
      for (const extract of located) {
        const t = performance.now();
        const sourceLog = runLog.child({ source: extract.source });
        counts[extract.source] = await ingestSource(tx, department(extract.source), {
          ...extract, period, home: database.home, settings: config.config.departments[extract.source], log: sourceLog,
        });
        sourceLog.info({ ...counts[extract.source], seconds: seconds(t) }, 'ingested');
      }
      // a department that did not deliver is named in the data-quality report with the month its facts are of
      for (const id of Object.keys(window.notDelivered)) {
        await tx.db.insertInto('quality_issue').values({ period, source: id, line: null, kind: 'extract_not_delivered', detail: notDeliveredNote(window, id)! }).execute();
      }
      // a month of mostly refused rows is a format change, not typos: published, it would drop
      // the households those rows hold; refusing it keeps the period's previous list
      await refuseMassRejects(tx, period, located.map((l) => ({ source: l.source, file: l.file, counts: counts[l.source]! })), config.config.ingest);

      // fresh rows have no statistics until autovacuum sees them, which it cannot inside this
      // transaction; without them the planner picks nested loops that never end on a city
      let t = performance.now();
      // a table partitioned by period had its period's partition analysed as it was attached
      await analyzeTables(tx, [
        ...departmentTables().map((t) => t.table).filter((t) => !isPeriodPartitioned(t)),
        ...departmentVersions().map((v) => v.table),
      ], runLog);
      runLog.info({ seconds: seconds(t) }, 'analyzed');

      t = performance.now();
      const rescue = await rescueIdentities(tx, period, runLog, config.config.departments);
      runLog.info({ ...rescue, seconds: seconds(t) }, 'identity rescue done');
      crashPoint('after-ingest');

      t = performance.now();
      // the window's claims once, for the link and the facts both
      const claims = await buildWindowClaims(tx, window);
      const link = await linkHouseholds(tx, window, claims);
      // what it wrote: the households' versions, the people outside the roster (the roster's
      // members are its versions, analysed at ingest)
      await analyzeTables(tx, ['household_version', 'household_period', 'member_row'], runLog);
      crashPoint('after-link');
      runLog.info({ households: link.households, not_on_roster: link.notOnRoster, households_changed: link.householdsChanged, seconds: seconds(t) }, 'linked');

      t = performance.now();
      const score = await scoreHouseholds(tx, window, config.config, claims);
      runLog.info({ ...score, seconds: seconds(t) }, 'scored');
      if (score.default_standard > 0) {
        runLog.warn(
          { households: score.default_standard, defaults: config.config.dibaoDefaults },
          'no local dibao standard for these households: the config default was used; put dibao-standards.csv in the inbox',
        );
      }
      // the list is fixed: the audit sample is drawn from what it leaves out
      t = performance.now();
      const audit = await drawAuditSample(tx.db, period, config.config);
      // the list below reads the sample and the asset notes the score stage wrote: unanalysed, the
      // period's sample looked like one row, and at a million households its 625 were each joined
      // to the whole period's scores in turn (a list read for over 20 minutes instead of seconds)
      await analyzeTables(tx, ['household_asset_check', 'audit_frame', 'audit_sample'], runLog);
      runLog.info({ ...audit, seconds: seconds(t) }, 'audit sample drawn');
      const beyondCapacity = beyondCapacityByStreet(await capacityCuts(tx.db, capacity, { period }));
      if (Object.values(beyondCapacity).some((n) => n > 0)) runLog.warn({ beyond_capacity: beyondCapacity }, 'listed households beyond their street\'s visits a month');

      const result: RunSummary = {
        period,
        sources: counts,
        households_scored: score.households_scored,
        warnings: score.warnings,
        run_id: run.run_id,
        not_on_roster: link.notOnRoster,
        households_changed: link.householdsChanged,
        previous_period: window.previous,
        default_standard: score.default_standard,
        identity_rescue: rescue,
        not_delivered: { ...window.notDelivered },
        audit_visits: audit.drawn,
        beyond_capacity: beyondCapacity,
      };
      await tx.db
        .updateTable('run')
        .set({ status: 'succeeded', finished_at: new Date(), summary: JSON.stringify(result) })
        .where('run_id', '=', run.run_id)
        .execute();
      // the list this run produced, as a hash: equal hashes, equal lists; read once, into the
      // month's list file too when the run writes one
      const sha256 = await readRunList(tx.db, period, config.config.lang, opts.listCopy ?? null, runLog);
      await tx.db.updateTable('run').set({ output_sha256: sha256 }).where('run_id', '=', run.run_id).execute();
      crashPoint('before-commit');
      return result;
    });
    crashPoint('after-commit');
    runLog.info({ households_scored: summary.households_scored, warnings: summary.warnings, seconds: seconds(t0) }, 'run succeeded');
    return summary;
  } catch (err) {
    if (err instanceof PeriodLocked) {
      // the other run owns this period: leave no trace of this attempt
      await database.db.deleteFrom('run').where('run_id', '=', run.run_id).execute().catch(() => {});
      runLog.warn('period is being run by another process; nothing written');
      throw err;
    }
    const status = err instanceof SafetynetError && err.exitCode === 3 ? 'refused' : 'failed';
    // SIGINT/SIGTERM land here too (the transaction's connection is ended, the server stays up
    // for this), as "interrupted by SIGTERM (exit 143)"; a commit that the cut did not stop
    // stays succeeded
    await database.db
      .updateTable('run')
      .set({ status, finished_at: new Date(), error: err instanceof Error ? err.message : String(err) })
      .where('run_id', '=', run.run_id)
      .where('status', '=', 'running')
      .execute()
      .catch((e: unknown) => runLog.error({ err: e }, 'could not record the failed run'));
    runLog.error({ err, status }, 'run did not complete; the previous results of this period are unchanged');
    throw err;
  }
}
