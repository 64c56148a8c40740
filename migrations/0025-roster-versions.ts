import { type Kysely, sql } from 'kysely';
import { allowAnalyze, analyzableTables, createAnalyzeFunction } from './0005-batch-analyze.js';

/**
 * The roster kept as versions (src/db/versions.ts) instead of a copy a period: `roster_member`
 * wrote the whole city every month (183 MiB a month at 250,000 households, 800 MB at 1,000,000)
 * when about 5% of its rows change. `roster_version` holds a person's row from the period it
 * first appears or changes until the first loaded period it no longer holds (`roster_period`
 * lists the periods the roster was loaded for).
 *
 * A version does not hold the file's line number: it shifts for nearly every row every month.
 * The line stays where it serves, in rejected_row and quality_issue. It holds instead the row's
 * place among its household's rows, the head first, then in the file's order (`position`: the
 * order the link picks a household's head and details in), and the household's monthly income
 * on the household's first row only: the roster may repeat it on members' rows or not from one
 * month to the next, which is not a change of anyone's circumstances.
 *
 * The identity rescue looks roster people up by ID number (the primary key) and by name and
 * birth date (`roster_version_name`): without that index its lookups scanned the roster for
 * each department, 15 s instead of 5 s in the bench's first month at 250,000 households.
 *
 * `roster_row` is the roster's row as sent, the shape its file is staged in.
 *
 * The conversion keeps what every period's roster read: the same people, households, positions
 * and incomes as of each period. `safetynet_fresh_partition` still names roster_member among
 * its tables; nothing asks it for that table any more.
 */
const VERSIONED = [
  'household_id', 'position', 'name', 'relation', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'employment',
  'address', 'phone', 'birth_date', 'sex',
];

/**
 * The rows of `into` (`key`, valid_from, valid_until, then `columns`) from a copy a period
 * (`copies`: a select of `period`, the key and the columns): gaps and islands over the periods
 * of `periods`, a version for each run of loaded periods with the same content. Migration 0028
 * converts the households so too, and 0032 the departments (a key of one or more columns).
 */
export const versionsFromCopies = (o: { into: string; periods: string; key: string | readonly string[]; columns: readonly string[]; copies: string }) => {
  const key = typeof o.key === 'string' ? [o.key] : o.key;
  const k = key.join(', ');
  return `
    with numbered as (
      select period, row_number() over (order by period)::int as n from ${o.periods}
    ), copies as (${o.copies}
    ), hashed as (
      select x.*, p.n, md5(row(${o.columns.map((c) => `x.${c}`).join(', ')})::text) as digest
      from copies x join numbered p using (period)
    ), marked as (
      select *, case when lag(n) over w = n - 1 and lag(digest) over w = digest then 0 else 1 end as starts
      from hashed window w as (partition by ${k} order by n)
    ), islands as (
      select *, sum(starts) over (partition by ${k} order by n) as island from marked
    ), runs as (
      select ${k}, island, min(n) as first_n, max(n) as last_n from islands group by ${k}, island
    )
    insert into ${o.into} (${k}, valid_from, valid_until, ${o.columns.join(', ')})
    select ${key.map((c) => `i.${c}`).join(', ')}, i.period, after.period, ${o.columns.map((c) => `i.${c}`).join(', ')}
    from runs r
    join islands i on ${key.map((c) => `i.${c} = r.${c}`).join(' and ')} and i.n = r.first_n
    left join numbered after on after.n = r.last_n + 1`;
};

/** Each period's roster as a household's rows: its place among them, the income on the first. */
const NORMAL = `
      select r.period, r.id18, r.household_id,
             row_number() over in_household as position,
             r.name, r.relation, r.region_code, r.hukou_type, r.assistance,
             case when row_number() over in_household = 1
                  then (array_agg(r.monthly_income) filter (where r.monthly_income is not null)
                          over (in_household rows between unbounded preceding and unbounded following))[1]
             end as monthly_income,
             r.employment, r.address, r.phone, r.birth_date, r.sex
      from roster_member r
      window in_household as (partition by r.period, r.household_id order by r.relation = 'head' desc, r.line)`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create type roster_row as (
      period text, line integer, household_id text, id18 text, name text, relation text, region_code text,
      hukou_type text, assistance text, monthly_income numeric(14, 2), employment text, address text, phone text,
      birth_date date, sex text
    );

    create table roster_period (period text primary key);

    create table roster_version (
      id18 text not null,
      valid_from text not null,
      valid_until text,
      household_id text not null,
      position integer not null,
      name text not null,
      relation text not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      employment text,
      address text,
      phone text,
      birth_date date not null,
      sex text not null,
      primary key (id18, valid_from),
      check (valid_until is null or valid_until > valid_from)
    );
    create index roster_version_name on roster_version (name, birth_date);

    insert into roster_period select distinct period from roster_member;

    ${sql.raw(versionsFromCopies({ into: 'roster_version', periods: 'roster_period', key: 'id18', columns: VERSIONED, copies: NORMAL }))};

    drop table roster_member;

  `.execute(db);
  await allowAnalyze(db, ['roster_member'], false);
  await allowAnalyze(db, ['roster_version', 'roster_period'], true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // every period's roster again, in the default partition; the line is the row's place in its household
  await sql`
    create table roster_member (
      period text not null,
      line integer not null,
      household_id text not null,
      id18 text not null,
      name text not null,
      relation text not null,
      region_code text not null,
      hukou_type text not null,
      assistance text not null,
      monthly_income numeric(14, 2),
      employment text,
      address text,
      phone text,
      birth_date date not null,
      sex text not null,
      constraint roster_member_pkey primary key (period, id18)
    ) partition by list (period);
    create index roster_member_name on roster_member (period, name, birth_date);
    create table roster_member_default partition of roster_member default;
    insert into roster_member
    select p.period, v.position, v.household_id, v.id18, v.name, v.relation, v.region_code, v.hukou_type, v.assistance,
           v.monthly_income, v.employment, v.address, v.phone, v.birth_date, v.sex
    from roster_period p join roster_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period);
    -- the owner and the batch's grants it had (src/db/roles.ts), when a migration runs as the owner
    do $$
    declare
      o name := (select pg_get_userbyid(relowner) from pg_class where oid = 'roster_version'::regclass);
    begin
      if o <> current_user then
        execute format('alter table roster_member owner to %I', o);
        execute format('alter table roster_member_default owner to %I', o);
      end if;
      if to_regrole('safetynet_batch') is not null and has_table_privilege('safetynet_batch', 'roster_version', 'INSERT') then
        grant select, insert, update, delete on roster_member, roster_member_default to safetynet_batch;
      end if;
    end $$;
    drop table roster_version, roster_period;
    drop type roster_row;
  `.execute(db);
  // roster_member first again, where migration 0005 had it
  const others = (await analyzableTables(db)).filter((t) => t !== 'roster_version' && t !== 'roster_period');
  await createAnalyzeFunction(db, ['roster_member', ...others]);
}
