import { type Kysely, sql } from 'kysely';
import { departmentRowSecurity } from './0003-roles-and-row-security.js';
import { allowAnalyze } from './0005-batch-analyze.js';
import { remakingMaskedView } from './0007-dimension-scores-as-data.js';

/**
 * The information verification department's rows (核对: real estate, vehicles, business
 * registrations, housing-fund contributions; src/ingest/verification), one per person and
 * period, and the asset-check note the scoring writes from them per household.
 *
 * Asset data is held as health data is (migrations 0003 and 0006): row security lets the run see
 * every row and an exporter only the people of households in its scope, and the exporter has no
 * grant on `verification` at all (no export reads it; nothing in schema safetynet_export shows it).
 * The note ("check assets at the visit: 2 vehicles registered, one business") is read through the
 * masked view safetynet_export.household_asset_check: its figures only in a transaction that
 * opened an unmasked audit entry (or for the run itself), otherwise only that assets were
 * flagged. It is a table of its own, not columns of household_score, so that the results kept
 * after a purge (household_score) keep no asset data: both tables are the department's period
 * tables, cleared by a rerun and deleted by purge with its rows. household_score gets the route's
 * confidence, which says no figure.
 *
 * The batch ANALYZEs both tables through safetynet_analyze (migration 0005), whose list this
 * migration extends with them, whatever tables earlier migrations added to it.
 */

const TABLES = ['verification', 'household_asset_check'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table verification (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      properties integer not null check (properties >= 0),
      properties_beyond_home integer not null check (properties_beyond_home between 0 and properties),
      vehicles integer not null check (vehicles >= 0),
      vehicle_value text check (vehicle_value in ('under_50k', '50k_to_150k', 'over_150k')),
      businesses integer not null check (businesses >= 0),
      business_role text check (business_role in ('owner', 'legal_representative', 'both')),
      housing_fund_monthly numeric(14, 2),
      birth_date date not null,
      sex text not null,
      primary key (period, id18)
    );

    create table household_asset_check (
      period text not null,
      household_id text not null,
      note text not null,
      note_zh text not null,
      primary key (period, household_id)
    );
  `.execute(db);

  // as the person tables of migration 0003 (disability, diagnosis): the household the roster put the person in that period
  await departmentRowSecurity(db, 'verification', 'period');
  // the note: the run sees every row, an exporter the households of its scope
  await sql`
    alter table household_asset_check enable row level security;
    alter table household_asset_check force row level security;
    create policy safetynet_trusted on household_asset_check for all to public
      using ((select safetynet_trusted('household_asset_check'::regclass)))
      with check ((select safetynet_trusted('household_asset_check'::regclass)));
    create policy safetynet_exporter_scope on household_asset_check for select to public
      using ((select safetynet_scoped('household_asset_check'::regclass)) and exists (
        select 1 from household h
        where h.period = household_asset_check.period and h.household_id = household_asset_check.household_id
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));

    -- the figures as the diagnosis codes of migration 0006: for the run, or an unmasked (audited) transaction
    create view safetynet_export.household_asset_check with (security_barrier) as
      select period, household_id,
             case when (select safetynet_trusted('household_asset_check'::regclass)) or (select safetynet_unmask_granted()) then note end as note,
             case when (select safetynet_trusted('household_asset_check'::regclass)) or (select safetynet_unmask_granted()) then note_zh end as note_zh
      from public.household_asset_check;
  `.execute(db);

  await remakingMaskedView(db, async () => {
    await sql`alter table household_score add column route_confidence text check (route_confidence in ('high', 'low'))`.execute(db);
  });
  await allowAnalyze(db, TABLES, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, TABLES, false);
  await remakingMaskedView(db, async () => {
    await sql`alter table household_score drop column route_confidence`.execute(db);
  });
  await sql`
    drop view safetynet_export.household_asset_check;
    drop table household_asset_check, verification;
  `.execute(db);
}
