import type { Kysely } from 'kysely';
import { type Converted, toTables, toVersions } from './0032-snapshot-departments-as-versions.js';

/**
 * The information verification centre's findings and the education bureau's enrolments kept as
 * versions, as migration 0032 keeps the diagnoses and the human resources registrations: both
 * send their whole register every month (one row a person once the ingest has folded the rest),
 * and little of it changes; at 1,000,000 households `verification` grew 17 MiB a month and
 * `enrolment` 12 MiB. The person is the key. `verification` and `enrolment` are views of each
 * loaded period's rows (the line not kept) whose WHERE says their row security; the exporter
 * reads neither. The verification's asset-check notes (`household_asset_check`) stay a table a
 * period: they are the scoring's, written from the period's rows.
 */
const CONVERTED: readonly Converted[] = [
  {
    table: 'enrolment',
    source: 'education',
    columns: [
      ['period', 'text not null'], ['line', 'integer not null'], ['id18', 'text not null'], ['name', 'text'],
      ['stage', `text not null check (stage in ('high_school', 'secondary_vocational', 'higher'))`],
      ['school_year', 'integer not null'], ['fees_paid', 'numeric(14, 2) not null'], ['birth_date', 'date not null'], ['sex', 'text not null'],
    ],
    ordinal: false,
    tableKey: 'primary key (period, id18)',
  },
  {
    table: 'verification',
    source: 'verification',
    columns: [
      ['period', 'text not null'], ['line', 'integer not null'], ['id18', 'text not null'], ['name', 'text'],
      ['properties', 'integer not null check (properties >= 0)'],
      ['properties_beyond_home', 'integer not null check (properties_beyond_home between 0 and properties)'],
      ['vehicles', 'integer not null check (vehicles >= 0)'],
      ['vehicle_value', `text check (vehicle_value in ('under_50k', '50k_to_150k', 'over_150k'))`],
      ['businesses', 'integer not null check (businesses >= 0)'],
      ['business_role', `text check (business_role in ('owner', 'legal_representative', 'both'))`],
      ['housing_fund_monthly', 'numeric(14, 2)'], ['birth_date', 'date not null'], ['sex', 'text not null'],
    ],
    ordinal: false,
    tableKey: 'primary key (period, id18)',
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await toVersions(db, CONVERTED);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await toTables(db, CONVERTED);
}
