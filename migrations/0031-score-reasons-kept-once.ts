import { type Kysely, sql } from 'kysely';
import { grantsOn, regrant, type View } from './0018-period-partitions.js';
import { currentUser, owner as ownerOf, scoreColumns } from './0026-score-explanations.js';
import { dropDependents, remakeDependents } from './0027-members-from-roster-versions.js';

/**
 * Each reason of a score kept once: `score_reason` holds each distinct reason (one element of an
 * explanation's reasons: its dimension, points and text in both languages) under the MD5 of its
 * jsonb text, and an explanation (`score_explanation`, migration 0026) names its reasons in order
 * in `reason_ids`. An explanation changes whenever any of its figures does (a 12-month sum of
 * out-of-pocket spending moves every month), so a quarter of a city's households have a new one
 * each month, yet most of its reasons are ones already kept: measured on the 250,000-household
 * bench city, the month's 66,690 new explanations held 75 MiB, their reasons not kept before 24
 * MiB, and two periods' 607,900 reasons are 168,130 distinct ones (127 MiB as written, 53 MiB once).
 *
 * `household_score` reads the reasons back in their order, as the jsonb array it always gave: a
 * reader sees the same value. A reader that does not ask for them does not read score_reason.
 * Like the explanations, a reason is content, not a household's: no region, no row security, no
 * grant to the exporter, who reads reasons only through its scoped view of the scores (a
 * security barrier since migration 0026).
 *
 * The explanations are made again as a new table with their rows copied (as migration 0026 made
 * scored_household): a dropped column's bytes would stay in every row. The down puts each
 * explanation's reasons back into it as one jsonb array.
 */
const reasonId = (reason: string) => `md5(${reason}::text)::uuid`;

/** The reasons explanation `e` names, as one jsonb array in their order ('[]' for none). */
const reasonsOf = (e: string) => `coalesce((
    select jsonb_agg(r.reason order by u.n) from unnest(${e}.reason_ids) with ordinality as u(id, n) join score_reason r on r.id = u.id
  ), '[]'::jsonb)`;
/** An explanation's reasons as household_score gives them: none (null) when no explanation is kept. */
export const REASONS = `case when e.reason_ids is null then null else ${reasonsOf('e')} end`;

export const scoresView = (reasons?: string) => `select ${scoreColumns('s', reasons)} from scored_household s left join score_explanation e on e.id = s.explanation`;
const withReasons = (reasons?: string) => (v: View): View => (v.name === 'public.household_score' ? { ...v, def: scoresView(reasons) } : v);

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * score_explanation renamed aside, `create` and `fill` (from the old one) making it again, the
 * old one dropped; with its owner and grants, and the views over it made again as `view` says.
 */
export async function remakeExplanations(db: Kysely<unknown>, create: string, fill: string, view: (v: View) => View, then: string): Promise<{ owner: string; grants: Awaited<ReturnType<typeof grantsOn>> }> {
  const owner = await ownerOf(db, 'public.score_explanation');
  const grants = await grantsOn(db, ['public.score_explanation']);
  const dependents = await dropDependents(db, 'score_explanation', ['score_explanation']);
  await sql.raw(`
    alter table score_explanation rename to score_explanation__remade;
    alter index score_explanation_pkey rename to score_explanation__remade_pkey;
    ${create};
    ${fill};
    ${then};
    drop table score_explanation__remade;
  `).execute(db);
  if (owner !== (await currentUser(db))) await sql.raw(`alter table score_explanation owner to ${ident(owner)}`).execute(db);
  await regrant(db, grants);
  await remakeDependents(db, dependents, { view });
  return { owner, grants };
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const { owner, grants } = await remakeExplanations(
    db,
    `create table score_reason (id uuid primary key, reason jsonb not null);
     insert into score_reason (id, reason)
       select ${reasonId('r')}, r from score_explanation__remade o cross join lateral jsonb_array_elements(o.reasons) r
       on conflict (id) do nothing;
     create table score_explanation (id uuid primary key, dimensions jsonb not null, reason_ids uuid[] not null, route_rule text, route_rule_zh text)`,
    `insert into score_explanation (id, dimensions, reason_ids, route_rule, route_rule_zh)
       select o.id, o.dimensions, array(select ${reasonId('r')} from jsonb_array_elements(o.reasons) with ordinality as a(r, n) order by n),
              o.route_rule, o.route_rule_zh
       from score_explanation__remade o`,
    withReasons(REASONS),
    '',
  );
  // the reasons are the explanations' parts: the same owner, the same grants (the batch writes them)
  if (owner !== (await currentUser(db))) await sql.raw(`alter table score_reason owner to ${ident(owner)}`).execute(db);
  await regrant(db, grants.map((g) => ({ ...g, relation: 'public.score_reason' })));
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await remakeExplanations(
    db,
    'create table score_explanation (id uuid primary key, dimensions jsonb not null, reasons jsonb not null, route_rule text, route_rule_zh text)',
    `insert into score_explanation (id, dimensions, reasons, route_rule, route_rule_zh)
       select o.id, o.dimensions, ${reasonsOf('o')}, o.route_rule, o.route_rule_zh
       from score_explanation__remade o`,
    withReasons(),
    'drop table score_reason',
  );
}
