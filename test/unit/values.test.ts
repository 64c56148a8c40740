import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assistance, relation } from '../../src/ingest/civil-affairs/civil-affairs.source.js';
import { disabilityGrade } from '../../src/ingest/disability/disability.source.js';
import { optionalMoney, parseDate, requiredBoolean, requiredMoney, shown } from '../../src/ingest/values.js';
import { neutraliseFormula } from '../../src/export/warning-list.js';
import { claimsWindowStart } from '../../src/period.js';

const ok = <T>(schema: z.ZodType<T>, v: unknown) => schema.parse(v);
const problem = (schema: z.ZodType, v: unknown) => {
  const r = schema.safeParse(v);
  return r.success ? null : r.error.issues[0]!.message;
};

describe('values of the contract', () => {
  it('money: yuan with up to two decimals, full-width digits, thousands separators', () => {
    expect(ok(requiredMoney, '37300')).toBe(37300);
    expect(ok(requiredMoney, ' 1,234.50 ')).toBe(1234.5);
    expect(ok(requiredMoney, '１２３.４')).toBe(123.4);
    expect(ok(optionalMoney, '')).toBeUndefined();
    expect(problem(requiredMoney, '')).toBe('value is missing');
    expect(problem(requiredMoney, '12,3a4')).toBe('not an amount in yuan (digits, up to 2 decimals)');
    expect(problem(requiredMoney, '1.234')).not.toBeNull();
    expect(problem(requiredMoney, '-5')).not.toBeNull();
    // the columns hold 12 digits before the point: a longer amount is the row's error, not the run's
    expect(ok(requiredMoney, '123456789012.99')).toBe(123456789012.99);
    expect(problem(requiredMoney, '1234567890123')).not.toBeNull();
  });

  it('dates: YYYY-MM-DD and YYYYMMDD, real calendar days only', () => {
    expect(parseDate('2026-10-05')).toBe('2026-10-05');
    expect(parseDate('20261005')).toBe('2026-10-05');
    expect(parseDate('2026/10/5')).toBe('2026-10-05');
    expect(parseDate('2026-02-30')).toBeNull();
    expect(parseDate('2026105')).toBeNull();
    expect(parseDate('05/10/2026')).toBeNull();
  });

  it('booleans: 1/0, Y/N, true/false, 是/否', () => {
    for (const t of ['1', 'Y', 'y', 'true', 'TRUE', '是']) expect(ok(requiredBoolean, t)).toBe(true);
    for (const f of ['0', 'N', 'false', '否']) expect(ok(requiredBoolean, f)).toBe(false);
    expect(problem(requiredBoolean, '可能')).toContain('a value of 2 characters is not a yes/no value');
  });

  it('code lists in English or Chinese', () => {
    expect(ok(relation, '户主')).toBe('head');
    expect(ok(relation, 'Spouse')).toBe('spouse');
    expect(ok(assistance, '低保边缘')).toBe('dibao_edge');
    expect(ok(assistance, 'tekun')).toBe('tekun');
    expect(problem(assistance, '五保')).toBe('a value of 2 characters is not a known assistance type (none, dibao, tekun, dibao_edge, temporary)');
    expect(ok(disabilityGrade, '一级')).toBe(1);
    expect(ok(disabilityGrade, '4')).toBe(4);
    expect(ok(disabilityGrade, '3级')).toBe(3);
    expect(problem(disabilityGrade, '5')).toContain('is not a disability grade');
  });
});

describe('a refused value in a reason (the data-quality report goes back to departments)', () => {
  it('is quoted only when it is a code of a bounded list or a date in the contract\'s layout', () => {
    // a code of another list in the wrong column: it can be no name or number
    expect(problem(relation, 'dibao')).toBe('"dibao" is not a known relation (head, spouse, child, parent, grandchild, sibling, other)');
    expect(problem(relation, '低保')).toMatch(/^"低保" is not a known relation/);
    expect(problem(requiredBoolean, 'Yes')).toBeNull();
    expect(shown('2026-02-30')).toBe('"2026-02-30"');
    expect(shown('2026/13/1')).toBe('"2026/13/1"');
  });

  it('tells a name or a number by its length only', () => {
    expect(problem(relation, '张伟')).toBe('a value of 2 characters is not a known relation (head, spouse, child, parent, grandchild, sibling, other)');
    expect(problem(assistance, '420106198001010011')).toMatch(/^a value of 18 digits is not a known assistance type/);
    // 8 digits could be a landline number, YYYYMMDD or not
    expect(shown('20260230')).toBe('a value of 8 digits');
    expect(shown('１３９１２３４５６７８')).toBe('a value of 11 digits');
    expect(shown('X')).toBe('a value of 1 character');
    expect(problem(disabilityGrade, '钱老汉')).toMatch(/^a value of 3 characters is not a disability grade/);
  });
});

describe('spreadsheet formula injection', () => {
  it('prefixes text that a spreadsheet would run, and nothing else', () => {
    for (const bad of ['=HYPERLINK("http://x")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(neutraliseFormula(bad)).toBe(`'${bad}`);
    }
    expect(neutraliseFormula('张*')).toBe('张*');
    expect(neutraliseFormula('a=b')).toBe('a=b');
  });
});

describe('the 12-month claims window', () => {
  it('is the 12 calendar months ending with the period, whatever the leap years', () => {
    expect(claimsWindowStart('2026-10')).toBe('2025-11-01');
    expect(claimsWindowStart('2026-01')).toBe('2025-02-01');
    expect(claimsWindowStart('2025-02')).toBe('2024-03-01'); // 2024-02-29 is outside
    expect(claimsWindowStart('2024-12')).toBe('2024-01-01');
  });
});

describe('clean() skips NFKC only where it changes nothing', () => {
  it('every ASCII character and CJK unified ideograph (and extension A) is its own NFKC form', () => {
    const unstable: number[] = [];
    for (const [from, to] of [[0x00, 0x7f], [0x3400, 0x4dbf], [0x4e00, 0x9fff]] as const) {
      for (let c = from; c <= to; c++) if (String.fromCharCode(c).normalize('NFKC') !== String.fromCharCode(c)) unstable.push(c);
    }
    expect(unstable).toEqual([]);
  });
});
