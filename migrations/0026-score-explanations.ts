import { type Kysely, type RawBuilder, sql } from 'kysely';
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
 * every reader and the masked export view over it read what they read. `scored_household` is a
 * new table, its rows copied from the old one (an update and dropped columns would have left
 * every old period twice its size on disk, the dropped bytes in every row until rewritten), with
 * the old table's row-security policies, owner and grants. A reader that does not ask for the
 * explanation does not join it (a left join on a unique key the planner removes).
 *
 * An explanation is content, not a household's: the same text may explain households of
 * different regions, so it carries no region and no row security; only the owner and the batch
 * read the table, the exporter reads explanations only through its scoped view of the scores.
 * That view, `safetynet_export.household_score`, is a security barrier again (migration 0021
 * lifted it while the view read one table): without it a reader's condition on the reasons
 * could be evaluated while scanning score_explanation, before the scores' row security has
 * removed the households out of scope, and a failing cast would print another region's reason.
 *
 * The id is a digest of the text as written (`explanationId` in src/score/score-households.ts);
 * equal content written two ways (this migration digests the stored jsonb, the scorer its own
 * JSON) gets two ids, which costs a row and changes nothing read. An explanation no score names
 * any more (a period rerun) is deleted by purge. No foreign key: it would lock a key of
 * score_explanation for each of a month's million rows; the month's run writes the explanations
 * before the scores that name them, in its transaction, and purge deletes only while no month runs.
 *
 * The partition functions of migration 0018 name scored_household from here on: a later
 * migration that makes them again from 0018's helpers must pass today's list of tables.
 *
 * The down makes household_score again with its columns in their old order: the column lists,
 * checks and indexes below are frozen as migrations 0001 to 0019 left them.
 */
/**
 * household_score's columns in their order before this migration, as migrations 0001 to 0019
 * left them; `explained`: the explanation's, kept in score_explanation since.
 */
const SCORE_COLUMNS: readonly { name: string; type: string; explained?: true }[] = [
  { name: 'period', type: 'text not null' },
  { name: 'household_id', type: 'text not null' },
  { name: 'rank', type: 'integer' },
  { name: 'total', type: 'numeric(5,1) not null' },
  { name: 'tier', type: 'text not null' },
  { name: 'on_list', type: 'boolean not null' },
  { name: 'covered', type: 'boolean not null' },
  { name: 'change', type: "text not null default 'new'::text" },
  { name: 'previous_total', type: 'numeric(5,1)' },
  { name: 'review', type: 'boolean not null default false' },
  { name: 'reasons', type: 'jsonb not null', explained: true },
  { name: 'route', type: 'text' },
  { name: 'route_rule', type: 'text', explained: true },
  { name: 'route_rule_zh', type: 'text', explained: true },
  { name: 'review_reasons', type: "jsonb not null default '[]'::jsonb" },
  { name: 'rescued_links', type: 'integer not null default 0' },
  { name: 'covered_by_visit', type: 'text' },
  { name: 'visit_notes', type: "jsonb not null default '[]'::jsonb" },
  { name: 'cooled_down', type: 'boolean not null default false' },
  { name: 'review_by_score', type: 'boolean not null default false' },
  { name: 'dimensions', type: 'jsonb not null', explained: true },
  { name: 'route_confidence', type: 'text' },
  { name: 'signal_departments', type: "text[] not null default '{}'::text[]" },
  { name: 'low_confidence', type: 'boolean not null default false' },
];
/**
 * The scores' columns with the explanation's from `e` (score_explanation), the rest from `scored`;
 * `reasons`, when given, the expression the reasons are read by (migration 0031 keeps each reason once);
 * `explained`, the expression of each of the explanation's columns read otherwise (migration 0034
 * keeps them as templates and figures).
 */
export const scoreColumns = (scored: string, reasons?: string, explained: Readonly<Record<string, string>> = {}) =>
  SCORE_COLUMNS.map((c) => {
    const read = c.name === 'reasons' && reasons !== undefined ? reasons : explained[c.name];
    if (read !== undefined) return `${read} as ${c.name}`;
    return c.explained ? `e.${c.name}` : `${scored}.${c.name}`;
  }).join(', ');
const selectList = (scored: string) => sql.raw(scoreColumns(scored));
/** The columns scored_household keeps of household_score's. */
const SCORED_COLUMNS = SCORE_COLUMNS.filter((c) => !c.explained).map((c) => c.name);

/**
 * The scores' partitioned table: household_score (with the explanation's columns) or
 * scored_household (without them, with `explanation`), its checks, key, indexes and default
 * partition named after it.
 */
const createScores = (table: 'household_score' | 'scored_household') => {
  const columns = table === 'household_score'
    ? SCORE_COLUMNS.map((c) => `${c.name} ${c.type}`)
    : [...SCORE_COLUMNS.filter((c) => !c.explained).map((c) => `${c.name} ${c.type}`), 'explanation uuid not null'];
  return sql.raw(`
  create table ${table} (
    ${columns.join(',\n    ')}
  ) partition by list (period);
  alter table ${table} add constraint ${table}_covered_by_visit_check check (covered_by_visit = any (array['dibao'::text, 'tekun'::text]));
  alter table ${table} add constraint ${table}_route_confidence_check check (route_confidence = any (array['high'::text, 'low'::text]));
  alter table ${table} add constraint ${table}_pkey primary key (period, household_id);
  create index ${table}_rank on ${table} (period, rank);
  create index ${table}_household on ${table} (household_id, period);
  create table ${table}_default partition of ${table} default;
`);
};

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

export async function owner(db: Kysely<unknown>, relation: string): Promise<string> {
  const { rows } = await sql<{ owner: string }>`select pg_get_userbyid(relowner) as owner from pg_class where oid = ${relation}::regclass`.execute(db);
  return rows[0]!.owner;
}

export async function currentUser(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ me: string }>`select current_user as me`.execute(db);
  return rows[0]!.me;
}

/** The explanation's key as this migration computes it, from the stored columns of `t`. */
const digest = (t: string) =>
  sql.raw(`encode(substr(sha256(convert_to(jsonb_build_array(${t}.dimensions, ${t}.reasons, ${t}.route_rule, ${t}.route_rule_zh)::text, 'UTF8')), 1, 16), 'hex')::uuid`);

/**
 * Makes `to` (by `create`, with a partition for each period `from` has) from `from` (its rows
 * by `fill`, given the old table's name), and gives it `from`'s row security, policies (their
 * text naming `to`), owner (of every partition: the owner renames them when a migration goes
 * up again) and grants; `from` is dropped. A new table rather than columns dropped from the
 * old one: a dropped column's bytes stay in every row until the row is rewritten, and an
 * update rewrites rows into a second copy of the table.
 */
export async function rebuild(db: Kysely<unknown>, from: string, to: string, create: RawBuilder<unknown>, fill: (old: string) => RawBuilder<unknown>): Promise<void> {
  const old = `${from}__rebuilt`;
  await renameScores(db, from, old);
  const policies = await policiesReading(db, [old]);
  const tableGrants = await grantsOn(db, [`public.${old}`]);
  const { rows: [shape] } = await sql<{ owner: string; rls: boolean; force: boolean }>`
    select pg_get_userbyid(relowner) as owner, relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = ${`public.${old}`}::regclass`.execute(db);
  const { rows: periods } = await sql<{ period: string }>`
    select replace(substr(c.relname, ${old.length + 3}), '_', '-') as period
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${`public.${old}`}::regclass and c.relname <> ${`${old}_default`} order by 1`.execute(db);
  for (const p of policies) await sql.raw(`drop policy ${ident(p.policyname)} on ${ident(p.schemaname)}.${ident(p.tablename)}`).execute(db);

  await create.execute(db);
  for (const { period } of periods) {
    await sql.raw(`create table public.${ident(`${to}_p${period.replace('-', '_')}`)} partition of public.${ident(to)} for values in ('${period}')`).execute(db);
  }
  await fill(old).execute(db);
  await sql.raw(`drop table public.${ident(old)}`).execute(db);

  if (shape!.rls) await sql.raw(`alter table public.${ident(to)} enable row level security`).execute(db);
  if (shape!.force) await sql.raw(`alter table public.${ident(to)} force row level security`).execute(db);
  if (shape!.owner !== (await currentUser(db))) {
    const { rows: parts } = await sql<{ name: string }>`
      select ${`public.${to}`} as name union all
      select inhrelid::regclass::text from pg_inherits where inhparent = ${`public.${to}`}::regclass`.execute(db);
    for (const p of parts) await sql.raw(`alter table ${p.name} owner to ${ident(shape!.owner)}`).execute(db);
  }
  const renamed = (s: string | null) => s && s.replaceAll(old, to);
  await recreatePolicies(db, policies.map((p): Policy => ({ ...p, tablename: renamed(p.tablename)!, qual: renamed(p.qual), with_check: renamed(p.with_check) })));
  await regrant(db, tableGrants.map((g) => ({ ...g, relation: `public.${to}` })));
}

/** The masked export view of the scores: a security barrier since this migration (see the header). */
const EXPORT_SCORES = 'safetynet_export.household_score';

export async function up(db: Kysely<unknown>): Promise<void> {
  const views = await viewsOver(db, ['household_score']);
  const grants = await grantsOn(db, views.map((v) => v.name));
  for (const v of [...views].reverse()) await sql.raw(`drop view ${v.name}`).execute(db);
  const tableOwner = await owner(db, 'public.household_score');

  await sql`
    create table score_explanation (
      id uuid primary key,
      dimensions jsonb not null,
      reasons jsonb not null,
      route_rule text,
      route_rule_zh text
    );
    insert into score_explanation (id, dimensions, reasons, route_rule, route_rule_zh)
      select ${digest('s')}, s.dimensions, s.reasons, s.route_rule, s.route_rule_zh from household_score s
      on conflict (id) do nothing;
  `.execute(db);
  await rebuild(db, 'household_score', 'scored_household', createScores('scored_household'), (old) => sql`
    insert into scored_household (${sql.raw(SCORED_COLUMNS.join(', '))}, explanation)
    select ${sql.raw(SCORED_COLUMNS.map((c) => `s.${c}`).join(', '))}, ${digest('s')} from ${sql.table(old)} s`);
  await renameInPartitionFunctions(db, 'household_score', 'scored_household');
  await sql`
    create view household_score as
      select ${selectList('s')}
      from scored_household s left join score_explanation e on e.id = s.explanation;
  `.execute(db);
  if (tableOwner !== (await currentUser(db))) {
    await sql.raw(`alter table score_explanation owner to ${ident(tableOwner)}`).execute(db);
    await sql.raw(`alter view household_score owner to ${ident(tableOwner)}`).execute(db);
  }
  // a migration run as the owner after `migrate --create-roles`: the batch's share at once, as
  // grantObjects gives it (migration 0024 does the same); otherwise `migrate --create-roles` grants it
  await sql`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and current_user = 'safetynet_owner' then
        grant select, insert, update, delete on score_explanation to safetynet_batch;
        grant select on household_score to safetynet_batch;
      end if;
    end $$;
  `.execute(db);
  await remakeViews(db, views.map((v) => (v.name === EXPORT_SCORES ? { ...v, options: [...(v.options ?? []), 'security_barrier=true'] } : v)), grants);
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

  await rebuild(db, 'scored_household', 'household_score', createScores('household_score'), (old) => sql`
    insert into household_score select ${selectList('s')}
    from ${sql.table(old)} s left join score_explanation e on e.id = s.explanation`);
  await renameInPartitionFunctions(db, 'scored_household', 'household_score');
  await sql`drop table score_explanation`.execute(db);
  // the export view as migration 0021 left it, without its barrier
  const unbarred = (v: (typeof views)[number]) => {
    const options = (v.options ?? []).filter((o) => o !== 'security_barrier=true');
    return { ...v, options: options.length ? options : null };
  };
  await remakeViews(db, views.map((v) => (v.name === EXPORT_SCORES ? unbarred(v) : v)), grants);
}
