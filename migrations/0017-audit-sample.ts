import { type Kysely, sql } from 'kysely';
import { allowAnalyze } from './0005-batch-analyze.js';

/**
 * The monthly audit sample: a few households per street that the list left out (not listed, not
 * covered), drawn at random so that what street workers find at their doors estimates how many
 * households in need the list misses (src/score/audit-sample.ts draws it).
 *
 * - `audit_frame`: per street (the 9-digit prefix of the region code) and tier, how many
 *   households the sample was drawn from and how many it drew. The frame: the period's scored
 *   households not listed (on_list, review), not covered, not cooled down, in a street (not the
 *   not-on-roster street 000); `near` is the frame within `audit.nearMargin` points below the
 *   warning threshold, `far` the rest. An estimate weighs each audit household by
 *   frame_households / sample_size of its stratum. A stratum of no household has no row.
 * - `audit_sample`: the drawn households, in the order the seeded hash put them.
 *
 * Both are period tables: a rerun of the month replaces them, purge deletes them with the
 * period. Row security as household_score's (migration 0003): the run sees and writes every
 * row; an exporter sees the sample of the households in its scope, and the frame of the streets
 * in it (a community's reader sees its street's frame: counts, no person). The exporter reads them
 * through the views of schema safetynet_export like everything else (nothing in them to mask).
 */
const TABLES = ['audit_frame', 'audit_sample'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table audit_frame (
      period text not null,
      street text not null,
      tier text not null check (tier in ('near', 'far')),
      frame_households int not null check (frame_households >= 0),
      sample_size int not null check (sample_size between 0 and frame_households),
      seed text not null,
      primary key (period, street, tier)
    );

    create table audit_sample (
      period text not null,
      household_id text not null,
      street text not null,
      tier text not null check (tier in ('near', 'far')),
      draw_order int not null check (draw_order >= 1),
      primary key (period, household_id),
      foreign key (period, street, tier) references audit_frame on delete cascade
    );

    alter table audit_frame enable row level security;
    alter table audit_frame force row level security;
    create policy safetynet_trusted on audit_frame for all to public
      using ((select safetynet_trusted('audit_frame'::regclass)))
      with check ((select safetynet_trusted('audit_frame'::regclass)));
    create policy safetynet_exporter_scope on audit_frame for select to public
      using ((select safetynet_scoped('audit_frame'::regclass)) and (
        left(audit_frame.street, length((select safetynet_region_scope()))) = (select safetynet_region_scope())
        or left((select safetynet_region_scope()), 9) = audit_frame.street));

    alter table audit_sample enable row level security;
    alter table audit_sample force row level security;
    create policy safetynet_trusted on audit_sample for all to public
      using ((select safetynet_trusted('audit_sample'::regclass)))
      with check ((select safetynet_trusted('audit_sample'::regclass)));
    create policy safetynet_exporter_scope on audit_sample for select to public
      using ((select safetynet_scoped('audit_sample'::regclass)) and exists (
        select 1 from household h
        where h.period = audit_sample.period and h.household_id = audit_sample.household_id
          and left(h.region_code, length((select safetynet_region_scope()))) = (select safetynet_region_scope())));

    create view safetynet_export.audit_frame with (security_barrier) as select * from public.audit_frame;
    create view safetynet_export.audit_sample with (security_barrier) as select * from public.audit_sample;
  `.execute(db);
  await allowAnalyze(db, TABLES, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await allowAnalyze(db, TABLES, false);
  await sql`
    drop view safetynet_export.audit_sample, safetynet_export.audit_frame;
    drop table audit_sample, audit_frame;
  `.execute(db);
}
