import { sql, type RawBuilder } from 'kysely';
import { copyRows } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import { cutText, md5Key } from './score-texts.js';

/** Texts cut a batch at a time: a batch's texts and rows are all Node holds of them. */
const BATCH = 5000;

/**
 * Keeps the explanations of `scores` that are not kept yet (migration 0026), each of their
 * reasons once (0031) as a template and its figures, each route rule once (0034), and their
 * dimension scores as a template and figures (0038). `scores` is a relation of `explanation`
 * (uuid), `dimensions` and `reasons` (jsonb), `route_rule` and `route_rule_zh`: the scores'
 * temp table of a month's run, or a test's rows. Runs in the caller's transaction (its temp
 * tables are dropped at commit).
 *
 * Most explanations are already kept, from another household or an earlier month, and cost an
 * index probe; so are most reasons of a new one. The new explanations' scores and the reasons
 * not kept yet are read back in batches, cut in Node (`cutText`) and written with COPY.
 */
export async function keepExplanations(tx: Tx, scores: RawBuilder<unknown>): Promise<void> {
  // each new explanation once: households explained alike share it
  await sql`
    create temp table fresh_explanation on commit drop as
    select distinct on (s.explanation) s.explanation as id, s.dimensions, s.reasons,
           case when s.route_rule is null and s.route_rule_zh is null then null
                else replace(jsonb_build_array(s.route_rule, s.route_rule_zh)::text, '%', '%%') end as route_template
    from ${scores} s
    where not exists (select 1 from score_explanation e where e.id = s.explanation)
  `.execute(tx.db);
  await sql`
    create temp table fresh_dimensions_cut (id uuid, template uuid, figures text) on commit drop;
    create temp table fresh_reason_cut (id uuid, template uuid, figures text) on commit drop;
    create temp table fresh_template (id uuid, template text) on commit drop;
  `.execute(tx.db);
  const templates = new Map<string, string>();
  /** the texts `texts` selects (`id`, `text`) cut into `into`: each text's key, its template's key, its figures */
  const cutAll = async (texts: RawBuilder<unknown>, into: string) => {
    await sql`declare fresh_text no scroll cursor for ${texts}`.execute(tx.db);
    for (;;) {
      const { rows } = await sql<{ id: string; text: string }>`fetch ${sql.raw(String(BATCH))} from fresh_text`.execute(tx.db);
      if (rows.length === 0) break;
      await copyRows(tx.client, into, ['id', 'template', 'figures'], rows.map(({ id, text }) => {
        const { template, figures } = cutText(text);
        let key = templates.get(template);
        if (key === undefined) templates.set(template, (key = md5Key(template)));
        return [id, key, figures];
      }));
    }
    await sql`close fresh_text`.execute(tx.db);
  };
  await cutAll(sql`select id, dimensions::text as text from fresh_explanation`, 'fresh_dimensions_cut');
  await cutAll(sql`
    select distinct md5(r::text)::uuid as id, r::text as text from fresh_explanation f cross join lateral jsonb_array_elements(f.reasons) r
    where not exists (select 1 from score_reason k where k.id = md5(r::text)::uuid)`, 'fresh_reason_cut');
  await copyRows(tx.client, 'fresh_template', ['id', 'template'], [...templates].map(([template, key]) => [key, template]));
  await sql`
    insert into score_template (id, template)
    select id, template from fresh_template
    union select md5(route_template)::uuid, route_template from fresh_explanation where route_template is not null
    on conflict (id) do nothing;
    insert into score_reason (id, template, figures) select id, template, figures from fresh_reason_cut on conflict (id) do nothing;
    insert into score_explanation (id, dimensions_template, route_template, reason_ids, dimension_figures)
    select f.id, d.template, md5(f.route_template)::uuid,
           array(select md5(r::text)::uuid from jsonb_array_elements(f.reasons) with ordinality as a(r, n) order by n),
           d.figures
    from fresh_explanation f join fresh_dimensions_cut d on d.id = f.id
    on conflict (id) do nothing;
    drop table fresh_explanation, fresh_dimensions_cut, fresh_reason_cut, fresh_template;
  `.execute(tx.db);
}
