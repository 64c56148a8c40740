import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyLine } from '../../src/db/copy.js';
import { compileFastRow } from '../../src/ingest/fast-row.js';
import type { Department } from '../../src/ingest/department.js';
import { departments } from '../../src/ingest/departments.js';

/**
 * Every source's fast path (the fields' twins in values.ts) held to its zod schema: a row the
 * fast path accepts is one zod accepts, loaded as the very same COPY line. Rows it leaves to zod
 * cost time only, but the usual row must not be one of them.
 */

const AS_OF = new Date(Date.UTC(2026, 8, 30));
const ID = ['42010419700930001X', '420106196712060001', '42010419700930001x', '４２０１０６１９６７１２０６０００１', ' 420106196712060001 ',
  '420106671206001', '420106196712060002', '42010619671206000', '420106202612310001', '', '999999196712060008'];
const TEXT = ['张伟', ' 李娜 ', 'Ｈ００１', 'H00000001', '', ' ', 'NR-1', 'a'.repeat(501), '武汉市,"新华路"', 'ﬁ', '\u3000王\u3000'];
const MONEY = ['0', '12.5', '1,234.50', '１２３.４', '-5', '1.234', '', ' 37300 ', '123456789012.99', '1e3', 'abc', '1,23'];
const DATE = ['2026-05-23', '20260523', '2026/5/3', '2026-02-30', '2026-10-01', '２０２６－０５－２３', '', '1899-12-31', ' 2026-09-30 '];
const BOOL = ['1', '0', 'Y', 'n', 'true', 'FALSE', '是', '否', '', 'maybe', ' T '];
const CODE = ['head', 'Spouse', '户主', '子女', 'other', '', 'boss', 'urban', '农村', 'dibao', '低保', 'none', 'employed', '失业', 'visual',
  '肢体', 'chronic', '重特大疾病', 'severe', 'mental', ' child '];
const GRADE = ['1', '4', '一级', '二', '3级', '5', '', '一'];
const PATTERN = ['420114001012', '４２０１１４００１０１２', '42011400101', 'N18.5', 'n18.5', 'C18', 'c18.70', 'N1', '', 'X99.ABCD', 'I25.1 '];

const pools: Record<string, string[]> = {
  id_number: ID, name: TEXT, household_id: TEXT, address: TEXT, phone: TEXT, claim_id: TEXT,
  total_cost: MONEY, fund_paid: MONEY, assistance_paid: MONEY, out_of_pocket: MONEY, monthly_income: MONEY,
  settled_on: DATE, certified_on: DATE, recorded_on: DATE, registered_on: DATE, pension_monthly: MONEY,
  inpatient: BOOL, registered_unemployed: BOOL,
  relation: CODE, hukou_type: CODE, assistance: CODE, employment: CODE, disability_type: CODE, category: CODE,
  disability_grade: GRADE,
  region_code: PATTERN, diagnosis_code: PATTERN,
  // public-security
  event: ['死亡', '出生', 'move_out', '迁入', 'Death', '', '注销'], event_date: DATE, parent_id_number: ID, cancelled: BOOL,
  // housing, emergency, education
  grade: ['C级', 'D', 'd级', 'B', 'B级', 'E', '', ' D类 '], appraised_on: DATE, loss: MONEY, house_damaged: BOOL,
  stage: ['本科', 'high_school', '中职', '初中', 'Higher', ''], school_year: ['2026-2027', '2026学年', '2026', '2025-2026', '2026-2028', '2026/2027', '26-27', ''],
  fees_paid: MONEY,
};

const usual: Record<string, string> = {
  id_number: '420106196712060001', name: '龚建晨', household_id: 'H00000002', relation: 'head', region_code: '420113001005',
  hukou_type: 'urban', assistance: 'none', monthly_income: '3972', employment: 'employed', address: '武汉市胜利街354号', phone: '15279432969',
  disability_type: '视力', disability_grade: '四级', certified_on: '2019-12-22', diagnosis_code: 'N18.3', category: '慢性病',
  recorded_on: '2015-09-28', claim_id: 'YB20260523000000001', settled_on: '2026-05-23', inpatient: 'false', total_cost: '498.3',
  fund_paid: '239.18', assistance_paid: '', out_of_pocket: '259.12',
  registered_unemployed: '是', registered_on: '2026-05-12', pension_monthly: '1200',
  event: '死亡', event_date: '2026-05-23', parent_id_number: '', cancelled: '',
  grade: 'D级', appraised_on: '2026-03-14', loss: '12000', house_damaged: '是', stage: '本科', school_year: '2026-2027', fees_paid: '6500',
};

function check(def: Department, columns: string[], fields: string[]) {
  const positions = columns.map((name, index) => ({ index, column: { name } }));
  const schema = def.rowSchema(AS_OF);
  const fast = compileFastRow(schema, positions)(fields);
  const input = Object.fromEntries(columns.map((c, i) => [c, fields[i]]));
  const parsed = schema.safeParse(input);
  if (fast !== null) {
    expect(parsed.success, `zod refuses what the fast path took: ${JSON.stringify(input)}`).toBe(true);
    const ctx = { period: '2026-09', line: 2 };
    expect(copyLine(def.toColumns(fast, ctx))).toBe(copyLine(def.toColumns(parsed.data, ctx)));
  }
  return { fast: fast !== null, zod: parsed.success };
}

describe.each(departments().map((s) => [s.id, s] as const))('the fast path of %s', (_id, def) => {
  const names = def.columns.map((c) => c.name);

  it('accepts only rows zod accepts, and loads them identically', () => {
    let fastRows = 0;
    let zodRows = 0;
    fc.assert(
      fc.property(fc.tuple(...names.map((n) => fc.oneof({ arbitrary: fc.constant(usual[n]!), weight: 2 }, { arbitrary: fc.constantFrom(...(pools[n] ?? TEXT)), weight: 3 }))), (fields) => {
        const r = check(def, names, fields);
        if (r.fast) fastRows++;
        if (r.zod) zodRows++;
      }),
      { numRuns: 3000 },
    );
    // not vacuous: some generated rows are valid and taken by the fast path
    expect(fastRows).toBeGreaterThan(0);
    expect(zodRows).toBeGreaterThanOrEqual(fastRows);
  });

  it('takes the usual row without zod, and a file without the optional columns', () => {
    expect(check(def, names, names.map((n) => usual[n]!))).toEqual({ fast: true, zod: true });
    const required = def.columns.filter((c) => c.required).map((c) => c.name);
    expect(check(def, required, required.map((n) => usual[n]!))).toEqual({ fast: true, zod: true });
  });
});
