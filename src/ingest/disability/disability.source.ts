import { sql } from 'kysely';
import { z } from 'zod';
import { asOf, type Versioned } from '../../db/versions.js';
import { personColumns, type Department } from '../department.js';
import { personRowVersions } from '../person-rows.js';
import {
  clean, codeList, idNumber, notAfter, optionalDate, optionalText, requiredCode, shown, SLOW, withFast, withRules,
} from '../values.js';

/** 残联 certified disabilities: a full snapshot of current certificates each month. */

export const disabilityType = codeList(
  { 视力: 'visual', 听力: 'hearing', 言语: 'speech', 肢体: 'physical', 智力: 'intellectual', 精神: 'mental', 多重: 'multiple' } as const,
  'disability type',
);

const GRADES: Record<string, number> = { 一级: 1, 二级: 2, 三级: 3, 四级: 4, 一: 1, 二: 2, 三: 3, 四: 4 };
const gradeOf = (s: string): number | undefined => {
  const v = s.replace(/^([1-4])级$/, '$1');
  return /^[1-4]$/.test(v) ? Number(v) : GRADES[v];
};
export const disabilityGrade = z.string({ error: 'value is missing' }).transform((s, ctx) => {
  const grade = gradeOf(s);
  if (grade === undefined) {
    ctx.addIssue({ code: 'custom', message: `${shown(s)} is not a disability grade (1 to 4, or 一级 to 四级)` });
    return z.NEVER;
  }
  return grade;
});

const grade = withFast(z.preprocess(clean, disabilityGrade), (raw) => {
  const v = clean(raw);
  return (v === undefined ? undefined : gradeOf(v)) ?? SLOW;
});

const disabilityRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      disability_type: requiredCode(disabilityType),
      disability_grade: grade,
      certified_on: optionalDate,
    }),
    // a date after the period is a file of a later month, or a typo: either way not this period's fact
    [notAfter('certified_on', asOf, 'certified on')],
  );
export type DisabilityRow = z.infer<ReturnType<typeof disabilityRow>>;

/** The certificates as versions (migration 0037, src/ingest/person-rows.ts): the register is sent whole every month and little of it changes. */
export const disabilityVersions: Versioned = {
  table: 'disability_version',
  periods: 'disability_period',
  key: ['id18', 'ordinal'],
  columns: ['name', 'disability_type', 'disability_grade', 'certified_on', 'birth_date', 'sex'],
};

// a person may hold several certificates (one per type): all are kept
const certificateRows = personRowVersions(disabilityVersions, ['disability_type', 'disability_grade', 'certified_on', 'name', 'birth_date', 'sex']);

export const disability: Department<DisabilityRow> = {
  id: 'disability',
  labels: { en: 'Disability federation', zh: '残联' },
  file: 'disability',
  idColumn: 'id_number',
  required: true,
  delivery: 'snapshot',
  rescuable: true,
  // a certificate holder's name and birth date come from here first: the federation verifies
  // them; a person's rows in the order of their content, the line not being kept
  notOnRoster: {
    preference: 1,
    people: ({ rowsPeriod }) => sql`select id18, name, birth_date, sex, ordinal as line from ${asOf(disabilityVersions, rowsPeriod)} as d`,
  },
  periodTables: [],
  versions: disabilityVersions,
  signal: {
    meaning: { en: 'a certified disability', zh: '持残疾证' },
    people: ({ rowsPeriod }) => sql`select distinct id18 from ${asOf(disabilityVersions, rowsPeriod)} as d`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'disability_type', headers: ['残疾类别'], required: true },
    { name: 'disability_grade', headers: ['残疾等级'], required: true },
    { name: 'certified_on', headers: ['发证日期'], required: false },
  ],
  rowSchema: disabilityRow,
  // the row as sent (a type, migration 0037): the stage's shape
  table: 'disability_row',
  tableColumns: ['period', 'line', 'id18', 'name', 'disability_type', 'disability_grade', 'certified_on', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.disability_type, r.disability_grade, r.certified_on, ...personColumns(r.id_number),
  ],
  finalize: certificateRows.finalize,
  addRescued: certificateRows.addRescued,
};
