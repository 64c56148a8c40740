import { type Kysely, sql } from 'kysely';
import { ANALYZABLE, createAnalyzeFunction } from './0005-batch-analyze.js';

/**
 * The human-resources department's rows (人社: unemployment registrations and pensions,
 * src/ingest/human-resources), one per person and period: a person sent twice is folded into
 * one row at load. Row security as the other departments' person tables (migration 0003): the
 * run sees every row, an exporter only the people of households in its scope (it has no grant
 * on the table either: no export reads it, the card shows its facts through the reasons). The
 * batch ANALYZEs it through safetynet_analyze like the other period tables (migration 0005).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table human_resources (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      registered_unemployed boolean not null,
      registered_on date,
      pension_monthly numeric(14, 2),
      birth_date date not null,
      sex text not null,
      primary key (period, id18)
    );

    alter table human_resources enable row level security;
    alter table human_resources force row level security;
    create policy safetynet_trusted on human_resources for all to public
      using ((select safetynet_trusted('human_resources'::regclass)))
      with check ((select safetynet_trusted('human_resources'::regclass)));
    create policy safetynet_exporter_scope on human_resources for select to public
      using ((select safetynet_scoped('human_resources'::regclass)) and exists (
        select 1 from member m join household h on h.period = m.period and h.household_id = m.household_id
        where m.period = human_resources.period and m.id18 = human_resources.id18
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));
  `.execute(db);
  await createAnalyzeFunction(db, [...ANALYZABLE, 'human_resources']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createAnalyzeFunction(db, ANALYZABLE);
  await sql`drop table human_resources`.execute(db);
}
