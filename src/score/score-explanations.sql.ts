import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Keeps the explanations of `scores` that are not kept yet (migration 0026), each of their
 * reasons once (0031), and each of their texts as a template and its figures (0034): the text's
 * numbers out, the template kept once. `scores` is a relation of `explanation` (uuid),
 * `dimensions` and `reasons` (jsonb), `route_rule` and `route_rule_zh`: the scores' temp table
 * of a month's run, or a test's rows.
 *
 * Most explanations are already kept, from another household or an earlier month, and cost an
 * index probe; the rest are worked out once each, in one statement. A text's template and figures
 * are the database's functions of migration 0034, so the run and the migration cut a text alike.
 */
export async function keepExplanations(db: Kysely<Database>, scores: RawBuilder<unknown>): Promise<void> {
  await sql`
    with fresh as (
      select s.explanation as id, s.dimensions::text as dimensions, s.reasons,
             case when s.route_rule is null and s.route_rule_zh is null then null
                  else jsonb_build_array(s.route_rule, s.route_rule_zh)::text end as route
      from ${scores} s
      where not exists (select 1 from score_explanation e where e.id = s.explanation)
    ), reason as (
      select r::text as t from fresh f cross join lateral jsonb_array_elements(f.reasons) r
    ), part as (
      select t, safetynet_text_template(t) as template, safetynet_text_figures(t) as figures from (
        select t from reason union select dimensions from fresh union select route from fresh where route is not null
      ) u
    ), kept_template as (
      insert into score_template (id, template)
      select distinct md5(template)::uuid, template from part
      on conflict (id) do nothing
    ), kept_reason as (
      insert into score_reason (id, template, figures)
      select md5(p.t)::uuid, md5(p.template)::uuid, p.figures from part p where p.t in (select t from reason)
      on conflict (id) do nothing
    )
    insert into score_explanation (id, dimensions_template, dimensions_figures, reason_ids, route_template, route_figures)
    select f.id, md5(d.template)::uuid, d.figures,
           array(select md5(r::text)::uuid from jsonb_array_elements(f.reasons) with ordinality as a(r, n) order by n),
           md5(rt.template)::uuid, rt.figures
    from fresh f
    join part d on d.t = f.dimensions
    left join part rt on rt.t = f.route
    on conflict (id) do nothing
  `.execute(db);
}
