import { sql, type Kysely } from 'kysely';
import { listed } from '../export/list-rank.js';
import { readRegionNames } from '../export/region-label.js';
import { DIMENSIONS, type DimensionId } from '../../scoring/dimensions.js';
import { requireSucceededRun, windowOfRun } from '../db/runs.js';
import type { Database } from '../db/schema.js';
import { periodRows } from '../ingest/department.js';
import { departments, findDepartment } from '../ingest/departments.js';
import { reasonClass } from '../ingest/reject-reasons.js';
import { addMonths, assertPeriod } from '../period.js';
import { listPrecision, type PrecisionRow } from '../visits/list-precision.js';
import { readQualityTables } from '../visits/quality-counts.sql.js';
import type { QualityTables } from '../visits/quality-tables.js';
import { parseConfig } from '../config/load-config.js';
import type { SafetynetConfig } from '../config/schema.js';
import { routeIds } from '../../scoring/route.js';
import { rosterAsOf } from '../ingest/civil-affairs/civil-affairs.source.js';

/**
 * The monthly report's numbers. Every figure is an aggregate computed in PostgreSQL: no household,
 * person, name or ID number leaves the database for the report (street codes are the finest unit).
 */
export interface ReportData {
  period: string;
  /** the latest earlier period with a successful run, which "change" and row-count deltas compare with */
  previousPeriod: string | null;
  /** when the period's run finished (ISO 8601) */
  runFinishedAt: string | null;
  /** departments without this period's extract, and the period whose rows stood in (null: none yet), as the run recorded them */
  notDelivered?: Readonly<Record<string, string | null>>;
  /** the warning threshold the report's histogram marks; set by the caller when known */
  warningThreshold?: number;
  totals: {
    /** households scored this period */
    households: number;
    /** households on the list (over the warning threshold), covered or not */
    onList: number;
    uncovered: number;
    covered: number;
    /** covered households flagged for review because their score moved */
    review: number;
    /** people other departments know but the roster does not, each a one-person household */
    notOnRoster: number;
  };
  /** households on the list per tier, highest tier first */
  tiers: { tier: string; uncovered: number; covered: number }[];
  /** households on the list per street (9-digit prefix of the region code), most warnings first */
  streets: { street: string; uncovered: number; covered: number }[];
  /** street and community names by code, as the run stored them (src/pull/region-names.ts) */
  regionNames: Record<string, string>;
  /** what the weighted points of the households on the list come from, biggest first */
  dimensions: { dimension: DimensionId; households: number; points: number; avgPoints: number }[];
  /** every scored household's total in 5-point bins [from, to), from 0 up to the highest bin used */
  histogram: { from: number; to: number; households: number }[];
  /** the list against the previous period's list */
  change: { new: number; up: number; down: number; same: number; resolved: number };
  /** per department: rows, rejected rows by reason class, link rate to the roster, row-count change */
  quality: SourceQuality[];
  /** uncovered households on the list (or flagged for review) per suggested programme, in the rules' order */
  routes: { route: string; households: number }[];
  /**
   * what the visits found for the list of `precisionLagMonths` months ago; null when that period
   * was not run. `quality`: that month's precision beside the misses its audit sample estimates,
   * per street and tier, and the fairness table by group (src/visits/quality-tables.ts).
   */
  precision: { period: string; rows: PrecisionRow[]; quality: QualityTables } | null;
  /**
   * Households by how many departments' data point at them (src/ingest/department.ts `signal`),
   * from none up to the most any household has: every scored household, and those on the list.
   * Information for the analyst, not a score.
   */
  signals: { departments: number; households: number; onList: number }[];
}

export interface SourceQuality {
  source: string;
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** rows read in the previous period, null when there is none (or the source was not loaded then) */
  previousRowsRead: number | null;
  rejects: { reason: string; rows: number }[];
  /** distinct people in the source's rows of the period; null for the roster itself */
  people: number | null;
  /** of those, members of households on the civil-affairs roster */
  linked: number | null;
  /** linked / people, null when not applicable or no people */
  linkRate: number | null;
  /** rows rejected for an invalid ID number: linked by the identity rescue, in review, still rejected; null for the roster */
  rescue: { rescued: number; review: number; rejected: number } | null;
}

export const TIERS = ['red', 'orange', 'yellow'] as const;
const BIN = 5;

const num = (v: unknown): number => Number(v ?? 0);

/** The rules the visit-quality tables are read with: the config's, the defaults' when not given. */
export type QualityRules = Pick<SafetynetConfig, 'ages' | 'warningThreshold' | 'audit' | 'quality'>;

export async function reportData(
  db: Kysely<Database>,
  period: string,
  opts: { warningThreshold?: number; precisionLagMonths?: number; rules?: QualityRules } = {},
): Promise<ReportData> {
  assertPeriod(period);
  const run = await requireSucceededRun(db, period);
  // what the run's change was measured against, as it recorded it
  const window = windowOfRun(run);
  const previousPeriod = window.previous;

  const totals = (
    await sql<Record<string, number>>`
      select count(*)::int as households,
             count(*) filter (where ${listed('s')})::int as on_list,
             count(*) filter (where ${listed('s')} and not s.covered)::int as uncovered,
             count(*) filter (where ${listed('s')} and s.covered)::int as covered,
             count(*) filter (where s.review)::int as review,
             count(*) filter (where not h.on_roster)::int as not_on_roster
      from household_score s
      join household h on h.period = s.period and h.household_id = s.household_id
      where s.period = ${period}
    `.execute(db)
  ).rows[0]!;

  const tierRows = (
    await sql<{ tier: string; uncovered: number; covered: number }>`
      select tier, count(*) filter (where not covered)::int as uncovered, count(*) filter (where covered)::int as covered
      from household_score s where period = ${period} and ${listed('s')}
      group by tier
    `.execute(db)
  ).rows;
  const tiers = TIERS.map((tier) => {
    const r = tierRows.find((x) => x.tier === tier);
    return { tier, uncovered: num(r?.uncovered), covered: num(r?.covered) };
  });

  const streets = (
    await sql<{ street: string; uncovered: number; covered: number }>`
      select left(h.region_code, 9) as street,
             count(*) filter (where not s.covered)::int as uncovered, count(*) filter (where s.covered)::int as covered
      from household_score s
      join household h on h.period = s.period and h.household_id = s.household_id
      where s.period = ${period} and ${listed('s')}
      group by 1
      order by count(*) desc, 1
    `.execute(db)
  ).rows.map((r) => ({ street: r.street, uncovered: num(r.uncovered), covered: num(r.covered) }));

  const dimRows = (
    await sql<{ dimension: DimensionId; households: number; points: string; avg_points: string }>`
      select r->>'dimension' as dimension, count(distinct s.household_id)::int as households,
             round(sum((r->>'points')::numeric), 1) as points, round(avg((r->>'points')::numeric), 1) as avg_points
      from household_score s cross join lateral jsonb_array_elements(s.reasons) r
      where s.period = ${period} and ${listed('s')}
      group by 1
    `.execute(db)
  ).rows;
  const dimensions = DIMENSIONS.map(({ id: dimension }) => {
    const r = dimRows.find((x) => x.dimension === dimension);
    return { dimension, households: num(r?.households), points: num(r?.points), avgPoints: num(r?.avg_points) };
  }).sort((a, b) => b.points - a.points);

  const binRows = (
    await sql<{ bin: number; households: number }>`
      select floor(total / ${BIN})::int as bin, count(*)::int as households
      from household_score where period = ${period}
      group by 1 order by 1
    `.execute(db)
  ).rows;
  const maxBin = Math.max(0, ...binRows.map((r) => num(r.bin)));
  const histogram = Array.from({ length: maxBin + 1 }, (_, bin) => ({
    from: bin * BIN,
    to: (bin + 1) * BIN,
    households: num(binRows.find((r) => num(r.bin) === bin)?.households),
  }));

  const changeRow = (
    await sql<Record<string, number>>`
      select count(*) filter (where change = 'new')::int as new,
             count(*) filter (where change = 'up')::int as up,
             count(*) filter (where change = 'down')::int as down,
             count(*) filter (where change = 'same')::int as same,
             (select count(*)::int from household_score p
              where p.period = ${previousPeriod}::text and ${listed('p')}
                and not exists (select 1 from household_score c
                                where c.period = ${period} and c.household_id = p.household_id and ${listed('c')})) as resolved
      from household_score s where period = ${period} and ${listed('s')}
    `.execute(db)
  ).rows[0]!;
  const change = { new: num(changeRow.new), up: num(changeRow.up), down: num(changeRow.down), same: num(changeRow.same), resolved: num(changeRow.resolved) };

  return {
    period,
    previousPeriod,
    notDelivered: window.notDelivered,
    runFinishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
    ...(opts.warningThreshold !== undefined ? { warningThreshold: opts.warningThreshold } : {}),
    totals: {
      households: num(totals.households),
      onList: num(totals.on_list),
      uncovered: num(totals.uncovered),
      covered: num(totals.covered),
      review: num(totals.review),
      notOnRoster: num(totals.not_on_roster),
    },
    tiers,
    streets,
    regionNames: Object.fromEntries(await readRegionNames(db)),
    dimensions,
    histogram,
    change,
    quality: await quality(db, period, previousPeriod),
    routes: await routes(db, period),
    precision: await precisionOf(db, period, opts.precisionLagMonths ?? 2, opts.rules ?? parseConfig(undefined).config),
    signals: await signals(db, period),
  };
}

async function signals(db: Kysely<Database>, period: string): Promise<ReportData['signals']> {
  const rows = (
    await sql<{ departments: number; households: number; on_list: number }>`
      select cardinality(signal_departments) as departments, count(*)::int as households, count(*) filter (where ${listed('s')})::int as on_list
      from household_score s where period = ${period}
      group by 1
    `.execute(db)
  ).rows;
  const most = Math.max(0, ...rows.map((r) => num(r.departments)));
  return Array.from({ length: most + 1 }, (_, n) => {
    const r = rows.find((x) => num(x.departments) === n);
    return { departments: n, households: num(r?.households), onList: num(r?.on_list) };
  });
}

async function precisionOf(db: Kysely<Database>, period: string, lag: number, rules: QualityRules): Promise<ReportData['precision']> {
  const cohort = addMonths(period, -lag);
  const run = await db.selectFrom('run').select('run_id').where('period', '=', cohort).where('status', '=', 'succeeded').executeTakeFirst();
  if (!run) return null;
  return { period: cohort, rows: await listPrecision(db, cohort), quality: await readQualityTables(db, cohort, rules) };
}

function rescueOf(r?: { rescued: number; review: number; rejected: number }): SourceQuality['rescue'] {
  return { rescued: num(r?.rescued), review: num(r?.review), rejected: num(r?.rejected) };
}

async function routes(db: Kysely<Database>, period: string): Promise<ReportData['routes']> {
  const rows = (
    await sql<{ route: string; households: number }>`
      select route, count(*)::int as households from household_score
      where period = ${period} and route is not null and (on_list or review)
      group by 1
    `.execute(db)
  ).rows;
  return routeIds.filter((r) => rows.some((x) => x.route === r)).map((r) => ({ route: r, households: num(rows.find((x) => x.route === r)!.households) }));
}

async function quality(db: Kysely<Database>, period: string, previousPeriod: string | null): Promise<SourceQuality[]> {
  const loads = (
    await sql<{ source: string; rows_read: number; rows_loaded: number; rows_rejected: number; previous_rows_read: number | null }>`
      select c.source, c.rows_read, c.rows_loaded, c.rows_rejected, p.rows_read as previous_rows_read
      from source_load c
      left join source_load p on p.period = ${previousPeriod}::text and p.source = c.source
      where c.period = ${period}
    `.execute(db)
  ).rows;

  // grouped by the reason class (src/ingest/reject-reasons.ts): no value from a row reaches the report
  const rejects = (
    await sql<{ source: string; reason: string; rows: number }>`
      select source, ${reasonClass} as reason, count(*)::int as rows
      from rejected_row where period = ${period}
      group by 1, 2 order by 1, 3 desc, 2
    `.execute(db)
  ).rows;

  // People of the period in the other departments' extracts, and how many of them the roster
  // holds: a person not on the roster became a one-person household with on_roster = false.
  const others = departments().filter((d) => !d.definesHouseholds);
  const seen = others.map(
    (d) => sql`select distinct ${d.id}::text as source, id18 from ${periodRows(d, period)} as ${sql.ref(`rows_${d.id.replaceAll('-', '_')}`)}`,
  );
  const links = seen.length === 0 ? [] : (
    await sql<{ source: string; people: number; linked: number }>`
      with seen as (
        ${sql.join(seen, sql` union `)}
      )
      select seen.source, count(*)::int as people,
             count(*) filter (where exists (
               -- on the period's roster: the roster's households are the ones on it
               select 1 from ${rosterAsOf(period)} as r where r.id18 = seen.id18))::int as linked
      from seen group by 1
    `.execute(db)
  ).rows;

  const rescue = (
    await sql<{ source: string; rescued: number; review: number; rejected: number }>`
      select source, count(*) filter (where outcome = 'rescued')::int as rescued,
             count(*) filter (where outcome = 'review')::int as review, count(*) filter (where outcome = 'rejected')::int as rejected
      from identity_rescue where period = ${period} group by 1
    `.execute(db)
  ).rows;

  // the registry's order; a department loaded then and not registered now (taken out since) last
  const known = new Set(loads.map((l) => l.source));
  const registered = departments().map((d) => d.id);
  const order = [...registered.filter((s) => known.has(s)), ...[...known].filter((s) => !registered.includes(s)).sort()];
  return order.map((source) => {
    const l = loads.find((x) => x.source === source)!;
    const link = links.find((x) => x.source === source);
    const roster = findDepartment(source)?.definesHouseholds === true;
    const people = roster ? null : num(link?.people);
    const linked = roster ? null : num(link?.linked);
    return {
      source,
      rowsRead: num(l.rows_read),
      rowsLoaded: num(l.rows_loaded),
      rowsRejected: num(l.rows_rejected),
      previousRowsRead: l.previous_rows_read === null ? null : num(l.previous_rows_read),
      rejects: rejects.filter((r) => r.source === source).map((r) => ({ reason: r.reason, rows: num(r.rows) })),
      people,
      linked,
      linkRate: people ? linked! / people : null,
      rescue: roster ? null : rescueOf(rescue.find((r) => r.source === source)),
    };
  });
}
