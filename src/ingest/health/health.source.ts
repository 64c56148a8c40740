import { sql } from 'kysely';
import { z } from 'zod';
import { personColumns, type Department } from '../department.js';
import { codeList, idNumber, notAfter, optionalDate, optionalText, requiredCode, requiredPattern, withRules } from '../values.js';

/** 卫健 diagnoses on record: a full snapshot each month. */

export const diagnosisCategory = codeList(
  { 慢性病: 'chronic', 慢病: 'chronic', 重特大疾病: 'severe', 重大疾病: 'severe', 严重精神障碍: 'mental' } as const,
  'diagnosis category',
);

const ICD10 = /^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$/;

const diagnosisCode = requiredPattern(ICD10, 'not an ICD-10 code (e.g. N18.5)', { upper: true });

const healthRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      diagnosis_code: diagnosisCode,
      category: requiredCode(diagnosisCategory),
      recorded_on: optionalDate,
    }),
    // a date after the period is a file of a later month, or a typo: either way not this period's fact
    [notAfter('recorded_on', asOf, 'recorded on')],
  );
export type HealthRow = z.infer<ReturnType<typeof healthRow>>;

export const health: Department<HealthRow> = {
  id: 'health',
  labels: { en: 'Health commission', zh: '卫健' },
  file: 'health',
  idColumn: 'id_number',
  required: true,
  delivery: 'snapshot',
  rescuable: true,
  notOnRoster: { preference: 2 },
  periodTables: [{ table: 'diagnosis', periodColumn: 'period' }],
  // every category the commission sends (severe, severe mental, chronic) is a diagnosis of need
  signal: {
    meaning: { en: 'a severe or chronic diagnosis on record', zh: '有重特大疾病或慢性病记录' },
    people: ({ rowsPeriod }) => sql`select distinct id18 from diagnosis where period = ${rowsPeriod}::text`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'diagnosis_code', headers: ['诊断编码'], required: true },
    { name: 'category', headers: ['病种类别'], required: true },
    { name: 'recorded_on', headers: ['登记日期'], required: false },
  ],
  rowSchema: healthRow,
  table: 'diagnosis',
  tableColumns: ['period', 'line', 'id18', 'name', 'diagnosis_code', 'category', 'recorded_on', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.diagnosis_code, r.category, r.recorded_on, ...personColumns(r.id_number),
  ],
  async finalize({ db }, _period, stage) {
    await sql`insert into diagnosis select * from ${sql.table(stage)}`.execute(db);
    return 0;
  },
};
