import { type Kysely, sql } from 'kysely';
import { type Grant, regrant, type View } from './0018-period-partitions.js';
import { currentUser, scoreColumns } from './0026-score-explanations.js';
import { REASONS, remakeExplanations, scoresView } from './0031-score-reasons-kept-once.js';

/**
 * The scores' reasons kept as a template and its figures, and the routes' rules kept once.
 *
 * A reason is the jsonb text of its value with every number in it taken out
 * (`score_template`, each kept once under the MD5 of its text) and the numbers, as written, in
 * the order they come (`figures`, a text of them joined by spaces). A household's figures move
 * every month (a 12-month sum of out-of-pocket spending, an age), so each month brings new
 * reasons although their words are the same: at 1,000,000 households over 13 periods, 228,000
 * reasons a month (371 bytes each, 84 MiB of the 840 an ordinary month added), and the 2.9
 * million reasons kept are 1,791 texts once their numbers are out.
 *
 * A template is the text with each number (digits, with `,` or `.` between digits: `1,100`,
 * `32.4`) replaced by `%s` and each `%` doubled, so `format(template, VARIADIC figures)` gives
 * the text back byte for byte (`safetynet_text_filled`); the Chinese and English texts of a
 * reason are in one template, their numbers each in its place, whatever order the two languages
 * put them in. No number is parsed or printed again. A reason's key is unchanged (the MD5 of its
 * jsonb text), so the explanations that name it do not change.
 *
 * An explanation's route rule (English and Chinese, one jsonb array's text) is a template
 * without figures: 137,888 rules among 1,044,187 explanations at 1,000,000 households, each kept
 * once. The dimensions' scores stay the explanation's jsonb: cutting them cost 21 µs an
 * explanation in PostgreSQL, and an ordinary month has a new explanation for a fifth of the city.
 *
 * This migration cuts the reasons kept with `safetynet_text_template` and
 * `safetynet_text_figures`; a month's run cuts its new reasons alike in Node
 * (src/score/score-texts.ts): PostgreSQL's regular expressions take 25 µs a reason, Node's under 2.
 *
 * `household_score` gives the same values as before: a reader that does not ask for the
 * explanation does not read these tables. A template is content, like a reason: no region, no
 * row security, the owner and batch only (the exporter reads the texts through its scoped view).
 * The down writes each text back whole.
 */
const NUMBER = `'[0-9]+(?:[.,][0-9]+)*'`;

// Stable, not immutable: format() is, and a function no stricter than its body is inlined by the
// planner (a call of the not-inlined function cost 6.5 µs against 4 µs, per text read).
const FUNCTIONS = `
  create function safetynet_text_template(text_ text) returns text
    language sql immutable strict parallel safe
    return regexp_replace(replace(text_, '%', '%%'), ${NUMBER}, '%s', 'g');
  create function safetynet_text_figures(text_ text) returns text
    language sql immutable strict parallel safe
    return nullif(array_to_string(array(select (regexp_matches(text_, ${NUMBER}, 'g'))[1]), ' '), '');
  create function safetynet_text_filled(template text, figures text) returns text
    language sql stable parallel safe
    return format(template, variadic coalesce(string_to_array(figures, ' '), '{}'::text[]));
`;

/** The text template column `template` of `alias` and its figures (a column, or none) give, through score_template (null when the template is). */
export const filled = (alias: string, template: string, figures: string | null) =>
  `(select safetynet_text_filled(t.template, ${figures === null ? 'null' : `${alias}.${figures}`}) from score_template t where t.id = ${alias}.${template})`;

/** The reasons explanation `e` names, as one jsonb array in their order ('[]' for none; null without an explanation). */
export const REASONS_FILLED = `case when e.reason_ids is null then null else coalesce((
    select jsonb_agg(safetynet_text_filled(t.template, r.figures)::jsonb order by u.n)
    from unnest(e.reason_ids) with ordinality as u(id, n) join score_reason r on r.id = u.id join score_template t on t.id = r.template
  ), '[]'::jsonb) end`;

export const EXPLAINED = {
  route_rule: `${filled('e', 'route_template', null)}::jsonb ->> 0`,
  route_rule_zh: `${filled('e', 'route_template', null)}::jsonb ->> 1`,
};

const scoresFilled = `select ${scoreColumns('s', REASONS_FILLED, EXPLAINED)} from scored_household s left join score_explanation e on e.id = s.explanation`;
/** The dependents made again with `def` as the definition of view `name` (household_score unless named). */
export const withView = (def: string, name = 'public.household_score') => (v: View): View => (v.name === name ? { ...v, def } : v);

/** The route's rule in both languages as one text (null when it has none). */
export const routeText = (rule: string, ruleZh: string) =>
  `case when ${rule} is null and ${ruleZh} is null then null else jsonb_build_array(${rule}, ${ruleZh})::text end`;

/** score_reason set aside (`score_reason__remade`) for `fill`, as migration 0031's helper sets score_explanation aside. */
const REASONS_ASIDE = `alter table score_reason rename to score_reason__remade;
     alter index score_reason_pkey rename to score_reason__remade_pkey`;

/** The new tables beside score_explanation: its owner, its grants (the batch writes them all). */
export async function likeExplanations(db: Kysely<unknown>, made: { owner: string; grants: Grant[] }, tables: readonly string[]): Promise<void> {
  if (made.owner !== (await currentUser(db))) {
    for (const t of tables) await sql.raw(`alter table ${t} owner to "${made.owner.replaceAll('"', '""')}"`).execute(db);
  }
  await regrant(db, tables.flatMap((t) => made.grants.map((g) => ({ ...g, relation: `public.${t}` }))));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(FUNCTIONS).execute(db);
  const made = await remakeExplanations(
    db,
    `${REASONS_ASIDE};
     create table score_template (id uuid primary key, template text not null);
     create table score_reason (id uuid primary key, template uuid not null, figures text);
     create table score_explanation (
       id uuid primary key,
       dimensions jsonb not null,
       reason_ids uuid[] not null,
       route_template uuid
     )`,
    // one statement: each reason's template and figures worked out once, each template kept once
    `with reason as (
       select o.id, safetynet_text_template(o.reason::text) as template, safetynet_text_figures(o.reason::text) as figures from score_reason__remade o
     ), explanation as (
       select o.id, o.dimensions, o.reason_ids, replace(${routeText('o.route_rule', 'o.route_rule_zh')}, '%', '%%') as route_template
       from score_explanation__remade o
     ), kept_template as (
       insert into score_template (id, template)
       select distinct md5(t)::uuid, t from (select template from reason union select route_template from explanation) u(t) where t is not null
     ), kept_reason as (
       insert into score_reason (id, template, figures) select id, md5(template)::uuid, figures from reason
     )
     insert into score_explanation (id, dimensions, reason_ids, route_template)
     select id, dimensions, reason_ids, md5(route_template)::uuid from explanation`,
    withView(scoresFilled),
    'drop table score_reason__remade',
  );
  await likeExplanations(db, made, ['score_reason', 'score_template']);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const made = await remakeExplanations(
    db,
    `${REASONS_ASIDE};
     create table score_reason (id uuid primary key, reason jsonb not null);
     create table score_explanation (id uuid primary key, dimensions jsonb not null, reason_ids uuid[] not null, route_rule text, route_rule_zh text)`,
    `insert into score_reason (id, reason)
       select o.id, ${filled('o', 'template', 'figures')}::jsonb from score_reason__remade o;
     insert into score_explanation (id, dimensions, reason_ids, route_rule, route_rule_zh)
       select o.id, o.dimensions, o.reason_ids,
              ${filled('o', 'route_template', null)}::jsonb ->> 0, ${filled('o', 'route_template', null)}::jsonb ->> 1
       from score_explanation__remade o`,
    withView(scoresView(REASONS)),
    `drop table score_reason__remade;
     drop table score_template;
     drop function safetynet_text_filled(text, text);
     drop function safetynet_text_figures(text);
     drop function safetynet_text_template(text)`,
  );
  await likeExplanations(db, made, ['score_reason']);
}
