import { sql, type RawBuilder } from 'kysely';
import { copyRows } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import { cutText, md5Key } from './score-texts.js';

/** Reasons cut a batch at a time: a batch's texts and rows are all Node holds of them. */
const BATCH = 5000;

/**
 * Keeps the explanations of `scores` that are not kept yet (migration 0026), each of their
 * reasons once (0031) as a template and its figures, and each route rule once (0034).
 * `scores` is a relation of `explanation` (uuid), `dimensions` and `reasons` (jsonb),
 * `route_rule` and `route_rule_zh`: the scores' temp table of a month's run, or a test's rows.
 * Runs in the caller's transaction (its temp tables are dropped at commit).
 *
 * Most explanations are already kept, from another household or an earlier month, and cost an
 * index probe; so are most reasons of a new one. The reasons not kept yet are read back in
 * batches, cut in Node (`cutText`) and written with COPY.
 */
export async function keepExplanations(tx: Tx, scores: RawBuilder<unknown>): Promise<void> {
  await sql`
    create temp table fresh_explanation on commit drop as
    select s.explanation as id, s.dimensions, s.reasons,
           case when s.route_rule is null and s.route_rule_zh is null then null
                else replace(jsonb_build_array(s.route_rule, s.route_rule_zh)::text, '%', '%%') end as route_template
    from ${scores} s
    where not exists (select 1 from score_explanation e where e.id = s.explanation)
  `.execute(tx.db);
  await sql`
    create temp table fresh_reason_cut (id uuid, template uuid, figures text) on commit drop;
    create temp table fresh_template (id uuid, template text) on commit drop;
    declare fresh_reason no scroll cursor for
      select distinct r::text as reason from fresh_explanation f cross join lateral jsonb_array_elements(f.reasons) r
      where not exists (select 1 from score_reason k where k.id = md5(r::text)::uuid)
  `.execute(tx.db);
  const templates = new Map<string, string>();
  for (;;) {
    const { rows } = await sql<{ reason: string }>`fetch ${sql.raw(String(BATCH))} from fresh_reason`.execute(tx.db);
    if (rows.length === 0) break;
    await copyRows(tx.client, 'fresh_reason_cut', ['id', 'template', 'figures'], rows.map(({ reason }) => {
      const { template, figures } = cutText(reason);
      let key = templates.get(template);
      if (key === undefined) templates.set(template, (key = md5Key(template)));
      return [md5Key(reason), key, figures];
    }));
  }
  await copyRows(tx.client, 'fresh_template', ['id', 'template'], [...templates].map(([template, key]) => [key, template]));
  await sql`
    close fresh_reason;
    insert into score_template (id, template)
    select id, template from fresh_template
    union select md5(route_template)::uuid, route_template from fresh_explanation where route_template is not null
    on conflict (id) do nothing;
    insert into score_reason (id, template, figures) select id, template, figures from fresh_reason_cut on conflict (id) do nothing;
    insert into score_explanation (id, dimensions, reason_ids, route_template)
    select f.id, f.dimensions,
           array(select md5(r::text)::uuid from jsonb_array_elements(f.reasons) with ordinality as a(r, n) order by n),
           md5(f.route_template)::uuid
    from fresh_explanation f
    on conflict (id) do nothing;
    drop table fresh_explanation, fresh_reason_cut, fresh_template;
  `.execute(tx.db);
}
