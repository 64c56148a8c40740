import { type Kysely, sql } from 'kysely';

/**
 * Issue 7: what street workers found at the door, and warnings that do not wait for the month's end.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- one imported report file of the street offices: counts reconcile like an extract's
    create table visit_import (
      import_id bigserial primary key,
      file text not null,
      sha256 text not null,
      imported_at timestamptz not null default now(),
      operator text not null,
      rows_read integer not null,
      rows_loaded integer not null,
      rows_rejected integer not null,
      -- rows already imported from an earlier file (same household, day and outcome)
      rows_duplicate integer not null,
      check (rows_read = rows_loaded + rows_rejected + rows_duplicate)
    );

    create table visit (
      visit_id bigserial primary key,
      import_id bigint not null references visit_import,
      line integer not null,
      household_id text not null,
      visited_on date not null,
      outcome text not null check (outcome in ('assisted_dibao', 'assisted_tekun', 'assisted_temporary', 'assisted_medical',
                                               'assisted_other', 'not_eligible', 'refused', 'not_found', 'moved')),
      assistance_granted numeric(14, 2),
      note text,
      unique (household_id, visited_on, outcome)
    );
    create index visit_household on visit (household_id, visited_on);

    create table visit_rejected (
      import_id bigint not null references visit_import,
      line integer not null,
      column_name text,
      reason text not null,
      raw jsonb not null
    );

    -- "this household's score in the last period up to the visit": by household, not by period
    create index household_score_household on household_score (household_id, period);

    alter table household_score
      -- covered through an "assisted with dibao/tekun" visit the roster does not show yet
      add column covered_by_visit text check (covered_by_visit in ('dibao', 'tekun')),
      -- what a visit changed about the listing: [{text, text_zh}] (cool-down, re-listed because…)
      add column visit_notes jsonb not null default '[]',
      -- kept off the list by a not-eligible visit's cool-down (on_list is then false)
      add column cooled_down boolean not null default false,
      -- flagged for review because its score moved by review.coveredChange (besides any review_reasons)
      add column review_by_score boolean not null default false;

    -- the departments' daily deltas: the medical-insurance claims settled each day
    create table daily_claim (
      claim_id text not null,
      day date not null,
      line integer not null,
      id18 text not null,
      name text,
      settled_on date not null,
      inpatient boolean not null,
      total_cost numeric(14, 2) not null,
      fund_paid numeric(14, 2) not null,
      assistance_paid numeric(14, 2),
      out_of_pocket numeric(14, 2) not null,
      birth_date date not null,
      sex text not null,
      primary key (claim_id, day)
    );
    create index daily_claim_person on daily_claim (id18);

    create table daily_run (
      day date primary key,
      status text not null check (status in ('succeeded', 'failed')),
      finished_at timestamptz not null default now(),
      -- the monthly period whose households and scores the day was compared with
      base_period text,
      summary jsonb,
      error text
    );

    -- an urgent warning is raised once per household and triggering claim, whatever reruns happen
    create table urgent_warning (
      urgent_id bigserial primary key,
      day date not null,
      household_id text not null,
      claim_id text not null,
      kind text not null check (kind in ('crossed_threshold', 'severe_event')),
      base_period text not null,
      previous_total numeric(5, 1),
      total numeric(5, 1) not null,
      reason text not null,
      reason_zh text not null,
      raised_at timestamptz not null default now(),
      unique (household_id, claim_id)
    );
    create index urgent_warning_day on urgent_warning (day);

    -- an urgent warning names a household: the same row security as the list (migration 0003);
    -- safetynet migrate --create-roles grants the exporter this table only once this is in place
    alter table urgent_warning enable row level security;
    alter table urgent_warning force row level security;
    create policy safetynet_trusted on urgent_warning for all to public
      using ((select safetynet_trusted('urgent_warning'::regclass)))
      with check ((select safetynet_trusted('urgent_warning'::regclass)));
    create policy safetynet_exporter_scope on urgent_warning for select to public
      using ((select safetynet_scoped('urgent_warning'::regclass)) and exists (
        select 1 from household h
        where h.period = urgent_warning.base_period and h.household_id = urgent_warning.household_id
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop policy safetynet_exporter_scope on urgent_warning;
    drop policy safetynet_trusted on urgent_warning;
    drop index household_score_household;
    drop table urgent_warning, daily_run, daily_claim, visit_rejected, visit, visit_import;
    alter table household_score drop column covered_by_visit, drop column visit_notes, drop column cooled_down, drop column review_by_score;
  `.execute(db);
}
