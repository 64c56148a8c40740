import { type Kysely, sql } from 'kysely';
import { grantsOn, regrant } from './0018-period-partitions.js';
import { versionsFromCopies } from './0025-roster-versions.js';
import { owner as ownerOf } from './0026-score-explanations.js';
import {
  batchWrote, columnDefinitions, dropDependents, handOver, OWNER_MIGRATES, personRowSecurity, remakeDependents, renameAnalyzable,
} from './0027-members-from-roster-versions.js';

/**
 * The health commission's diagnoses and human resources' registrations kept as versions, as the
 * roster is (migration 0025), instead of a copy a period. Both send their whole register every
 * month and little of it changes, yet each month wrote all of it again: at 1,000,000 households
 * `diagnosis` grew 135 MiB a month and `human_resources` 116 MiB, a quarter of what a month added.
 *
 * `<table>_version` holds a row from the period it first appears or changes until the first
 * loaded period it no longer holds; `<table>_period` lists the periods the department was loaded
 * for (a month an optional department did not deliver is not one: it is read in its latest).
 * A version does not hold the file's line number, which shifts for nearly every row every month;
 * the line stays in rejected_row and quality_issue. A person has one registration row at human
 * resources (its ingest folds the rest), so the person is the key. A person can have several
 * diagnoses, even two alike, so a diagnosis is keyed by the person and its place among the
 * person's rows in the order of their content (`ordinal`): an unchanged set of diagnoses is the
 * same versions month after month, a new diagnosis writes that person's rows only.
 *
 * `<table>` is now a view: every loaded period's rows, with the table's columns but the line
 * (and `ordinal` for diagnoses), so what read a period's rows (`where period = ...`) reads the
 * same rows. Its WHERE says what the table's row security said: the owner and the batch read every
 * row, an exporter the people of the households in its scope that period, through the members'
 * view by period and ID number. The versions have no row security and the exporter no grant on
 * them, nor on the view: it reads diagnoses through `safetynet_export.diagnosis` (a security
 * barrier) and human resources not at all. `<table>_row` is the row as sent, the shape its file
 * is staged in.
 *
 * The periods listed are those with rows, and those the ledger (`source_load`) says the
 * department was loaded for with no row while their roster is still kept (a purged period's
 * ledger stays). The down writes every period's rows into the table again, numbered as a line in
 * the order of the person and their rows, with the row security migration 0027 left.
 */
export interface Converted {
  table: string;
  source: string;
  /** the table's columns as migrations 0001 and 0008 made them, in their order */
  columns: readonly (readonly [string, string])[];
  /** the versions' key after `id18` (a diagnosis's place among the person's rows) */
  ordinal: boolean;
  /** the order of a person's rows that numbers them */
  rowOrder?: string;
  /** the table's primary key and index as made before (for the down) */
  tableKey: string;
  tableIndex?: string;
}

const CONVERTED: readonly Converted[] = [
  {
    table: 'diagnosis',
    source: 'health',
    columns: [
      ['period', 'text not null'], ['line', 'integer not null'], ['id18', 'text not null'], ['name', 'text'],
      ['diagnosis_code', 'text not null'], ['category', 'text not null'], ['recorded_on', 'date'],
      ['birth_date', 'date not null'], ['sex', 'text not null'],
    ],
    ordinal: true,
    rowOrder: 'diagnosis_code, category, recorded_on, name, birth_date, sex',
    tableKey: 'primary key (period, line)',
    tableIndex: 'create index diagnosis_period_person on diagnosis (period, id18)',
  },
  {
    table: 'human_resources',
    source: 'human-resources',
    columns: [
      ['period', 'text not null'], ['line', 'integer not null'], ['id18', 'text not null'], ['name', 'text'],
      ['registered_unemployed', 'boolean not null'], ['registered_on', 'date'], ['pension_monthly', 'numeric(14, 2)'],
      ['birth_date', 'date not null'], ['sex', 'text not null'],
    ],
    ordinal: false,
    tableKey: 'primary key (period, id18)',
  },
];

/** What a version holds besides its key: the row's columns but the period, the line and the person. */
const held = (c: Converted) => c.columns.filter(([n]) => n !== 'period' && n !== 'line' && n !== 'id18');
const keyOf = (c: Converted) => (c.ordinal ? ['id18', 'ordinal'] : ['id18']);

/** The version's place among the person's rows in one period, by content. */
const ordinalOver = (c: Converted, period: string) => `(row_number() over (partition by ${period}, id18 order by ${c.rowOrder}))::int`;

/** The versions from the copies a period (migration 0025's gaps and islands), a diagnosis numbered among its person's rows. */
const versionsOf = (c: Converted): string =>
  versionsFromCopies({
    into: `${c.table}_version`,
    periods: `${c.table}_period`,
    key: keyOf(c),
    columns: held(c).map(([n]) => n),
    copies: `select period, id18${c.ordinal ? `, ${ordinalOver(c, 'period')} as ordinal` : ''}, ${held(c).map(([n]) => n).join(', ')} from ${c.table}_copy`,
  });

/** The view over the versions: each loaded period's rows, as the table's row security let each reader see them. */
function periodView(c: Converted): string {
  const cols = ['period', ...keyOf(c), ...held(c).map(([n]) => n)];
  const trusted = `(select safetynet_trusted('${c.table}_version'::regclass))`;
  const scoped = `(select safetynet_scoped('${c.table}_version'::regclass))`;
  return `
    create view ${c.table} as
      select ${cols.map((x) => `d.${x}`).join(', ')}
      from (
        select p.period, v.* from ${c.table}_period p
        join ${c.table}_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)
      ) d
      -- the owner and the batch read every row; an exporter the people of the households in its
      -- scope that period (the members' view says the scope)
      where ${trusted}
         or (${scoped} and exists (select 1 from member m where m.period = d.period and m.id18 = d.id18))`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await toVersions(db, CONVERTED);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await toTables(db, CONVERTED);
}

/** Each department table of `converted` made versions and a view of its periods' rows. */
export async function toVersions(db: Kysely<unknown>, converted: readonly Converted[]): Promise<void> {
  for (const c of converted) {
    const owner = await ownerOf(db, `public.${c.table}`);
    const readers = (await grantsOn(db, [`public.${c.table}`])).filter((g) => g.privilege === 'SELECT' && g.grantee !== 'safetynet_batch');
    const dependents = await dropDependents(db, c.table, [c.table]);
    const key = keyOf(c);
    await sql.raw(`
      create type ${c.table}_row as (${c.columns.map(([n, t]) => `${n} ${t.replace(/ (not null|check).*$/, '')}`).join(', ')});
      create table ${c.table}_period (period text primary key);
      create table ${c.table}_version (
        id18 text not null,
        ${c.ordinal ? 'ordinal integer not null,' : ''}
        valid_from text not null,
        valid_until text,
        ${columnDefinitions(held(c))},
        primary key (${key.join(', ')}, valid_from),
        check (valid_until is null or valid_until > valid_from)
      ) with (fillfactor = 85);

      alter table ${c.table} rename to ${c.table}_copy;
      insert into ${c.table}_period
      select distinct period from ${c.table}_copy
      union
      select period from source_load where source = '${c.source}' and period in (select period from roster_period);
      ${versionsOf(c)};
      drop table ${c.table}_copy;
      ${periodView(c)};
    `).execute(db);
    await handOver(db, owner, { tables: [`${c.table}_version`, `${c.table}_period`], views: [c.table] }, OWNER_MIGRATES);
    await regrant(db, readers.map((g) => ({ ...g, relation: `public.${c.table}` })));
    await remakeDependents(db, dependents);
    await renameAnalyzable(db, [c.table], [`${c.table}_version`, `${c.table}_period`]);
  }
}

/** Each department of `converted` a table a period again, with migration 0027's row security. */
export async function toTables(db: Kysely<unknown>, converted: readonly Converted[]): Promise<void> {
  for (const c of [...converted].reverse()) {
    const owner = await ownerOf(db, `public.${c.table}_version`);
    const readers = (await grantsOn(db, [`public.${c.table}`])).filter((g) => g.grantee !== 'safetynet_batch');
    const dependents = await dropDependents(db, c.table, [c.table]);
    const cols = c.columns.map(([n]) => n);
    const order = c.ordinal ? 'id18, ordinal' : 'id18';
    await sql.raw(`
      create temp table ${c.table}_copy on commit drop as
      select ${cols.map((n) => (n === 'line' ? `(row_number() over (partition by period order by ${order}))::int as line` : n)).join(', ')}
      from ${c.table};
      drop view ${c.table};
      create table ${c.table} (
        ${columnDefinitions(c.columns)},
        ${c.tableKey}
      );
      ${c.tableIndex ?? ''};
      insert into ${c.table} select * from ${c.table}_copy;
      drop table ${c.table}_copy;
    `).execute(db);
    await personRowSecurity(db, c.table, 'period');
    await handOver(db, owner, { tables: [c.table] }, batchWrote(`${c.table}_version`));
    await sql.raw(`drop table ${c.table}_version, ${c.table}_period; drop type ${c.table}_row;`).execute(db);
    await regrant(db, readers);
    await remakeDependents(db, dependents);
    await renameAnalyzable(db, [`${c.table}_version`, `${c.table}_period`], [c.table]);
  }
}
