import { sql } from 'kysely';
import { asOf, writeVersions, type Versioned } from '../../db/versions.js';
import { z } from 'zod';
import {
  codeList,
  clean,
  idNumber,
  optionalCode,
  optionalMoney,
  optionalText,
  requiredCode,
  requiredPattern,
  requiredText,
  SLOW,
  withFast,
} from '../values.js';
import { personColumns, type Department } from '../department.js';

/** 民政 household roster: one row per person; it alone defines households. */

export const relation = codeList(
  {
    户主: 'head', 本人: 'head', 配偶: 'spouse', 妻: 'spouse', 夫: 'spouse', 子女: 'child', 子: 'child', 女: 'child',
    儿子: 'child', 女儿: 'child', 父母: 'parent', 父亲: 'parent', 母亲: 'parent', 孙子女: 'grandchild',
    孙子: 'grandchild', 孙女: 'grandchild', 兄弟姐妹: 'sibling', 其他: 'other',
  } as const,
  'relation',
);
export const hukouType = codeList({ 城镇: 'urban', 非农业: 'urban', 农村: 'rural', 农业: 'rural' } as const, 'hukou type');
export const assistance = codeList(
  { 无: 'none', 低保: 'dibao', 特困: 'tekun', 特困供养: 'tekun', 低保边缘: 'dibao_edge', 临时救助: 'temporary' } as const,
  'assistance type',
);
export const employment = codeList(
  {
    在业: 'employed', 在职: 'employed', 就业: 'employed', 失业: 'unemployed', 退休: 'retired', 离退休: 'retired',
    在校: 'student', 学生: 'student', 无劳动能力: 'unable', 丧失劳动能力: 'unable',
  } as const,
  'employment status',
);

// NR-… codes are the one-person households of people not on the roster (src/link): a roster
// code of that shape would collide with one
const householdId = withFast(
  requiredText.refine((v) => !v.startsWith('NR-'), 'household codes starting with NR- are reserved for people not on the roster'),
  (raw) => {
    const v = clean(raw);
    return v === undefined || v.length > 500 || v.startsWith('NR-') ? SLOW : v;
  },
);
const regionCode = requiredPattern(/^\d{12}$/, 'region code must be 12 digits');

const rosterRow = (asOf: Date) =>
  z.object({
    household_id: householdId,
    id_number: idNumber(asOf),
    name: requiredText,
    relation: optionalCode(relation, 'other'),
    region_code: regionCode,
    hukou_type: requiredCode(hukouType),
    assistance: optionalCode(assistance, 'none'),
    monthly_income: optionalMoney,
    employment: optionalCode(employment),
    address: optionalText,
    phone: optionalText,
  });
export type RosterRow = z.infer<ReturnType<typeof rosterRow>>;

/**
 * The roster as versions (migration 0025): a person's row from the period it first appears or
 * changes. `position` is the row's place among its household's rows, the head first, then as the
 * file lists them (the order the link picks the household's head and details in); the household's
 * monthly income is kept on its first row only, since the roster may repeat it on the members'
 * rows or not from month to month.
 */
export const rosterVersions: Versioned = {
  table: 'roster_version',
  periods: 'roster_period',
  key: ['id18'],
  columns: [
    'household_id', 'position', 'name', 'relation', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'employment',
    'address', 'phone', 'birth_date', 'sex',
  ],
};

/** The roster of a period: its people's versions in force then, to alias (`from ${rosterAsOf(p)} as r`). */
export const rosterAsOf = (period: string | null) => asOf(rosterVersions, period);

export const civilAffairs: Department<RosterRow> = {
  id: 'civil-affairs',
  labels: { en: 'Civil affairs (roster)', zh: '民政（名册）' },
  file: 'civil-affairs',
  idColumn: 'id_number',
  definesHouseholds: true,
  required: true,
  delivery: 'snapshot',
  // the roster is what a rescued number is matched against
  rescuable: false,
  periodTables: [],
  versions: rosterVersions,
  columns: [
    { name: 'household_id', headers: ['户编号'], required: true },
    { name: 'id_number', headers: ['身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: true },
    { name: 'relation', headers: ['与户主关系'], required: true },
    { name: 'region_code', headers: ['区划代码'], required: true },
    { name: 'hukou_type', headers: ['户籍性质'], required: true },
    { name: 'assistance', headers: ['救助类型'], required: true },
    { name: 'monthly_income', headers: ['家庭月收入'], required: true },
    { name: 'employment', headers: ['就业状况'], required: false },
    { name: 'address', headers: ['住址'], required: false },
    { name: 'phone', headers: ['联系电话'], required: false },
  ],
  rowSchema: rosterRow,
  // the row as sent (a type, migration 0025): the stage's shape
  table: 'roster_row',
  tableColumns: [
    'period', 'line', 'household_id', 'id18', 'name', 'relation', 'region_code', 'hukou_type', 'assistance',
    'monthly_income', 'employment', 'address', 'phone', 'birth_date', 'sex',
  ],
  toColumns: (r, { period, line }) => [
    period, line, r.household_id, r.id_number.id18, r.name, r.relation, r.region_code, r.hukou_type, r.assistance,
    r.monthly_income, r.employment, r.address, r.phone, ...personColumns(r.id_number),
  ],
  async finalize({ db }, period, stage) {
    // A person can belong to one household only: the first row wins, later ones are refused
    // with a pointer to the first (a roster that lists someone twice needs fixing at the source).
    // The people listed twice come from a hash aggregate, not a sort of the whole roster.
    await sql`
      create temp table roster_twice on commit drop as
      select id18, min(line) as first_line from ${sql.table(stage)} group by id18 having count(*) > 1
    `.execute(db);
    const { rows: twice } = await sql<{ any: boolean }>`select exists (select 1 from roster_twice) as any`.execute(db);
    // Their rows taken from the stage in one hashed pass first: joined to the stage twice, before
    // it has statistics, the planner sorted the whole roster twice to meet a few hundred people
    // (10 of a 1,000,000-household month's seconds).
    const refused = !twice[0]?.any ? 0 : (await sql<{ n: number }>`
      with listed as materialized (
        select s.line, s.id18, s.household_id, s.name
        from ${sql.table(stage)} s where s.id18 in (select id18 from roster_twice)
      ), dup as (
        insert into rejected_row (period, source, line, column_name, reason, raw)
        select ${period}, 'civil-affairs', s.line, 'id_number',
               'person already listed on line ' || t.first_line || ' (household ' || f.household_id || '); a person belongs to one household',
               jsonb_build_object('household_id', s.household_id, 'name', s.name)
        from roster_twice t
        join listed s on s.id18 = t.id18 and s.line > t.first_line
        join listed f on f.id18 = t.id18 and f.line = t.first_line
        returning line
      ), gone as (
        -- the stage then holds the rows kept: everyone's first
        delete from ${sql.table(stage)} s using dup where s.line = dup.line
      )
      select (select count(*) from dup)::int as n
    `.execute(db)).rows[0]?.n ?? 0;
    // the stage's size and households, for the plans below
    await sql`analyze ${sql.table(stage)}`.execute(db);

    // what the file says of its households that the versions do not keep (its line numbers), in
    // one hashed pass over the households; the incomes spelled out for the conflicting ones only
    await sql`
      with per_household as materialized (
        select household_id, min(line) as first_line, min(line) filter (where monthly_income is not null) as first_income_line,
               min(monthly_income) <> max(monthly_income) as incomes_differ, bool_or(relation = 'head') as has_head
        from ${sql.table(stage)} as k group by household_id
      ), conflict as (
        select h.household_id, h.first_income_line, string_agg(distinct k.monthly_income::text, ', ') as incomes
        from per_household h join ${sql.table(stage)} as k on k.household_id = h.household_id and k.monthly_income is not null
        where h.incomes_differ
        group by h.household_id, h.first_income_line
      )
      insert into quality_issue (period, source, line, kind, detail)
      select ${period}, 'civil-affairs', first_income_line, 'income_conflict',
             'household ' || household_id || ' rows give different monthly incomes (' || incomes || '); the head''s row is used'
      from conflict
      union all
      select ${period}, 'civil-affairs', first_line, 'no_head',
             'household ' || household_id || ' has no row with relation head; its first member stands in'
      from per_household where not has_head
    `.execute(db);

    // one sort: the household's rows, the head first, then as the file lists them
    await writeVersions({ db }, rosterVersions, period, sql`
      select id18, household_id, position, name, relation, region_code, hukou_type, assistance,
             -- the first income the household's rows give, in that order, on its first row
             case when position = 1 then incomes[1] end as monthly_income,
             employment, address, phone, birth_date, sex
      from (
        select k.*, (row_number() over in_household)::int as position,
               array_agg(monthly_income) filter (where monthly_income is not null)
                 over (in_household rows between unbounded preceding and unbounded following) as incomes
        from ${sql.table(stage)} as k
        window in_household as (partition by household_id order by relation = 'head' desc, line)
      ) as ordered
    `);
    return refused;
  },
};
