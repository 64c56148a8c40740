import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load-config.js';
import type { Database } from '../db/schema.js';
import { ConfigInvalid, UsageError } from '../errors.js';
import { inRegion, listed } from './list-rank.js';
import { VIEW } from './views.js';

/**
 * What a street office can visit in a month, and the list cut to it. A street's list is cut at its
 * capacity in the list's rank order (highest expected need first); streets without a capacity are
 * not cut. The month's audit visits (src/score/audit-sample.ts) count against the capacity and are
 * never the ones cut: they are few, and a sample cut only where visits are short would no longer
 * be random, so the listed households get what is left.
 */

/** Visits a month by 9-digit street code. */
export type StreetCapacity = ReadonlyMap<string, number>;

/** The CSV's columns, with the header words a bureau's spreadsheet may use instead. */
const HEADERS = {
  street: ['street', '街道', '街道代码', '街道编码'],
  visits: ['visits_per_month', 'visits', '每月走访', '每月走访户数', '走访能力'],
} as const;

/**
 * The configured capacities: `visits.capacityFile` (a CSV `street,visits_per_month`, relative
 * to the config file's folder, else the working directory), then `visits.capacity` over it.
 * Every bad line is listed at once.
 */
export function streetCapacity(loaded: Pick<LoadedConfig, 'config' | 'source'>): StreetCapacity {
  const { capacity, capacityFile } = loaded.config.visits;
  const byStreet = new Map<string, number>();
  if (capacityFile) {
    const base = loaded.source === 'defaults' || loaded.source === 'override' ? process.cwd() : dirname(resolve(loaded.source));
    const file = resolve(base, capacityFile);
    for (const [street, visits] of readCapacityCsv(file)) byStreet.set(street, visits);
  }
  for (const [street, visits] of Object.entries(capacity)) byStreet.set(street, visits);
  return byStreet;
}

/** Parses a capacity CSV (UTF-8, a BOM allowed); a ConfigInvalid names each bad line and column. */
export function readCapacityCsv(file: string, text?: string): Map<string, number> {
  let content: string;
  try {
    content = text ?? readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigInvalid(`visits.capacityFile ${file}`, [`cannot be read (${(err as Error).message}): give a CSV street,visits_per_month`]);
  }
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const streetAt = header.findIndex((h) => (HEADERS.street as readonly string[]).includes(h));
  const visitsAt = header.findIndex((h) => (HEADERS.visits as readonly string[]).includes(h));
  if (streetAt < 0 || visitsAt < 0) {
    throw new ConfigInvalid(file, [`line 1: the header must name the columns street and visits_per_month (found: ${lines[0] ?? 'nothing'})`]);
  }
  const problems: string[] = [];
  const byStreet = new Map<string, number>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const at = `line ${i + 2}`;
    const street = cells[streetAt] ?? '';
    const visits = cells[visitsAt] ?? '';
    if (!/^\d{9}$/.test(street)) problems.push(`${at}, column street: "${street}" is not a 9-digit street code`);
    else if (!/^\d+$/.test(visits)) problems.push(`${at}, column visits_per_month: "${visits}" is not a whole number of visits`);
    else if (byStreet.has(street)) problems.push(`${at}, column street: ${street} is given twice`);
    else byStreet.set(street, Number(visits));
  });
  if (problems.length > 0) throw new ConfigInvalid(file, problems);
  return byStreet;
}

/** The capacities as a relation `c(street, visits)` for the statements below. */
const capacityRelation = (capacity: StreetCapacity): RawBuilder<unknown> =>
  sql`unnest(${[...capacity.keys()]}::text[], ${[...capacity.values()]}::int[]) as c(street, visits)`;

/**
 * The listed households of a period (in `region`) with their place on their street's list and
 * what their street's capacity leaves for listed visits (null: no capacity, not cut); read through
 * the export views, so a reader's row security gives the street the list it sees.
 */
function streetPlaces(capacity: StreetCapacity, opts: { period: string; region?: string }): RawBuilder<unknown> {
  return sql`
    select s.household_id, left(h.region_code, 9) as street,
           row_number() over (partition by left(h.region_code, 9) order by s.rank) as place,
           coalesce(a.audit_visits, 0) as audit_visits,
           -- greatest() skips nulls: a street without a capacity keeps a null allowance, not 0
           case when c.visits is not null then greatest(c.visits - coalesce(a.audit_visits, 0), 0) end as allowance
    from ${sql.table(VIEW.household_score)} s
    join ${sql.table(VIEW.household)} h on h.period = s.period and h.household_id = s.household_id
    left join ${capacityRelation(capacity)} on c.street = left(h.region_code, 9)
    left join (select street, count(*)::int as audit_visits from ${sql.table(VIEW.audit_sample)} where period = ${opts.period} group by street) a
      on a.street = left(h.region_code, 9)
    where s.period = ${opts.period} and ${listed()} and ${inRegion(opts.region)}`;
}

/** A condition on `s.household_id`: the household is within its street's capacity (or its street has none). */
export function withinCapacity(capacity: StreetCapacity, opts: { period: string; region?: string }, column = 's.household_id'): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} in (select household_id from (${streetPlaces(capacity, opts)}) p where p.allowance is null or p.place <= p.allowance)`;
}

export interface StreetCut {
  street: string;
  /** visits a month */
  capacity: number;
  /** the month's audit visits, which the capacity holds first */
  audit_visits: number;
  /** households on the street's list */
  listed: number;
  /** listed households within capacity */
  within: number;
  /** listed households beyond it */
  beyond: number;
}

/** Per street with a capacity that has listed households in the selection: how its list is cut. */
export async function capacityCuts(db: Kysely<Database>, capacity: StreetCapacity, opts: { period: string; region?: string }): Promise<StreetCut[]> {
  if (capacity.size === 0) return [];
  const { rows } = await sql<Omit<StreetCut, 'capacity'>>`
    select street, max(audit_visits)::int as audit_visits,
           count(*)::int as listed,
           count(*) filter (where place <= allowance)::int as within,
           count(*) filter (where place > allowance)::int as beyond
    from (${streetPlaces(capacity, opts)}) p
    where allowance is not null
    group by street
    order by street`.execute(db);
  return rows.map((r) => ({ ...r, capacity: capacity.get(r.street)! }));
}

/** Listed households beyond capacity, by street: the run's and the export's summaries. */
export function beyondCapacityByStreet(cuts: readonly StreetCut[]): Record<string, number> {
  return Object.fromEntries(cuts.map((c) => [c.street, c.beyond]));
}

/** The capacity `--capacity` cuts by: the config's, refused when it sets none. */
export function requiredStreetCapacity(loaded: Pick<LoadedConfig, 'config' | 'source'>): StreetCapacity {
  const capacity = streetCapacity(loaded);
  if (capacity.size === 0) {
    throw new UsageError('--capacity needs each street\'s visits a month: set visits.capacity or visits.capacityFile in the config (docs/decisions.md#audit-visits-and-street-capacity)');
  }
  return capacity;
}

/** Each street's cut in the log: a warning where listed households fall beyond it (`beyond`: what becomes of them). */
export function logCapacityCuts(log: Logger, period: string, cuts: readonly StreetCut[], beyond: string): void {
  for (const c of cuts) {
    const line = { period, street: c.street, capacity: c.capacity, audit_visits: c.audit_visits, listed: c.listed, beyond: c.beyond };
    if (c.beyond > 0) log.warn(line, `listed households beyond the street's capacity: ${beyond}`);
    else log.info(line, "the street's list is within its capacity");
  }
}
