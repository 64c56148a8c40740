import { type Kysely, sql } from 'kysely';

/**
 * Issue 8: the suggested programme per household, review reasons beyond a score change, and the
 * identity rescue of rows whose ID number was mistyped by one department.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table household_score
      -- the programme the household most likely fits (null for covered households) and the rule that matched
      add column route text,
      add column route_rule text,
      add column route_rule_zh text,
      -- why a household is flagged for review besides a score change: [{text, text_zh}]
      add column review_reasons jsonb not null default '[]',
      -- facts of this household that rest on an ID number corrected by the rescue: check at the visit
      add column rescued_links integer not null default 0;

    -- the rescue looks people up by name and birth date: without this, every batch of rejected
    -- rows scans the period's whole roster (measured: 4 s at 100k households, 26 s at 250k)
    create index roster_member_name on roster_member (period, name, birth_date);

    -- rows_rescued is a subset of rows_rejected: the file's own counts stay what the file gave
    alter table source_load add column rows_rescued integer not null default 0;

    -- one row per rejected row whose ID number was invalid: what the rescue decided
    create table identity_rescue (
      period text not null,
      source text not null,
      line integer not null,
      outcome text not null check (outcome in ('rescued', 'review', 'rejected')),
      -- the number as sent (normalised) and the name on the row: the key an analyst's decision is remembered by
      sent_number text not null,
      sent_name text,
      -- the roster person the row was linked to (rescued) or confirmed as
      id18 text,
      confidence numeric(3, 2),
      -- how the numbers differ: substitution, transposition, confirmed
      difference text,
      reason text not null,
      reason_zh text not null,
      -- roster people who might be meant: [{id18, household_id, name, name_matches, birth_matches, region_matches, difference}]
      candidates jsonb not null default '[]',
      primary key (period, source, line)
    );
    create index identity_rescue_person on identity_rescue (period, id18) where outcome = 'rescued';

    -- an analyst's answer to a review item, applied to the same number and name in later months
    create table identity_decision (
      sent_number text not null,
      sent_name text not null,
      decision text not null check (decision in ('confirmed', 'refused')),
      id18 text,
      decided_by text not null,
      decided_at timestamptz not null default now(),
      note text,
      primary key (sent_number, sent_name),
      check ((decision = 'confirmed') = (id18 is not null))
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index roster_member_name;
    drop table identity_decision, identity_rescue;
    alter table source_load drop column rows_rescued;
    alter table household_score drop column route, drop column route_rule, drop column route_rule_zh,
      drop column review_reasons, drop column rescued_links;
  `.execute(db);
}
