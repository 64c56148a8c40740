import type { Kysely } from 'kysely';
import { type Converted, toTables, toVersions } from './0032-snapshot-departments-as-versions.js';

/**
 * The disability federation's certificates kept as versions, as migration 0032 keeps the
 * diagnoses: the federation sends its whole register every month and little of it changes (at
 * 1,000,000 households `disability` grew 31 MiB a month). A person may hold several
 * certificates, so a certificate is keyed by the person and its place among the person's rows in
 * the order of their content (`ordinal`); the line is not kept (it stays with the rejects and
 * the data-quality report). `disability` is a view of each loaded period's rows (the table's
 * columns but `line`) whose WHERE says its row security; the exporter reads it through
 * `safetynet_export.disability` as before.
 */
const CONVERTED: readonly Converted[] = [
  {
    table: 'disability',
    source: 'disability',
    columns: [
      ['period', 'text not null'], ['line', 'integer not null'], ['id18', 'text not null'], ['name', 'text'],
      ['disability_type', 'text not null'], ['disability_grade', 'smallint not null check (disability_grade between 1 and 4)'],
      ['certified_on', 'date'], ['birth_date', 'date not null'], ['sex', 'text not null'],
    ],
    ordinal: true,
    rowOrder: 'disability_type, disability_grade, certified_on, name, birth_date, sex',
    tableKey: 'primary key (period, line)',
    tableIndex: 'create index disability_period_person on disability (period, id18)',
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await toVersions(db, CONVERTED);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await toTables(db, CONVERTED);
}
