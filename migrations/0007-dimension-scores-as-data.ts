import { type Kysely, sql } from 'kysely';

/**
 * A household's dimension scores in one jsonb column, `dimensions` (id -> 0-100), instead of a
 * numeric column per dimension: a dimension added to the registry (scoring/dimensions.ts) is
 * stored, exported and shown without a migration of its own. Periods scored before a dimension
 * existed simply lack its key.
 *
 * The masked view `safetynet_export.household_score` (migration 0006) is `select *` of the
 * table as it was when the view was made, so it is made again around the change, with the
 * grants it had (src/db/roles.ts gives them; a plain `drop view` would lose them until the next
 * `migrate --create-roles`). The table's row security (migration 0003) keys on period and
 * household_id only and is untouched.
 */

/** The six dimensions of the contract, as 0001 stored them; frozen here: the registry may grow. */
const SIX = ['age_structure', 'economic', 'health', 'disability', 'medical_burden', 'labour_capacity'] as const;

/** The columns that followed the six in 0001-0006, in their order: `down` puts them behind the six again. */
const AFTER_SIX = [
  'reasons', 'route', 'route_rule', 'route_rule_zh', 'review_reasons', 'rescued_links',
  'covered_by_visit', 'visit_notes', 'cooled_down', 'review_by_score',
] as const;

const VIEW = sql.raw('safetynet_export.household_score');

/** Drops the masked view, runs the change, makes the view again over the new columns, with its grants and options. */
export async function remakingMaskedView(db: Kysely<unknown>, change: () => Promise<void>): Promise<void> {
  // security_barrier until migration 0021, none after it
  const { rows: options } = await sql<{ options: string[] | null }>`
    select reloptions as options from pg_class where oid = 'safetynet_export.household_score'::regclass
  `.execute(db);
  const withOptions = options[0]?.options?.length ? sql` with (${sql.raw(options[0].options.join(', '))})` : sql``;
  const { rows: grants } = await sql<{ grantee: string | null; privilege: string; grantable: boolean }>`
    select case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end as grantee, a.privilege_type as privilege, a.is_grantable as grantable
    from pg_class c cross join lateral aclexplode(c.relacl) a
    where c.oid = 'safetynet_export.household_score'::regclass and a.grantee <> c.relowner
    order by 1, 2
  `.execute(db);
  await sql`drop view ${VIEW}`.execute(db);
  await change();
  await sql`create view ${VIEW}${withOptions} as select * from public.household_score`.execute(db);
  for (const g of grants) {
    const to = g.grantee === null ? sql.raw('public') : sql.id(g.grantee);
    await sql`grant ${sql.raw(g.privilege)} on ${VIEW} to ${to}${sql.raw(g.grantable ? ' with grant option' : '')}`.execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const six = sql.join(SIX.map((id) => sql`${sql.lit(id)}, ${sql.ref(id)}`));
  await remakingMaskedView(db, async () => {
    await sql`
      alter table household_score add column dimensions jsonb;
      -- numeric(5, 1) becomes a JSON number: 72.0 reads back as 72, as the numeric did
      update household_score set dimensions = jsonb_build_object(${six});
      alter table household_score alter column dimensions set not null,
        ${sql.join(SIX.map((id) => sql`drop column ${sql.ref(id)}`))};
    `.execute(db);
  });
}

/**
 * The six columns again, from `dimensions` (0 where a period lacks one), in their old place:
 * PostgreSQL adds a column at the end only, so the columns that followed them are moved behind
 * them (copied, dropped, renamed, their defaults and checks made again), and a `select *` sees
 * the table as 0006 left it. Scores of dimensions other than the six are lost.
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await remakingMaskedView(db, async () => {
    await sql`
      alter table household_score ${sql.join(SIX.map((id) => sql`add column ${sql.ref(id)} numeric(5, 1)`))};
      update household_score set ${sql.join(SIX.map((id) => sql`${sql.ref(id)} = coalesce((dimensions ->> ${sql.lit(id)})::numeric, 0)`))};
      alter table household_score ${sql.join(SIX.map((id) => sql`alter column ${sql.ref(id)} set not null`))}, drop column dimensions;
    `.execute(db);
    const moved = sql.raw(`array[${AFTER_SIX.map((c) => `'${c}'`).join(', ')}]::text[]`);
    await sql`
      do $$
      declare
        moved text[] := ${moved};
        col record;
        checks record;
        kept_checks text[] := '{}';
        kept_names text[] := '{}';
      begin
        for checks in
          select k.conname, pg_get_constraintdef(k.oid) as definition from pg_constraint k
          where k.conrelid = 'household_score'::regclass and k.contype = 'c'
            and exists (select 1 from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey) and a.attname = any(moved))
        loop
          kept_names := kept_names || checks.conname::text;
          kept_checks := kept_checks || checks.definition;
        end loop;
        for col in
          select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
                 pg_get_expr(d.adbin, d.adrelid) as def
          from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
          where a.attrelid = 'household_score'::regclass and a.attname = any(moved) and not a.attisdropped
          order by array_position(moved, a.attname::text)
        loop
          execute format('alter table household_score add column %I %s', col.name || '__moved', col.type);
        end loop;
        -- one pass over the table for every moved column
        execute (select 'update household_score set ' || string_agg(format('%I = %I', m || '__moved', m), ', ') from unnest(moved) m);
        for col in
          select a.attname::text as name, a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as def
          from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
          where a.attrelid = 'household_score'::regclass and a.attname = any(moved) and not a.attisdropped
          order by array_position(moved, a.attname::text)
        loop
          execute format('alter table household_score drop column %I', col.name);
          execute format('alter table household_score rename column %I to %I', col.name || '__moved', col.name);
          if col.def is not null then execute format('alter table household_score alter column %I set default %s', col.name, col.def); end if;
          if col.not_null then execute format('alter table household_score alter column %I set not null', col.name); end if;
        end loop;
        for i in 1 .. coalesce(array_length(kept_names, 1), 0) loop
          execute format('alter table household_score add constraint %I %s', kept_names[i], kept_checks[i]);
        end loop;
      end $$;
    `.execute(db);
  });
}
