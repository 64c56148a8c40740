import { describe, expect, it } from 'vitest';
import { scoreHousehold } from '../../scoring/combine.js';
import { monthsOlder } from '../../scoring/evidence.js';
import type { Evidence } from '../../scoring/household-facts.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

/**
 * Evidence with its age: a reason whose facts come from an extract older than the period says the
 * department and month; a household every dated fact of whose reasons is `evidence.staleMonths`
 * (default 3) or more months old is low-confidence. Period 2026-10 throughout.
 */
const cfg = parseConfig(undefined).config;
const healthAsOf = (month: string): Evidence => ({ period: '2026-10', older: { health: { month, label: '卫健' } } });
const reason = (s: ReturnType<typeof scoreHousehold>, dimension: string) => s.reasons.find((r) => r.dimension === dimension);

// 85, alone, on a 3,000 yuan pension (3x the standard: no economic points), severely ill, 2 stays in hospital
const ill = livingAlone(85, { severeIllness: 1, severeMembers: 1, chronicIllness: 0, inpatientStays12m: 2 });

describe('the month of the extract a fact came from', () => {
  it('a fact of the period itself carries no date', () => {
    const s = scoreHousehold(ill, cfg);
    expect(reason(s, 'health')!.text).toBe('1 member with a severe illness, 2 inpatient stays in 12 months');
    expect(s.lowConfidence).toBe(false);
  });

  it('a fact from the stand-in extract of a department that did not deliver names it and its month', () => {
    const s = scoreHousehold({ ...ill, evidence: healthAsOf('2026-08') }, cfg);
    // the stays are medical insurance's, of the period: undated
    expect(reason(s, 'health')!.text).toBe('1 member with a severe illness (卫健, 2026-08), 2 inpatient stays in 12 months');
    expect(reason(s, 'health')!.text_zh).toBe('1名成员患重特大疾病（卫健，2026-08），近12个月住院2次');
    // ages come from ID numbers: nothing there ages
    expect(reason(s, 'age_structure')!.text).not.toMatch(/2026-08/);
    // two months old is not yet old
    expect(s.lowConfidence).toBe(false);
  });

  it('the points and the rank do not depend on the facts’ age', () => {
    const now = scoreHousehold(ill, cfg);
    const old = scoreHousehold({ ...ill, evidence: healthAsOf('2026-01') }, cfg);
    expect(old.total).toBe(now.total);
    expect(old.dimensions).toEqual(now.dimensions);
  });
});

describe('low confidence', () => {
  it('every dated fact behind the reasons 3 or more months old: low-confidence', () => {
    const noStays = { ...ill, inpatientStays12m: 0 };
    expect(scoreHousehold({ ...noStays, evidence: healthAsOf('2026-07') }, cfg).lowConfidence).toBe(true);
    expect(scoreHousehold({ ...noStays, evidence: healthAsOf('2026-08') }, cfg).lowConfidence).toBe(false);
  });

  it('one recent fact among them is enough: a stay in this month’s claims, or income on this month’s roster', () => {
    expect(scoreHousehold({ ...ill, evidence: healthAsOf('2026-05') }, cfg).lowConfidence).toBe(false);
    const poor = { ...ill, inpatientStays12m: 0, monthlyIncome: 600, previousMonthlyIncome: 600, evidence: healthAsOf('2026-05') };
    const s = scoreHousehold(poor, cfg);
    expect(s.lowConfidence).toBe(false);
    expect(reason(s, 'economic')!.text).not.toMatch(/卫健/);
  });

  it('a reason resting on several departments is recent when one of them is', () => {
    // income under the line after the claims: the roster's income is of the period, the claims old
    const h = facts({ monthlyIncome: 3_000, previousMonthlyIncome: 3_000, outOfPocket12m: 30_000, evidence: { period: '2026-10', older: { 'medical-insurance': { month: '2026-04', label: '医保' } } } });
    const s = scoreHousehold(h, cfg);
    expect(reason(s, 'economic')!.text).toMatch(/after out-of-pocket medical spending.* \(医保, 2026-04\)$/);
    expect(reason(s, 'medical_burden')!.text).toMatch(/\(医保, 2026-04\)$/);
    expect(s.lowConfidence).toBe(false);
  });

  it('a household with no dated fact behind its reasons is not low-confidence', () => {
    expect(scoreHousehold({ ...livingAlone(85), evidence: healthAsOf('2025-01') }, cfg).lowConfidence).toBe(false);
  });

  it('the age is counted in whole months, across a year', () => {
    expect(monthsOlder('2026-08', '2026-10')).toBe(2);
    expect(monthsOlder('2025-11', '2026-02')).toBe(3);
    const s = scoreHousehold({ ...ill, inpatientStays12m: 0, evidence: { period: '2026-02', older: { health: { month: '2025-11', label: '卫健' } } } }, cfg);
    expect(s.lowConfidence).toBe(true);
  });

  it('staleMonths is the config’s', () => {
    const patient = parseConfig({ evidence: { staleMonths: 6 } }).config;
    expect(scoreHousehold({ ...ill, inpatientStays12m: 0, evidence: healthAsOf('2026-07') }, patient).lowConfidence).toBe(false);
    expect(() => parseConfig({ evidence: { staleMonths: 0 } })).toThrow(/staleMonths/);
  });
});
