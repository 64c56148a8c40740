import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../src/config/load-config.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { claimsAsOfDay } from '../src/db/latest-claims.js';
import { requireSucceededRun, succeededPeriodUpTo, windowOfRun } from '../src/db/runs.js';
import { withTransaction } from '../src/db/transaction.js';
import { ExtractsMissing, PeriodLocked, UsageError } from '../src/errors.js';
import { dailyDeclaration, dayEventColumns, type DepartmentId } from '../src/ingest/department.js';
import { departments, department } from '../src/ingest/departments.js';
import { ingestSource, type SourceCounts } from '../src/ingest/ingest-source.js';
import { dailyFileNames, dailyFilesIn, locateDailyExtracts } from '../src/pull/inbox.js';
import { buildHouseholdFacts } from '../src/score/household-facts.sql.js';
import { toFacts, type FactsRow } from '../src/score/score-households.js';
import { assessHousehold } from '../scoring/assess-household.js';
import { urgentWarnings, type DayEvent, type UrgentKind } from '../scoring/urgent.js';
import { membersAsOf } from '../src/link/members.js';

/**
 * The nightly run: one day's deliveries from the departments that may send them between months
 * (`Department.daily`: medical-insurance's claims, public security's deaths and births, emergency
 * management's disasters) are loaded, the households they touch are assessed again as the
 * monthly run assesses them (scoring/assess-household.ts), on the last monthly period's roster
 * plus every claim, event and visit known that night, and urgent warnings are raised the same
 * night (scoring/urgent.ts). Reruns replace the day's deliveries; a warning is raised once per
 * household and event whatever happens. The monthly run folds the nights in: each claim counted
 * once (src/db/latest-claims.ts), each event as its latest version says (`receivedBy`).
 */
export interface DaySummary {
  day: string;
  /** the monthly period whose households and scores the night compared with */
  base_period: string | null;
  /** what each department delivered that night, by department id (those that sent nothing are absent) */
  departments: Record<DepartmentId, SourceCounts>;
  households_touched: number;
  /** warnings raised tonight (not those raised for the same event before) */
  urgent_raised: number;
  urgent_already_raised: number;
  /** tonight's new warnings by kind */
  urgent_by_kind: Partial<Record<UrgentKind, number>>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function assertDay(day: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new UsageError(`day "${day}" is not a date written YYYY-MM-DD`);
  }
  return day;
}

/** Day folders of the inbox with a delivery from any department that sends them, oldest first. */
export async function deliveredDays(inbox: string): Promise<string[]> {
  const names = await readdir(join(inbox, 'daily')).catch(() => [] as string[]);
  const days: string[] = [];
  for (const n of names.filter((d) => DAY.test(d)).sort()) {
    // a folder the night cannot read (a file twice) is due too: its night fails and says why
    const delivered = await dailyFilesIn(inbox, n).then((found) => found.length > 0, () => true);
    if (delivered) days.push(n);
  }
  return days;
}

interface DayEventRow {
  household_id: string;
  kind: DayEvent['kind'];
  key: string;
  happened_on: string;
  /** numeric: the driver returns a string */
  amount: string | null;
  inpatient: boolean | null;
  label: string | null;
  house_damaged: boolean | null;
}

function dayEvent(r: DayEventRow): DayEvent {
  const amount = r.amount === null ? 0 : Number(r.amount);
  switch (r.kind) {
    case 'bill':
      return { kind: 'bill', key: r.key, on: r.happened_on, inpatient: r.inpatient ?? false, outOfPocket: amount };
    case 'disaster':
      return { kind: 'disaster', key: r.key, on: r.happened_on, event: r.label ?? '', loss: amount, houseDamaged: r.house_damaged ?? false };
    default:
      return { kind: r.kind, key: r.key, on: r.happened_on };
  }
}

export async function runDay(deps: { database: DatabaseHandle; config: LoadedConfig; log: Logger }, opts: { inbox: string; day: string }): Promise<DaySummary> {
  const day = assertDay(opts.day);
  const { database, config } = deps;
  const cfg = config.config;
  const log = deps.log.child({ day });

  const extracts = await locateDailyExtracts(opts.inbox, day);
  if (extracts.length === 0) throw new ExtractsMissing(day, [`any of ${dailyFileNames().map((n) => `daily/${day}/${n}`).join(', ')}`]);
  try {
    const summary = await withTransaction(database.pool, async (tx) => {
      const { rows: lock } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:day'), hashtext(${day})) as locked`.execute(tx.db);
      if (!lock[0]?.locked) throw new PeriodLocked(day);
      await sql`set local work_mem = '64MB'`.execute(tx.db);
      // a rerun of the night replaces every department's delivery of the day, sent again or not
      const nightly = departments().filter((d) => d.daily);
      const dayTables = nightly.flatMap((d) => dailyDeclaration(d).periodTables);
      for (const { table, periodColumn } of [...dayTables, { table: 'rejected_row', periodColumn: 'period' }, { table: 'quality_issue', periodColumn: 'period' }, { table: 'source_load', periodColumn: 'period' }]) {
        await sql`delete from ${sql.table(table)} where ${sql.ref(periodColumn)}::text = ${day}`.execute(tx.db);
      }
      const delivered: Record<DepartmentId, SourceCounts> = {};
      for (const extract of extracts) {
        delivered[extract.source] = await ingestSource(tx, dailyDeclaration(department(extract.source)), {
          ...extract,
          period: day,
          asOf: new Date(`${day}T00:00:00Z`),
          home: database.home,
          settings: cfg.departments[extract.source],
          log: log.child({ source: extract.source }),
        });
      }

      // the latest monthly run up to the day's month: its households and scores are the baseline
      const basePeriod = await succeededPeriodUpTo(tx.db, day.slice(0, 7));
      const result: DaySummary = {
        day, base_period: basePeriod, departments: delivered, households_touched: 0, urgent_raised: 0, urgent_already_raised: 0, urgent_by_kind: {},
      };
      if (!basePeriod) {
        log.warn('no monthly period has been run yet: the deliveries are kept for the first monthly run, no household to compare with');
        return result;
      }
      const period = basePeriod;

      // the night's events about the base period's members, whichever department sent them
      const events = sql.join(
        nightly.map((d) => sql`select ${sql.join(dayEventColumns.map((c) => sql.ref(c)))} from (${d.daily!.events(day)}) ${sql.ref(`events_${d.table}`)}`),
        sql` union all `,
      );
      await sql`
        create temp table day_event on commit drop as
        select m.household_id, e.* from (${events}) e join ${membersAsOf(period)} as m on m.id18 = e.id18
      `.execute(tx.db);
      await sql`create temp table touched on commit drop as select distinct household_id from day_event`.execute(tx.db);
      await sql`alter table touched add primary key (household_id)`.execute(tx.db);
      // the base period's window as its run measured it: the night extends that run's facts
      const baseWindow = windowOfRun(await requireSucceededRun(tx.db, period));
      const evidence = await buildHouseholdFacts(tx, baseWindow, cfg, { asOf: day, claims: claimsAsOfDay(period, day), households: 'touched' });

      const { rows } = await sql<FactsRow & { base_total: number | null }>`
        select f.*, s.total as base_total
        from household_facts f left join household_score s on s.period = ${period} and s.household_id = f.household_id
        order by f.household_id
      `.execute(tx.db);
      const { rows: eventRows } = await sql<DayEventRow>`
        select household_id, kind, key, happened_on, amount, inpatient, label, house_damaged
        from day_event order by household_id, key, id18
      `.execute(tx.db);
      result.households_touched = rows.length;
      // both lists are ordered by household: group the night's events once, not per household
      const eventsOf = new Map<string, DayEvent[]>();
      for (const e of eventRows) {
        const list = eventsOf.get(e.household_id);
        if (list) list.push(dayEvent(e));
        else eventsOf.set(e.household_id, [dayEvent(e)]);
      }
      const { rows: crossedBefore } = await sql<{ household_id: string }>`
        select distinct u.household_id from urgent_warning u join touched t on t.household_id = u.household_id
        where u.base_period = ${period} and (u.kind = 'crossed_threshold' or u.reason like '%over the warning threshold%')
      `.execute(tx.db);
      const alreadyCrossed = new Set(crossedBefore.map((r) => r.household_id));

      for (const r of rows) {
        const facts = toFacts(r, evidence);
        // assessed as the monthly run would tonight: a visit since the base period counts (a
        // programme granted at the door covers, a "not eligible" keeps the cool-down)
        const assessed = assessHousehold(facts, period, cfg);
        const warnings = urgentWarnings(
          {
            facts,
            previousTotal: r.base_total,
            total: assessed.total,
            onList: assessed.onList,
            covered: assessed.covered,
            events: eventsOf.get(r.household_id) ?? [],
            alreadyCrossed: alreadyCrossed.has(r.household_id),
          },
          cfg,
        );
        for (const w of warnings) {
          const inserted = await tx.db
            .insertInto('urgent_warning')
            .values({ day, household_id: r.household_id, event_key: w.key, kind: w.kind, base_period: period, previous_total: r.base_total, total: assessed.total, reason: w.reason, reason_zh: w.reason_zh })
            .onConflict((oc) => oc.columns(['household_id', 'event_key']).doNothing())
            .returning('urgent_id')
            .executeTakeFirst();
          if (inserted) {
            result.urgent_raised++;
            result.urgent_by_kind[w.kind] = (result.urgent_by_kind[w.kind] ?? 0) + 1;
          } else result.urgent_already_raised++;
        }
      }
      return result;
    });
    await database.db
      .insertInto('daily_run')
      .values({ day, status: 'succeeded', base_period: summary.base_period, summary: JSON.stringify(summary), error: null })
      .onConflict((oc) => oc.column('day').doUpdateSet({ status: 'succeeded', finished_at: new Date(), base_period: summary.base_period, summary: JSON.stringify(summary), error: null }))
      .execute();
    log.info({ ...summary }, 'night run succeeded');
    return summary;
  } catch (err) {
    if (!(err instanceof PeriodLocked)) {
      const error = err instanceof Error ? err.message : String(err);
      await database.db
        .insertInto('daily_run')
        .values({ day, status: 'failed', base_period: null, summary: null, error })
        // a failed rerun does not hide that the day's earlier success still stands
        .onConflict((oc) => oc.column('day').doUpdateSet({ status: 'failed', finished_at: new Date(), error }).where('daily_run.status', '=', 'failed'))
        .execute()
        .catch(() => {});
    }
    throw err;
  }
}

/** Every delivered day without a successful night run, oldest first. */
export async function dueDays(database: DatabaseHandle, inbox: string): Promise<string[]> {
  const done = new Set(
    (await database.db.selectFrom('daily_run').select(sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day')).where('status', '=', 'succeeded').execute()).map((r) => r.day),
  );
  return (await deliveredDays(inbox)).filter((d) => !done.has(d));
}
