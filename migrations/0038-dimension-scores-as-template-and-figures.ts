import type { Kysely } from 'kysely';
import { remakeExplanations } from './0031-score-reasons-kept-once.js';
import { EXPLAINED, filled, withView } from './0034-score-texts-as-templates-and-figures.js';
import { setsView } from './0036-signal-sets-kept-once.js';

/**
 * An explanation's dimension scores kept as a template and its figures, as its reasons are
 * (migration 0034): `{"health": %s, "economic": %s, ...}` once in `score_template`, and the six
 * scores as written (`dimension_figures`, joined by spaces). The jsonb object took 175 bytes of
 * each explanation, and a quarter of the city has a new explanation every month (at 1,000,000
 * households about 250,000, 69 MiB a month with their keys and reason ids); its figures take
 * about 20. Every registered dimension is still in it by its id: a new dimension needs no column.
 *
 * `household_score.dimensions` gives the same jsonb value as before (filled and parsed, about
 * 8 µs a row read). A month's run cuts its new explanations' scores in Node
 * (src/score/score-texts.ts), this migration those kept with `safetynet_text_template` and
 * `safetynet_text_figures`. The down writes each object back whole.
 */

/** The dimensions of explanation `e`, filled from their template (null without an explanation). */
export const DIMENSIONS_FILLED = `${filled('e', 'dimensions_template', 'dimension_figures')}::jsonb`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await remakeExplanations(
    db,
    // the fixed-width columns first: nothing lost to alignment
    `create table score_explanation (
       id uuid primary key,
       dimensions_template uuid not null,
       route_template uuid,
       reason_ids uuid[] not null,
       dimension_figures text
     )`,
    `with explanation as (
       select o.id, safetynet_text_template(o.dimensions::text) as template, safetynet_text_figures(o.dimensions::text) as figures,
              o.route_template, o.reason_ids
       from score_explanation__remade o
     ), kept_template as (
       insert into score_template (id, template) select distinct md5(template)::uuid, template from explanation
       on conflict (id) do nothing
     )
     insert into score_explanation (id, dimensions_template, route_template, reason_ids, dimension_figures)
     select id, md5(template)::uuid, route_template, reason_ids, figures from explanation`,
    withView(setsView(true, { ...EXPLAINED, dimensions: DIMENSIONS_FILLED })),
    '',
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await remakeExplanations(
    db,
    `create table score_explanation (id uuid primary key, dimensions jsonb not null, reason_ids uuid[] not null, route_template uuid)`,
    `insert into score_explanation (id, dimensions, reason_ids, route_template)
       select o.id, ${filled('o', 'dimensions_template', 'dimension_figures')}::jsonb, o.reason_ids, o.route_template
       from score_explanation__remade o;
     delete from score_template t
       where not exists (select 1 from score_reason r where r.template = t.id)
         and not exists (select 1 from score_explanation e where e.route_template = t.id)`,
    withView(setsView(true)),
    '',
  );
}
