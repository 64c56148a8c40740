import { type Kysely, sql } from 'kysely';
import { departmentRowSecurity } from './0003-roles-and-row-security.js';
import { allowAnalyze } from './0005-batch-analyze.js';

/**
 * The housing department's rows (住建: dangerous-housing appraisals, src/ingest/housing), one per
 * owner and period: an owner of two appraised houses is folded into one row at load. Row
 * security as the other departments' person tables (migration 0003, see `departmentRowSecurity`);
 * the batch ANALYZEs it through safetynet_analyze (migration 0005).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table dangerous_house (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      grade text not null check (grade in ('C', 'D')),
      appraised_on date not null,
      birth_date date not null,
      sex text not null,
      primary key (period, id18)
    )
  `.execute(db);
  await departmentRowSecurity(db, 'dangerous_house', 'period');
  await allowAnalyze(db, ['dangerous_house'], true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, ['dangerous_house'], false);
  await sql`drop table dangerous_house`.execute(db);
}
