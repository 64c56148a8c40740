import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../src/config/load-config.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { claimsAsOfDay } from '../src/db/latest-claims.js';
import { requireSucceededRun, succeededPeriodUpTo, windowOfRun } from '../src/db/runs.js';
import { withTransaction } from '../src/db/transaction.js';
import { ExtractsMissing, PeriodLocked, UsageError } from '../src/errors.js';
import { ingestSource, type SourceCounts } from '../src/ingest/ingest-source.js';
import { medicalInsuranceDaily } from '../src/ingest/medical-insurance/medical-insurance-daily.source.js';
import { buildHouseholdFacts } from '../src/score/household-facts.sql.js';
import { toFacts, type FactsRow } from '../src/score/score-households.js';
import { assessHousehold } from '../scoring/assess-household.js';
import { urgentWarnings, type DayClaim } from '../scoring/urgent.js';

/**
 * The nightly run: one day's medical-insurance claims (a daily delta) are loaded, the households
 * they touch are assessed again as the monthly run assesses them (scoring/assess-household.ts),
 * on the last monthly period's facts plus every claim and visit known that night, and urgent
 * warnings are raised the same night. Reruns replace the day's claims; a warning is raised once
 * per household and claim whatever happens. The monthly run later counts each claim once
 * (src/db/latest-claims.ts).
 */
export interface DaySummary {
  day: string;
  /** the monthly period whose households and scores the night compared with */
  base_period: string | null;
  claims: SourceCounts;
  households_touched: number;
  /** warnings raised tonight (not those raised for the same claim before) */
  urgent_raised: number;
  urgent_already_raised: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function assertDay(day: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new UsageError(`day "${day}" is not a date written YYYY-MM-DD`);
  }
  return day;
}

export const dailyFile = (inbox: string, day: string) => join(inbox, 'daily', day, 'medical-insurance.csv');

/** Day folders of the inbox that have a claims file, oldest first. */
export async function deliveredDays(inbox: string): Promise<string[]> {
  const names = await readdir(join(inbox, 'daily')).catch(() => [] as string[]);
  const days: string[] = [];
  for (const n of names.filter((d) => DAY.test(d)).sort()) {
    if (await stat(dailyFile(inbox, n)).then((s) => s.isFile(), () => false)) days.push(n);
  }
  return days;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function runDay(deps: { database: DatabaseHandle; config: LoadedConfig; log: Logger }, opts: { inbox: string; day: string }): Promise<DaySummary> {
  const day = assertDay(opts.day);
  const { database, config } = deps;
  const cfg = config.config;
  const log = deps.log.child({ day });
  const path = dailyFile(opts.inbox, day);
  if (!(await stat(path).then((s) => s.isFile(), () => false))) throw new ExtractsMissing(day, [`daily/${day}/medical-insurance.csv`]);
  const sha256 = await sha256Of(path);

  try {
    const summary = await withTransaction(database.pool, async (tx) => {
      const { rows: lock } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('safetynet:day'), hashtext(${day})) as locked`.execute(tx.db);
      if (!lock[0]?.locked) throw new PeriodLocked(day);
      await sql`set local work_mem = '64MB'`.execute(tx.db);
      for (const [table, column] of [['daily_claim', 'day'], ['rejected_row', 'period'], ['quality_issue', 'period'], ['source_load', 'period']] as const) {
        await sql`delete from ${sql.table(table)} where ${sql.ref(column)}::text = ${day}`.execute(tx.db);
      }
      const claims = await ingestSource(tx, medicalInsuranceDaily, {
        period: day,
        path,
        file: `daily/${day}/medical-insurance.csv`,
        sha256,
        asOf: new Date(`${day}T00:00:00Z`),
        home: database.home,
        log: log.child({ source: 'medical-insurance' }),
      });

      // the latest monthly run up to the day's month: its households and scores are the baseline
      const basePeriod = await succeededPeriodUpTo(tx.db, day.slice(0, 7));
      const result: DaySummary = { day, base_period: basePeriod, claims, households_touched: 0, urgent_raised: 0, urgent_already_raised: 0 };
      if (!basePeriod) {
        log.warn('no monthly period has been run yet: the claims are kept for the first monthly run, no household to compare with');
        return result;
      }
      const period = basePeriod;

      await sql`
        create temp table touched on commit drop as
        select distinct m.household_id from member m join daily_claim d on d.id18 = m.id18
        where m.period = ${period} and d.day = ${day}::date
      `.execute(tx.db);
      await sql`alter table touched add primary key (household_id)`.execute(tx.db);
      // the base period's window as its run measured it: the night extends that run's facts
      const baseWindow = windowOfRun(await requireSucceededRun(tx.db, period));
      await buildHouseholdFacts(tx, baseWindow, cfg, { asOf: day, claims: claimsAsOfDay(period, day), households: 'touched' });

      const { rows } = await sql<FactsRow & { base_total: number | null }>`
        select f.*, s.total as base_total
        from household_facts f left join household_score s on s.period = ${period} and s.household_id = f.household_id
        order by f.household_id
      `.execute(tx.db);
      const { rows: dayClaims } = await sql<DayClaim & { household_id: string }>`
        select m.household_id, d.claim_id, to_char(d.settled_on, 'YYYY-MM-DD') as settled_on, d.inpatient, d.out_of_pocket
        from daily_claim d join member m on m.period = ${period} and m.id18 = d.id18
        where d.day = ${day}::date order by m.household_id, d.claim_id
      `.execute(tx.db);
      result.households_touched = rows.length;
      // both lists are ordered by household: group the day's claims once, not per household
      const claimsOf = new Map<string, DayClaim[]>();
      for (const c of dayClaims) {
        const list = claimsOf.get(c.household_id);
        if (list) list.push(c);
        else claimsOf.set(c.household_id, [c]);
      }
      const { rows: crossedBefore } = await sql<{ household_id: string }>`
        select distinct u.household_id from urgent_warning u join touched t on t.household_id = u.household_id
        where u.base_period = ${period} and (u.kind = 'crossed_threshold' or u.reason like '%over the warning threshold%')
      `.execute(tx.db);
      const alreadyCrossed = new Set(crossedBefore.map((r) => r.household_id));

      for (const r of rows) {
        const facts = toFacts(r);
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
            claims: claimsOf.get(r.household_id) ?? [],
            alreadyCrossed: alreadyCrossed.has(r.household_id),
          },
          cfg,
        );
        for (const w of warnings) {
          const inserted = await tx.db
            .insertInto('urgent_warning')
            .values({ day, household_id: r.household_id, claim_id: w.claim_id, kind: w.kind, base_period: period, previous_total: r.base_total, total: assessed.total, reason: w.reason, reason_zh: w.reason_zh })
            .onConflict((oc) => oc.columns(['household_id', 'claim_id']).doNothing())
            .returning('urgent_id')
            .executeTakeFirst();
          if (inserted) result.urgent_raised++;
          else result.urgent_already_raised++;
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
