import { describe, expect, it } from 'vitest';
import { scoreMedicalBurden } from '../../scoring/medical-burden.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

// Defaults: ratio = out-of-pocket 12 months / yearly income.
//   ratio < 0.1          -> 0
//   0.1 <= ratio < 0.4   -> 60 x (ratio - 0.1) / 0.3
//   0.4 <= ratio < 1.0   -> 60 + 40 x (ratio - 0.4) / 0.6
//   ratio >= 1.0         -> 100
const cfg = parseConfig(undefined).config;

/** a household on 3,000 a month: 36,000 a year */
const on3000 = (outOfPocket12m: number) => facts({ monthlyIncome: 3_000, previousMonthlyIncome: 3_000, outOfPocket12m });

describe('medical expense burden', () => {
  it('no out-of-pocket spending scores 0 with nothing to say', () => {
    const r = scoreMedicalBurden(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('out-of-pocket 37,300 yuan against 36,000 yearly income gives full burden, and says 37,300 yuan and 1.0x', () => {
    // 37,300 / (3,000 x 12) = 1.036 >= 1.0 -> 100
    const r = scoreMedicalBurden(on3000(37_300), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['out-of-pocket medical 37,300 yuan in 12 months, 1.0x household yearly income']);
  });

  it('the contract example: 37,300 yuan against 18,000 a year is 2.1x', () => {
    // 37,300 / (1,500 x 12) = 2.07
    const r = scoreMedicalBurden(facts({ monthlyIncome: 1_500, outOfPocket12m: 37_300 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons[0]).toBe('out-of-pocket medical 37,300 yuan in 12 months, 2.1x household yearly income');
  });

  it('spending exactly the yearly income is full burden', () => {
    expect(scoreMedicalBurden(on3000(36_000), cfg).score).toBe(100);
  });

  it('the catastrophic line (40% of yearly income) scores 60', () => {
    // 14,400 / 36,000 = 0.4 -> 60
    const r = scoreMedicalBurden(on3000(14_400), cfg);
    expect(r.score).toBeCloseTo(60, 10);
    expect(r.reasons).toEqual(['out-of-pocket medical 14,400 yuan in 12 months, 0.4x household yearly income']);
  });

  it('between the catastrophic line and hardship: 70% scores 80', () => {
    // 25,200 / 36,000 = 0.7 -> 60 + 40 x 0.3 / 0.6 = 80
    const r = scoreMedicalBurden(on3000(25_200), cfg);
    expect(r.score).toBeCloseTo(80, 10);
    expect(r.reasons[0]).toContain('25,200 yuan');
    expect(r.reasons[0]).toContain('0.7x');
  });

  it('between the floor and the catastrophic line: 25% scores 30', () => {
    // 9,000 / 36,000 = 0.25 -> 60 x 0.15 / 0.3 = 30
    const r = scoreMedicalBurden(on3000(9_000), cfg);
    expect(r.score).toBeCloseTo(30, 10);
    expect(r.reasons[0]).toContain('9,000 yuan');
  });

  it('ordinary spending under 10% of income scores 0 with nothing to say', () => {
    // 3,600 / 36,000 = 0.1 (on the floor) -> 0; 2,000 / 36,000 = 0.06 -> 0
    for (const oop of [3_600, 2_000]) {
      const r = scoreMedicalBurden(on3000(oop), cfg);
      expect(r.score).toBe(0);
      expect(r.reasons).toEqual([]);
    }
  });

  it('any bill with zero income is full burden', () => {
    const r = scoreMedicalBurden(facts({ monthlyIncome: 0, outOfPocket12m: 5_000 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['out-of-pocket medical 5,000 yuan in 12 months with no household income']);
  });

  it('without an income on record the yearly dibao line stands in', () => {
    // line 3 members x 1,000 x 12 = 36,000; 18,000 / 36,000 = 0.5 -> 60 + 40 x 0.1 / 0.6 = 66.67
    const r = scoreMedicalBurden(facts({ monthlyIncome: null, outOfPocket12m: 18_000 }), cfg);
    expect(r.score).toBeCloseTo(60 + (40 * 0.1) / 0.6, 10);
    expect(r.reasons).toEqual([
      'out-of-pocket medical 18,000 yuan in 12 months, 0.5x the household yearly dibao line (income not on record)',
    ]);
  });

  it('never falls as spending rises, and stays within 0-100', () => {
    let last = -1;
    for (let oop = 0; oop <= 80_000; oop += 250) {
      const s = scoreMedicalBurden(on3000(oop), cfg).score;
      expect(s).toBeGreaterThanOrEqual(last);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100);
      last = s;
    }
    expect(scoreMedicalBurden(on3000(1e9), cfg).score).toBe(100);
  });

  it('takes its ratios from the config', () => {
    const { config } = parseConfig({ medicalBurden: { hardshipRatio: 0.7 } });
    // 25,200 / 36,000 = 0.7 is hardship under this config
    expect(scoreMedicalBurden(on3000(25_200), config).score).toBe(100);
  });
});
