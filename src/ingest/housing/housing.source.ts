import { sql } from 'kysely';
import { z } from 'zod';
import { foldPersonRows, personColumns, type Department } from '../department.js';
import { codeList, idNumber, notAfter, optionalText, requiredCode, requiredDate, withRules } from '../values.js';

/**
 * 住建 dangerous-housing appraisals (危房鉴定): a full snapshot each month of every house on
 * record as appraised grade C or D and not yet repaired or rebuilt, by its owner's ID number
 * (docs/housing.md).
 */

/** The appraisal grades of the national standard (JGJ 125): A and B are sound, C and D dangerous. */
export const houseGrade = codeList(
  { A级: 'A', B级: 'B', C级: 'C', D级: 'D', A类: 'A', B类: 'B', C类: 'C', D类: 'D' } as const,
  'house appraisal grade',
);

const housingRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      grade: requiredCode(houseGrade),
      appraised_on: requiredDate,
    }),
    [
      // a sound house on the list of dangerous ones is a line of the wrong query, not a fact of need
      {
        column: 'grade',
        holds: (r) => r.grade === 'C' || r.grade === 'D',
        message: (r) => `grade ${r.grade} is not dangerous housing: only appraisals of grade C or D are sent`,
      },
      // a date after the period is a file of a later month, or a typo: either way not this period's fact
      notAfter('appraised_on', asOf, 'appraised on'),
    ],
  );
export type HousingRow = z.infer<ReturnType<typeof housingRow>>;

export const housing: Department<HousingRow> = {
  id: 'housing',
  labels: { en: 'Housing and construction', zh: '住建' },
  file: 'housing',
  idColumn: 'id_number',
  // a month runs without it, on its latest delivered extract
  required: false,
  // an appraisal stands until the house is repaired or rebuilt: the bureau's register is a state, not a stream
  delivery: 'snapshot',
  rescuable: true,
  // no notOnRoster: an owner the roster does not know may live elsewhere; a house is no person in need
  periodTables: [{ table: 'dangerous_house', periodColumn: 'period' }],
  // a grade-D house is unsafe to live in whoever owns it; a grade-C one is a repair, not yet a need
  signal: {
    meaning: { en: 'a grade-D dangerous house', zh: 'D级危房' },
    people: ({ rowsPeriod }) => sql`select id18 from dangerous_house where period = ${rowsPeriod}::text and grade = 'D'`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码', '户主身份证号'], required: true },
    { name: 'name', headers: ['姓名', '户主姓名'], required: false },
    { name: 'grade', headers: ['鉴定等级', '危险等级'], required: true },
    { name: 'appraised_on', headers: ['鉴定日期'], required: true },
  ],
  rowSchema: housingRow,
  table: 'dangerous_house',
  tableColumns: ['period', 'line', 'id18', 'name', 'grade', 'appraised_on', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [period, line, r.id_number.id18, r.name, r.grade, r.appraised_on, ...personColumns(r.id_number)],
  householdFacts: {
    people: ({ rowsPeriod }) => sql`select id18, grade, appraised_on from dangerous_house where period = ${rowsPeriod}::text`,
    columns: [
      // D sorts after C: the worst house a member owns, and when it was appraised so
      { name: 'dangerous_house_grade', aggregate: sql`max(f.grade)`, none: sql`null::text` },
      {
        name: 'dangerous_house_appraised_on',
        aggregate: sql`(array_agg(to_char(f.appraised_on, 'YYYY-MM-DD') order by f.grade desc, f.appraised_on desc))[1]`,
        none: sql`null::text`,
      },
    ],
  },
  async finalize({ db }, period, stage) {
    // An owner of two appraised houses is kept once, at the worse grade (a D outweighs a C
    // whatever the dates) and the latest appraisal of it; the report names the lines folded in.
    await foldPersonRows(db, {
      period, source: 'housing', stage, keptHow: 'kept once, at the worse grade and its latest appraisal',
      insert: sql`
        insert into dangerous_house (period, line, id18, name, grade, appraised_on, birth_date, sex)
        select distinct on (id18) period, line, id18, name, grade, appraised_on, birth_date, sex
        from ${sql.table(stage)}
        order by id18, grade desc, appraised_on desc, line desc
      `,
    });
    return 0;
  },
};
