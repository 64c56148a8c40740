import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Keeps the explanations of `scores` that are not kept yet (migration 0026), each of their
 * reasons once (0031) as a template and its figures, and each route rule once (0034).
 * `scores` is a relation of `explanation` (uuid), `dimensions` and `reasons` (jsonb),
 * `route_rule` and `route_rule_zh`: the scores' temp table of a month's run, or a test's rows.
 *
 * Most explanations are already kept, from another household or an earlier month, and cost an
 * index probe; so are most reasons of a new one. A reason's numbers are found by a text search
 * (about 25 µs a reason in PostgreSQL), so only the reasons not kept yet are searched, by the
 * database's functions of migration 0034: the run and the migration cut a text alike.
 */
export async function keepExplanations(db: Kysely<Database>, scores: RawBuilder<unknown>): Promise<void> {
  await sql`
    with fresh as (
      select s.explanation as id, s.dimensions, s.reasons,
             case when s.route_rule is null and s.route_rule_zh is null then null
                  else replace(jsonb_build_array(s.route_rule, s.route_rule_zh)::text, '%', '%%') end as route_template
      from ${scores} s
      where not exists (select 1 from score_explanation e where e.id = s.explanation)
    ), reason as (
      select t, safetynet_text_template(t) as template, safetynet_text_figures(t) as figures from (
        select distinct r::text from fresh f cross join lateral jsonb_array_elements(f.reasons) r
        where not exists (select 1 from score_reason k where k.id = md5(r::text)::uuid)
      ) u(t)
    ), kept_template as (
      insert into score_template (id, template)
      select md5(t)::uuid, t from (select template from reason union select route_template from fresh) u(t) where t is not null
      on conflict (id) do nothing
    ), kept_reason as (
      insert into score_reason (id, template, figures)
      select md5(t)::uuid, md5(template)::uuid, figures from reason
      on conflict (id) do nothing
    )
    insert into score_explanation (id, dimensions, reason_ids, route_template)
    select f.id, f.dimensions,
           array(select md5(r::text)::uuid from jsonb_array_elements(f.reasons) with ordinality as a(r, n) order by n),
           md5(f.route_template)::uuid
    from fresh f
    on conflict (id) do nothing
  `.execute(db);
}
