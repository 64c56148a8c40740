import { type Kysely, sql } from 'kysely';
import { grantsOn, type Policy, policiesReading, recreatePolicies, regrant, viewsOver } from './0018-period-partitions.js';

/**
 * A score's explanation is kept once, not once a household a month: `score_explanation` holds
 * each distinct explanation (the dimensions' scores, the reasons in both languages, the route's
 * rule in both languages) under a digest of its text, and the period's row of a household
 * (`scored_household`, partitioned by period as household_score was) names it in `explanation`.
 * Measured on the 1,000,000-household bench city: the explanations were 860 of a row's 950
 * bytes, 970 MiB a month; one period holds 336,000 distinct ones among 1,052,000 households
 * (households alike in their facts are explained alike), and 63% of households have the same
 * explanation as the month before.
 *
 * `household_score` is now a view joining the two, with the table's columns in their order, so
 * every reader, the masked export view over it and row security (the table's policies moved
 * with it under its new name) are as they were. A reader that does not ask for the explanation
 * does not join it (a left join on a unique key the planner removes).
 *
 * An explanation is content, not a household's: the same text may explain households of
 * different regions, so it carries no region and no row security; only the owner and the batch
 * read the table, the exporter reads explanations only through its scoped view of the scores.
 * The id is a digest of the text as written (`explanationId` in src/score/score-households.ts);
 * equal content written two ways (this migration digests the stored jsonb, the scorer its own
 * JSON) gets two ids, which costs a row and changes nothing read. An explanation no score names
 * any more (a period rerun) is deleted by purge.
 *
 * On a database of many periods this migration rewrites every score row once (the explanation's
 * id set, then the columns dropped): the periods scored before it keep their old size on disk
 * until their partitions are rewritten (VACUUM FULL of each, in a maintenance window); the months
 * after it write the narrow rows.
 *
 * The down rebuilds household_score with its columns in their old order (PostgreSQL adds a
 * column only at the end): the column list, checks and indexes below are frozen as migrations
 * 0001 to 0019 left them.
 */
const EXPLAINED = ['dimensions', 'reasons', 'route_rule', 'route_rule_zh'] as const;

/** household_score's columns in their order, before this migration: `e.` marks the explanation's. */
const SCORE_COLUMNS = [
  'period', 'household_id', 'rank', 'total', 'tier', 'on_list', 'covered', 'change', 'previous_total', 'review',
  'e.reasons', 'route', 'e.route_rule', 'e.route_rule_zh', 'review_reasons', 'rescued_links', 'covered_by_visit', 'visit_notes',
  'cooled_down', 'review_by_score', 'e.dimensions', 'route_confidence', 'signal_departments', 'low_confidence',
];
const selectList = (scored: string) => sql.raw(SCORE_COLUMNS.map((c) => (c.startsWith('e.') ? c : `${scored}.${c}`)).join(', '));

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Renames the table, its partitions and every index of theirs from one prefix to the other. */
async function renameScores(db: Kysely<unknown>, from: string, to: string): Promise<void> {
  await sql.raw(`alter table public.${ident(from)} rename to ${ident(to)}`).execute(db);
  const { rows } = await sql<{ name: string; kind: string }>`
    with parts as (
      select ${`public.${to}`}::regclass as oid
      union all select inhrelid from pg_inherits where inhparent = ${`public.${to}`}::regclass
    )
    select c.relname as name, c.relkind as kind from parts p join pg_class c on c.oid = p.oid
    where c.relname like ${`${from}\\_%`} and c.oid <> ${`public.${to}`}::regclass
    union all
    select c.relname, c.relkind from parts p join pg_index i on i.indrelid = p.oid join pg_class c on c.oid = i.indexrelid
    where c.relname like ${`${from}\\_%`}`.execute(db);
  for (const r of rows) {
    const renamed = to + r.name.slice(from.length);
    await sql.raw(`alter ${r.kind === 'i' || r.kind === 'I' ? 'index' : 'table'} public.${ident(r.name)} rename to ${ident(renamed)}`).execute(db);
  }
  // the checks: the table's own (its partitions' copies follow) and each partition's period check
  const { rows: checks } = await sql<{ relation: string; name: string }>`
    select c.oid::regclass::text as relation, k.conname as name
    from pg_constraint k join pg_class c on c.oid = k.conrelid
    where k.contype = 'c' and k.conislocal and k.conname like ${`${from}\\_%`}
      and (c.oid = ${`public.${to}`}::regclass or c.oid in (select inhrelid from pg_inherits where inhparent = ${`public.${to}`}::regclass))
    order by c.oid = ${`public.${to}`}::regclass desc`.execute(db);
  for (const k of checks) {
    await sql.raw(`alter table ${k.relation} rename constraint ${ident(k.name)} to ${ident(to + k.name.slice(from.length))}`).execute(db);
  }
}

/** The period-table functions of migration 0018 made again with one table's name for another in their guard. */
async function renameInPartitionFunctions(db: Kysely<unknown>, from: string, to: string): Promise<void> {
  for (const fn of ['safetynet_fresh_partition(text, text)', 'safetynet_attach_partition(text, text)']) {
    const { rows } = await sql<{ def: string }>`select pg_get_functiondef(${fn}::regprocedure) as def`.execute(db);
    const def = rows[0]!.def;
    if (!def.includes(`'${from}'`)) throw new Error(`${fn} does not name ${from} where migration 0018 wrote its tables`);
    await sql.raw(def.replace(`'${from}'`, `'${to}'`)).execute(db);
  }
}

async function owner(db: Kysely<unknown>, relation: string): Promise<string> {
  const { rows } = await sql<{ owner: string }>`select pg_get_userbyid(relowner) as owner from pg_class where oid = ${relation}::regclass`.execute(db);
  return rows[0]!.owner;
}

async function currentUser(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ me: string }>`select current_user as me`.execute(db);
  return rows[0]!.me;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const views = await viewsOver(db, ['household_score']);
  const grants = await grantsOn(db, views.map((v) => v.name));
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);

  await renameScores(db, 'household_score', 'scored_household');
  await renameInPartitionFunctions(db, 'household_score', 'scored_household');
  const tableOwner = await owner(db, 'public.scored_household');
  await sql`
    create table score_explanation (
      id uuid primary key,
      dimensions jsonb not null,
      reasons jsonb not null,
      route_rule text,
      route_rule_zh text
    );
    alter table scored_household add column explanation uuid;
    update scored_household
      set explanation = encode(substr(sha256(convert_to(jsonb_build_array(dimensions, reasons, route_rule, route_rule_zh)::text, 'UTF8')), 1, 16), 'hex')::uuid;
    insert into score_explanation (id, dimensions, reasons, route_rule, route_rule_zh)
      select explanation, dimensions, reasons, route_rule, route_rule_zh from scored_household
      on conflict (id) do nothing;
    alter table scored_household alter column explanation set not null,
      ${sql.raw(EXPLAINED.map((c) => `drop column ${c}`).join(', '))};
    create view household_score as
      select ${selectList('s')}
      from scored_household s left join score_explanation e on e.id = s.explanation;
  `.execute(db);
  if (tableOwner !== (await currentUser(db))) {
    await sql.raw(`alter table score_explanation owner to ${ident(tableOwner)}`).execute(db);
    await sql.raw(`alter view household_score owner to ${ident(tableOwner)}`).execute(db);
  }
  await remakeViews(db, views, grants);
}

async function remakeViews(db: Kysely<unknown>, views: Awaited<ReturnType<typeof viewsOver>>, grants: Awaited<ReturnType<typeof grantsOn>>): Promise<void> {
  const me = await currentUser(db);
  for (const v of views) {
    const options = v.options?.length ? ` with (${v.options.join(', ')})` : '';
    await sql.raw(`create view ${v.name}${options} as ${v.def}`).execute(db);
    if (v.owner !== me) await sql.raw(`alter view ${v.name} owner to ${ident(v.owner)}`).execute(db);
  }
  await regrant(db, grants);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // the views over the view (the export's), then the view itself
  const views = (await viewsOver(db, ['household_score'])).filter((v) => v.name !== 'public.household_score');
  const grants = await grantsOn(db, views.map((v) => v.name));
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);
  await sql`drop view household_score`.execute(db);

  const old = 'scored_household__explained';
  await renameScores(db, 'scored_household', old);
  await renameInPartitionFunctions(db, 'scored_household', 'household_score');
  const policies = await policiesReading(db, [old]);
  const tableGrants = await grantsOn(db, [`public.${old}`]);
  const { rows: shape } = await sql<{ owner: string; rls: boolean; force: boolean }>`
    select pg_get_userbyid(relowner) as owner, relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = ${`public.${old}`}::regclass`.execute(db);
  const { rows: periods } = await sql<{ period: string }>`
    select replace(substr(c.relname, ${old.length + 3}), '_', '-') as period
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${`public.${old}`}::regclass and c.relname <> ${`${old}_default`} order by 1`.execute(db);
  for (const p of policies) await sql.raw(`drop policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)}`).execute(db);

  await sql`
    create table household_score (
      period text not null,
      household_id text not null,
      rank integer,
      total numeric(5,1) not null,
      tier text not null,
      on_list boolean not null,
      covered boolean not null,
      change text not null default 'new'::text,
      previous_total numeric(5,1),
      review boolean not null default false,
      reasons jsonb not null,
      route text,
      route_rule text,
      route_rule_zh text,
      review_reasons jsonb not null default '[]'::jsonb,
      rescued_links integer not null default 0,
      covered_by_visit text,
      visit_notes jsonb not null default '[]'::jsonb,
      cooled_down boolean not null default false,
      review_by_score boolean not null default false,
      dimensions jsonb not null,
      route_confidence text,
      signal_departments text[] not null default '{}'::text[],
      low_confidence boolean not null default false
    ) partition by list (period);
    alter table household_score add constraint household_score_covered_by_visit_check check (covered_by_visit = any (array['dibao'::text, 'tekun'::text]));
    alter table household_score add constraint household_score_route_confidence_check check (route_confidence = any (array['high'::text, 'low'::text]));
    alter table household_score add constraint household_score_pkey primary key (period, household_id);
    create index household_score_rank on household_score (period, rank);
    create index household_score_household on household_score (household_id, period);
    create table household_score_default partition of household_score default;
  `.execute(db);
  for (const { period } of periods) {
    await sql.raw(`create table public.${ident(`household_score_p${period.replace('-', '_')}`)} partition of household_score for values in ('${period}')`).execute(db);
  }
  await sql`
    insert into household_score select ${selectList('s')}
    from ${sql.table(old)} s left join score_explanation e on e.id = s.explanation;
  `.execute(db);
  await sql.raw(`drop table ${ident(old)}`).execute(db);
  await sql`drop table score_explanation`.execute(db);
  if (shape[0]!.rls) await sql`alter table household_score enable row level security`.execute(db);
  if (shape[0]!.force) await sql`alter table household_score force row level security`.execute(db);
  if (shape[0]!.owner !== (await currentUser(db))) {
    // its partitions too: the owner renames them when this migration goes up again
    const { rows: parts } = await sql<{ name: string }>`
      select 'household_score' as name union all
      select inhrelid::regclass::text from pg_inherits where inhparent = 'public.household_score'::regclass`.execute(db);
    for (const p of parts) await sql.raw(`alter table ${p.name} owner to ${ident(shape[0]!.owner)}`).execute(db);
  }
  const renamed = (s: string | null) => s && s.replaceAll(old, 'household_score');
  await recreatePolicies(db, policies.map((p): Policy => ({ ...p, tablename: renamed(p.tablename)!, qual: renamed(p.qual), with_check: renamed(p.with_check) })));
  await regrant(db, tableGrants.map((g) => ({ ...g, relation: 'public.household_score' })));
  await remakeViews(db, views, grants);
}
