import { sql } from 'kysely';
import { z } from 'zod';
import { asOf, type Versioned } from '../../db/versions.js';
import { personColumns, type Department } from '../department.js';
import { foldedPersonVersions } from '../person-rows.js';
import { codeList, idNumber, optionalText, requiredCode, requiredMoney, requiredPattern, withRules } from '../values.js';

/**
 * 教育 students in non-compulsory education (high school, secondary vocational, higher
 * education) with the tuition and fees their household paid for the school year in progress: a
 * full snapshot of current enrolments each month (docs/education.md).
 */

export const educationStage = codeList(
  {
    普通高中: 'high_school', 高中: 'high_school',
    中职: 'secondary_vocational', 中等职业教育: 'secondary_vocational', 职业高中: 'secondary_vocational', 技工学校: 'secondary_vocational',
    高等教育: 'higher', 高职: 'higher', 专科: 'higher', 大专: 'higher', 本科: 'higher', 研究生: 'higher',
  } as const,
  'stage of non-compulsory education',
);

// 2026-2027, 2026/2027, 2026～2027, 2026学年 or 2026: the school year by the year it starts
const SCHOOL_YEAR = /^(\d{4})(?:\s*[-/～~至]\s*(\d{4}))?(?:学年)?$/;
const schoolYear = requiredPattern(SCHOOL_YEAR, 'not a school year (2026-2027, or 2026学年)');

/** The year a school year written as the contract allows starts in (NaN for anything else). */
export const schoolYearStart = (s: string): number => Number(SCHOOL_YEAR.exec(s)?.[1]);

/** The school year in progress on a day: it starts on 1 September. */
export function schoolYearOf(day: Date): number {
  return day.getUTCMonth() >= 8 ? day.getUTCFullYear() : day.getUTCFullYear() - 1;
}

const educationRow = (asOf: Date) => {
  const current = schoolYearOf(asOf);
  return withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      stage: requiredCode(educationStage),
      school_year: schoolYear,
      fees_paid: requiredMoney,
    }),
    [
      {
        column: 'school_year',
        // zod checks the rules of a row whose school year failed its pattern too: that one is reported already
        holds: (r) => {
          const m = SCHOOL_YEAR.exec(r.school_year);
          return m === null || m[2] === undefined || Number(m[2]) === Number(m[1]) + 1;
        },
        message: (r) => `${r.school_year} is not a school year: the second year must follow the first`,
      },
      // the facts are this school year's fees: another year's row is a stale line of the register
      {
        column: 'school_year',
        holds: (r) => !SCHOOL_YEAR.test(r.school_year) || schoolYearStart(r.school_year) === current,
        message: (r) => `school year ${schoolYearStart(r.school_year)}-${schoolYearStart(r.school_year) + 1} is not the one in progress (${current}-${current + 1})`,
      },
    ],
  );
};
export type EducationRow = z.infer<ReturnType<typeof educationRow>>;

/** The enrolments as versions (migration 0033), one a student: the register is sent whole every month and little of it changes. */
export const enrolmentVersions: Versioned = {
  table: 'enrolment_version',
  periods: 'enrolment_period',
  key: ['id18'],
  columns: ['name', 'stage', 'school_year', 'fees_paid', 'birth_date', 'sex'],
};

// A student on two rows (a transfer within the year): kept once, the fees added, at the stage of the later line
const enrolments = foldedPersonVersions(enrolmentVersions, {
  source: 'education',
  keptHow: 'kept once, with the fees added',
  rows: (stage) => sql`
    select id18, (array_agg(name order by line desc) filter (where name is not null))[1] as name,
           (array_agg(stage order by line desc))[1] as stage, max(school_year) as school_year, sum(fees_paid) as fees_paid,
           min(birth_date) as birth_date, min(sex) as sex
    from ${sql.table(stage)}
    group by id18`,
});

export const education: Department<EducationRow> = {
  id: 'education',
  labels: { en: 'Education', zh: '教育' },
  file: 'education',
  idColumn: 'id_number',
  // a month runs without it, on its latest delivered extract
  required: false,
  // an enrolment and the year's fees are a state of the school year, not a stream of events
  delivery: 'snapshot',
  rescuable: true,
  // no notOnRoster: a student on no roster is counted with their family's roster elsewhere
  periodTables: [],
  versions: enrolmentVersions,
  // fees of half the counted cap or more are a real weight on a household; a free place is none
  signal: {
    meaning: { en: 'school fees of at least half the counted cap', zh: '学杂费达计入上限一半以上' },
    people: ({ rowsPeriod, cfg }) => sql`
      select id18 from ${asOf(enrolmentVersions, rowsPeriod)} as e
      where fees_paid >= ${cfg.rigidSpending.schoolFeesCapPerStudent / 2}::numeric`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码', '学生身份证号'], required: true },
    { name: 'name', headers: ['姓名', '学生姓名'], required: false },
    { name: 'stage', headers: ['学段', '教育阶段'], required: true },
    { name: 'school_year', headers: ['学年'], required: true },
    { name: 'fees_paid', headers: ['已缴学杂费', '学杂费'], required: true },
  ],
  rowSchema: educationRow,
  // the row as sent (a type, migration 0033): the stage's shape
  table: 'enrolment_row',
  tableColumns: ['period', 'line', 'id18', 'name', 'stage', 'school_year', 'fees_paid', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.stage, schoolYearStart(r.school_year), r.fees_paid, ...personColumns(r.id_number),
  ],
  householdFacts: {
    people: ({ rowsPeriod }) => sql`select id18, stage, school_year, fees_paid from ${asOf(enrolmentVersions, rowsPeriod)} as e`,
    columns: [
      // each student's fees, not their sum: the cap of rigid spending is per student (scoring/rigid-spending.ts)
      {
        name: 'students',
        aggregate: sql`jsonb_agg(jsonb_build_object('stage', f.stage, 'fees', f.fees_paid) order by f.fees_paid desc, f.stage)`,
        none: sql`'[]'::jsonb`,
      },
      { name: 'school_year', aggregate: sql`min(f.school_year)`, none: sql`null::int` },
    ],
  },
  finalize: enrolments.finalize,
  addRescued: enrolments.addRescued,
};
