import { type Kysely, sql } from 'kysely';

// The period is the partition of every derived table: a rerun deletes and rewrites one period.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table run (
      run_id bigserial primary key,
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      -- waiting: extracts not all delivered yet (not a failure); refused: input could not be trusted
      status text not null check (status in ('running', 'succeeded', 'failed', 'refused', 'waiting')),
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      inbox text not null,
      config_version text not null,
      input_hashes jsonb,
      summary jsonb,
      -- sha256 of the period's default warning list: two runs with equal hashes gave the same list
      output_sha256 text,
      error text
    );
    create index run_period_status on run (period, status);

    create table roster_member (
      period text not null,
      line integer not null,
      household_id text not null,
      id18 text not null,
      name text not null,
      relation text not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      employment text,
      address text,
      phone text,
      birth_date date not null,
      sex text not null,
      primary key (period, id18)
    );

    create table disability (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      disability_type text not null,
      disability_grade smallint not null check (disability_grade between 1 and 4),
      certified_on date,
      birth_date date not null,
      sex text not null,
      primary key (period, line)
    );
    create index disability_period_person on disability (period, id18);

    -- claims accumulate across periods: a period sees the latest version of every claim
    -- received up to it, so a correction replaces the original and is never counted twice
    create table claim (
      claim_id text not null,
      received_period text not null,
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
      primary key (claim_id, received_period)
    );

    create table diagnosis (
      period text not null,
      line integer not null,
      id18 text not null,
      name text,
      diagnosis_code text not null,
      category text not null,
      recorded_on date,
      birth_date date not null,
      sex text not null,
      primary key (period, line)
    );
    create index diagnosis_period_person on diagnosis (period, id18);

    create table rejected_row (
      period text not null,
      source text not null,
      line integer not null,
      column_name text,
      reason text not null,
      raw jsonb not null
    );
    create index rejected_row_period on rejected_row (period, source, line);

    create table quality_issue (
      period text not null,
      source text not null,
      line integer,
      kind text not null,
      detail text not null
    );
    create index quality_issue_period on quality_issue (period, source);

    create table source_load (
      period text not null,
      source text not null,
      file text not null,
      sha256 text not null,
      encoding text not null,
      rows_read integer not null,
      rows_loaded integer not null,
      rows_rejected integer not null,
      primary key (period, source),
      check (rows_read = rows_loaded + rows_rejected)
    );

    create table dibao_standard (
      region_prefix text not null,
      hukou_type text not null check (hukou_type in ('urban', 'rural')),
      effective_from text not null,
      monthly_standard numeric(10, 2) not null check (monthly_standard > 0),
      primary key (region_prefix, hukou_type, effective_from)
    );

    create table household (
      period text not null,
      household_id text not null,
      on_roster boolean not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      head_id18 text not null,
      head_name text not null,
      members integer not null,
      address text,
      phone text,
      primary key (period, household_id)
    );

    create table member (
      period text not null,
      household_id text not null,
      id18 text not null,
      name text not null,
      relation text not null,
      birth_date date not null,
      sex text not null,
      employment text,
      primary key (period, id18)
    );
    create index member_household on member (period, household_id);

    create table household_score (
      period text not null,
      household_id text not null,
      rank integer,
      total numeric(5, 1) not null,
      tier text not null,
      on_list boolean not null,
      covered boolean not null,
      change text not null default 'new',
      previous_total numeric(5, 1),
      review boolean not null default false,
      age_structure numeric(5, 1) not null,
      economic numeric(5, 1) not null,
      health numeric(5, 1) not null,
      disability numeric(5, 1) not null,
      medical_burden numeric(5, 1) not null,
      labour_capacity numeric(5, 1) not null,
      reasons jsonb not null,
      primary key (period, household_id)
    );
    create index household_score_rank on household_score (period, rank);

    -- every export of a list: who took what, why, masked or not; written in the transaction
    -- that read the rows, so that no file exists without its line here
    create table export_audit (
      audit_id bigserial primary key,
      at timestamptz not null default now(),
      operator text not null,
      purpose text,
      period text not null,
      format text not null,
      filters jsonb not null,
      masked boolean not null,
      rows integer not null,
      sha256 text not null,
      file text not null
    );
    create index export_audit_period on export_audit (period, at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table export_audit, household_score, member, household, dibao_standard, source_load, quality_issue,
      rejected_row, diagnosis, claim, disability, roster_member, run;
  `.execute(db);
}
