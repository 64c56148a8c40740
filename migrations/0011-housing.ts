import { type Kysely, sql } from 'kysely';
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

/**
 * The row security of a department's person table (migration 0003): the run sees every row, an
 * exporter only the people of households in its scope (it has no grant on the table either: no
 * export reads it, the card shows its facts through the reasons).
 */
export async function departmentRowSecurity(db: Kysely<unknown>, table: string, periodColumn: string): Promise<void> {
  const t = sql.table(table);
  const name = sql.lit(table);
  const period = sql.ref(`${table}.${periodColumn}`);
  const id18 = sql.ref(`${table}.id18`);
  await sql`
    alter table ${t} enable row level security;
    alter table ${t} force row level security;
    create policy safetynet_trusted on ${t} for all to public
      using ((select safetynet_trusted(${name}::regclass)))
      with check ((select safetynet_trusted(${name}::regclass)));
    create policy safetynet_exporter_scope on ${t} for select to public
      using ((select safetynet_scoped(${name}::regclass)) and exists (
        select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id
        where m.period = ${period} and m.id18 = ${id18}
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));
  `.execute(db);
}
