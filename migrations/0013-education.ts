import { type Kysely, sql } from 'kysely';
import { departmentRowSecurity } from './0003-roles-and-row-security.js';
import { allowAnalyze } from './0005-batch-analyze.js';

/**
 * The education department's rows (教育: students in non-compulsory education and the fees paid
 * this school year, src/ingest/education), one per student and period: a student on two rows
 * is folded into one at load. Row security as the other departments' person tables; the batch
 * ANALYZEs it through safetynet_analyze (migration 0005).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table enrolment (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      stage text not null check (stage in ('high_school', 'secondary_vocational', 'higher')),
      school_year integer not null,
      fees_paid numeric(14, 2) not null,
      birth_date date not null,
      sex text not null,
      primary key (period, id18)
    )
  `.execute(db);
  await departmentRowSecurity(db, 'enrolment', 'period');
  await allowAnalyze(db, ['enrolment'], true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, ['enrolment'], false);
  await sql`drop table enrolment`.execute(db);
}
