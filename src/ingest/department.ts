import { sql, type RawBuilder } from 'kysely';
import type { z } from 'zod';
import type { SafetynetConfig } from '../config/schema.js';
import type { CopyValue } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import { asOf, type Versioned } from '../db/versions.js';
import type { ParsedIdNumber } from '../identity/id-number.js';

/** A department's id (`civil-affairs`, `health`, …): data, checked against the registry (departments.ts). */
export type DepartmentId = string;

export interface ColumnSpec {
  /** the contract's English name, also the key of the parsed row */
  name: string;
  /** the Chinese header departments use, and any other spellings seen in the wild */
  headers: string[];
  required: boolean;
  /**
   * A department's own codes for values the column accepts (`特重` → `1`): replaced in the raw
   * field before the row is validated. A bureau adds its own in config (`departments.<id>.columns`).
   */
  values?: Record<string, string>;
}

/** A table holding a department's rows by period, and the column that names the period. */
export interface PeriodTable {
  table: string;
  periodColumn: string;
}

/** What the not-on-roster link reads from a department: one row per sighting of a person. */
export interface PeopleContext {
  period: string;
  /** the period whose rows of the department the month uses (its own, or its latest extract's; null: none yet) */
  rowsPeriod: string | null;
  /** the claims of the period's 12-month window, as the run keeps them (`buildWindowClaims`) */
  windowClaims: RawBuilder<unknown>;
}

/** What a department's household facts read: its rows of this period, or of the period that stands in for it. */
export interface FactsContext {
  /** the period whose rows the run uses (src/period.ts `rowsPeriod`); null: none delivered yet, so no rows */
  rowsPeriod: string | null;
  /** the day facts are taken at, YYYY-MM-DD */
  asOf: string;
  /** the month whose roster (member, household) the facts are of */
  period: string;
  /**
   * The claims the facts statement counts: settled in the 12 months ending `asOf` (id18,
   * inpatient, out_of_pocket, settled_on; a subquery for FROM).
   */
  claims: RawBuilder<unknown>;
  /**
   * Each member counted at that day, with their claims summed, as the facts statement already
   * has them (household_id, id18, stays: inpatient stays, oop: out-of-pocket yuan): cheaper to
   * read than `claims` and `member` again. For `signal` only: it is made after the departments'
   * household facts are declared, before their signals are read.
   */
  members: RawBuilder<unknown>;
  cfg: SafetynetConfig;
}

/** One household fact a department adds to `household_facts`. */
export interface HouseholdFactColumn {
  /** the column of household_facts (snake_case; src/score/score-households.ts maps it for the dimensions) */
  name: string;
  /**
   * Its aggregate over a household's members: `p` is the member (household_id, id18, age,
   * employment, working_age, able: a working-age member the roster counts as able to earn), `f`
   * the member's row of `people`.
   */
  aggregate: RawBuilder<unknown>;
  /** its value for a household none of whose members has a row */
  none: RawBuilder<unknown>;
}

/**
 * The facts a department gives about people, and how they add up per household: the facts
 * statement (src/score/household-facts.sql.ts) joins every registered department's to the
 * members, so a department's facts need no edit there.
 */
export interface HouseholdFactsOf {
  /** one row per person: `id18` and the person's facts, from the rows of `rowsPeriod` */
  people(ctx: FactsContext): RawBuilder<unknown>;
  columns: HouseholdFactColumn[];
}

/**
 * One department, declared once: everything the pipeline needs to find its file, read and check
 * its rows, load them, clear and purge them, and use them to link people. The registry
 * (departments.ts) holds the declarations; everything that lists departments iterates it.
 */
export interface Department<Row extends object = any> {
  /** lower-case words joined by '-': the id in config, the run summary, source_load and the reports */
  id: DepartmentId;
  labels: { en: string; zh: string };
  /** the file's base name: `<inbox>/<period>/<file>.csv` or `<file>.xlsx` */
  file: string;
  columns: ColumnSpec[];
  /** the column holding the person's ID number: the row schema yields it as a ParsedIdNumber */
  idColumn: string;
  /**
   * Only the roster: its people are the households. A period whose file loads no row is
   * refused, since a month without it would turn every family into one-person "not on roster"
   * entries; it cannot be made optional.
   */
  definesHouseholds?: boolean;
  /** a month waits for a required department (exit 4); without an optional one it runs (config may override) */
  required: boolean;
  /** 'delta': each month sends its new rows (claims); 'snapshot': each month sends everything current */
  delivery: 'delta' | 'snapshot';
  /** rows refused for their ID number alone may be linked to a roster person by the identity rescue */
  rescuable: boolean;
  /**
   * People found only in this department become one-person "not on roster" households; their
   * name and birth date come from the department with the lowest preference that knows them.
   * `people` reads the sightings (id18, name, birth_date, sex, line); by default the period's rows of `table`.
   */
  notOnRoster?: { preference: number; people?(ctx: PeopleContext): RawBuilder<unknown> };
  /** the household facts its rows give (what the dimensions read of it is the scoring's) */
  householdFacts?: HouseholdFactsOf;
  /**
   * Whether the department's data points at a household as in need this month: `people` yields
   * rows with the `id18` of the people it points at (anyone else is ignored; a household with
   * one of them among its members counts the department once). The list and the card show how
   * many departments point at a household and which, for the analyst to weigh the overlap of
   * sources ("data overlap intensity"); no dimension reads it. The roster declares none: it is
   * what every other department is compared against.
   */
  signal?: { meaning: { en: string; zh: string }; people(ctx: FactsContext): RawBuilder<unknown> };
  /**
   * How its rows change who a household's members are at the facts' day (population events):
   * `gone` yields roster members no longer counted (`id18`, `gone_on` date, `why`: 'died' or
   * 'moved_out'); `joined` people the roster does not list yet who count in a member's household
   * (`id18`, `birth_date`, `with_id18`: the member whose household they join, a newborn's parent).
   * The facts statement (src/score/household-facts.sql.ts) takes every registered department's.
   */
  membership?: { gone(ctx: FactsContext): RawBuilder<unknown>; joined(ctx: FactsContext): RawBuilder<unknown> };
  /**
   * It may send deliveries between months, one file a night (`<inbox>/daily/YYYY-MM-DD/<file>.csv`
   * or `.xlsx`): the night run (jobs/run-day.ts) loads them, warns on their events the same night,
   * and the month folds them in. `declaration` reads the day's file (by default this one: its rows
   * kept in its own period table under the day, `YYYY-MM-DD`, where a month's are under `YYYY-MM`;
   * `receivedBy` and `receivedRank` read both). `events` yields the day's rows as urgent-warning
   * triggers, one row per person and event (`dayEventColumns`).
   */
  daily?: { declaration?: () => Department; events(day: string): RawBuilder<unknown> };
  /** the tables holding its rows by period: a rerun of the period clears them, purge deletes them, the run analyzes them */
  periodTables: PeriodTable[];
  /**
   * Its rows kept as versions valid from one period to another (src/db/versions.ts) rather than
   * in a period table: only the roster, a city a month of which about 5% changes. `finalize`
   * writes the period's versions (a rerun's clear leaves them to it), purge forgets the purged
   * periods, the run analyzes the table. `table` is then the shape its rows are staged in.
   */
  versions?: Versioned;
  /** `asOf` is the last day of the period: later birth or event dates are errors */
  rowSchema(asOf: Date): z.ZodType<Row>;
  /** the period table a valid row goes to (one of `periodTables`; with `versions`, its staged shape), and its values in that order */
  table: string;
  tableColumns: readonly string[];
  toColumns(row: Row, ctx: { period: string; line: number }): CopyValue[];
  /**
   * Moves the staged rows (temp table `stage`) into the period table. Rows it refuses go to
   * rejected_row; returns how many it refused.
   */
  finalize(tx: Tx, period: string, stage: string): Promise<number>;
  /**
   * With `versions`, how the identity rescue adds the period's rescued rows (temp table `stage`,
   * the staged shape) to what `finalize` wrote; returns the lines it kept (one a valid line of
   * the file already stands for is not). Without `versions`, rescued rows go into `table`.
   */
  addRescued?(tx: Tx, period: string, stage: string): Promise<number[]>;
}

/**
 * The columns a department's `daily.events` yields, in this order: `id18` (the roster member the
 * event is about: the parent, for a birth), `kind` ('bill', 'death', 'birth', 'move_out',
 * 'move_in', 'disaster'), `key` (the event's identity: one warning per household and key,
 * whichever night delivers it again), `happened_on` (YYYY-MM-DD), `amount` (yuan out of pocket or lost),
 * `inpatient`, `label` (the disaster's name), `house_damaged`.
 */
export const dayEventColumns = ['id18', 'kind', 'key', 'happened_on', 'amount', 'inpatient', 'label', 'house_damaged'] as const;

/** The declaration a night reads a department's daily file with. */
export const dailyDeclaration = (def: Department): Department => def.daily?.declaration?.() ?? def;

/**
 * Rows of a period table as the day `asOf` (YYYY-MM-DD) knows them: the months' extracts up to
 * asOf's month and the daily deliveries up to the day. A month's rows are received as `YYYY-MM`,
 * a day's as `YYYY-MM-DD`, and ISO text sorts a month before its own days and after the days of
 * the months before: `received <= asOf` is exactly that. The month run of P (asOf: P's last day)
 * reads P's extract and P's days; a night reads its base period's extracts and the days to it.
 */
export const receivedBy = (column: RawBuilder<unknown>, asOf: string): RawBuilder<unknown> => sql`${column} <= ${asOf}::text`;

/**
 * The order in which versions of one fact replace each other (later wins): a month's extract is
 * the department's reconciled record and replaces what its days delivered; a day after the month
 * corrects the month.
 */
export const receivedRank = (column: RawBuilder<unknown>): RawBuilder<unknown> =>
  sql`case when length(${column}) = 7 then ${column} || '-99' else ${column} end`;

/** Headers are matched after NFKC, trimming and case-folding. */
export const headerKey = (h: string): string => h.normalize('NFKC').replace(/^\uFEFF/, '').trim().toLowerCase();

export const personColumns = (id: ParsedIdNumber): CopyValue[] => [id.birthDate, id.sex];

/** The column of `table` that names the period of its rows. */
export function periodColumnOf(def: Department, table = def.table): string {
  const found = def.periodTables.find((t) => t.table === table);
  if (!found) throw new Error(`department ${def.id}: table ${table} is not among its periodTables`);
  return found.periodColumn;
}

/**
 * A department's stored rows of a period, as a parenthesised select to alias: its period
 * table's rows of the period, or the versions in force then (the roster).
 */
export function periodRows(def: Department, period: string | null): RawBuilder<unknown> {
  return def.versions ? asOf(def.versions, period) : sql`(select * from ${sql.table(def.table)} where ${sql.ref(periodColumnOf(def))} = ${period}::text)`;
}

/** A bureau's settings for one department (config `departments.<id>`). */
export interface DepartmentSettings {
  /** overrides the declaration's `required` */
  required?: boolean;
  /** per contract column: more header names, and the bureau's codes for the column's values */
  columns?: Record<string, { aliases?: string[]; values?: Record<string, string> }>;
}

/** Whether a month waits for the department, after the bureau's settings. */
export const isRequired = (def: Department, settings?: DepartmentSettings): boolean => settings?.required ?? def.required;

/** The department's columns with the bureau's aliases and value maps added to the declared ones. */
export function columnsWith(def: Department, settings?: DepartmentSettings): ColumnSpec[] {
  if (!settings?.columns) return def.columns;
  return def.columns.map((c) => {
    const own = settings.columns?.[c.name];
    if (!own) return c;
    return {
      ...c,
      headers: [...c.headers, ...(own.aliases ?? []).filter((a) => !c.headers.includes(a))],
      values: own.values || c.values ? { ...c.values, ...own.values } : undefined,
    };
  });
}

/**
 * The finalize of a department whose file may hold a person on several rows: each person kept
 * once, as `insert` folds them (an `insert into <table> ... from <stage> group by ...`), and every
 * line folded into an earlier one named in the data-quality report, saying how it was kept.
 */
export async function foldPersonRows(
  db: Tx['db'],
  opts: { period: string; source: DepartmentId; stage: string; keptHow: string; insert: RawBuilder<unknown> },
): Promise<void> {
  const { period, source, stage, keptHow, insert } = opts;
  await sql`
    with twice as materialized (
      select id18, min(line) as first_line, count(*)::int as n from ${sql.table(stage)} group by id18 having count(*) > 1
    ), noted as (
      insert into quality_issue (period, source, line, kind, detail)
      select ${period}, ${source}, s.line, 'person_on_several_rows',
             'the person of line ' || t.first_line || ' again (' || t.n || ' rows): ' || ${keptHow}::text
      from ${sql.table(stage)} s join twice t on t.id18 = s.id18 and s.line > t.first_line
    )
    ${insert}
  `.execute(db);
}
