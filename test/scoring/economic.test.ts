import { describe, expect, it } from 'vitest';
import { scoreEconomic } from '../../scoring/economic.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

// Defaults: belowStandard 70 + belowStandardDepth 30 x depth, edge band under 1.5x -> 40,
// income fall of 30%+ -> 20, 15 per unemployed working-age member. Dibao standard in facts: 1,000.
const cfg = parseConfig(undefined).config;

describe('economic status', () => {
  it('an ordinary family on 12,000 a month scores 0', () => {
    // 12,000 / 3 = 4,000 per person >= 1.5 x 1,000
    const r = scoreEconomic(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('zero income scores 100', () => {
    // depth (1,000 - 0) / 1,000 = 1 -> 70 + 30 x 1 = 100
    const r = scoreEconomic(facts({ monthlyIncome: 0, previousMonthlyIncome: 0 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['income 0 yuan per person a month, under the local dibao standard of 1,000 yuan']);
  });

  it('an 82-year-old living alone on 600 yuan a month scores high', () => {
    // depth (1,000 - 600) / 1,000 = 0.4 -> 70 + 30 x 0.4 = 82
    const r = scoreEconomic(livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600 }), cfg);
    expect(r.score).toBeCloseTo(82, 10);
    expect(r.reasons).toEqual(['income 600 yuan per person a month, under the local dibao standard of 1,000 yuan']);
  });

  it('goes deeper the further under the line: four people on 2,000', () => {
    // 2,000 / 4 = 500 per person; depth 0.5 -> 70 + 15 = 85
    const r = scoreEconomic(facts({ members: 4, minors: 2, monthlyIncome: 2_000, previousMonthlyIncome: 2_000 }), cfg);
    expect(r.score).toBeCloseTo(85, 10);
    expect(r.reasons[0]).toContain('500 yuan per person');
  });

  it('the dibao edge band: under 1.5x the standard', () => {
    // 4,200 / 3 = 1,400 per person = 1.40x -> 40
    const r = scoreEconomic(facts({ monthlyIncome: 4_200, previousMonthlyIncome: 4_200 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual([
      'income 1,400 yuan per person a month, 1.40x the dibao standard of 1,000 yuan (edge band under 1.5x)',
    ]);
  });

  it('exactly at the standard is the edge band, not under it', () => {
    // 3,000 / 3 = 1,000 = 1.00x -> edge band 40
    const r = scoreEconomic(facts({ monthlyIncome: 3_000, previousMonthlyIncome: 3_000 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons[0]).toContain('1.00x');
  });

  it('exactly 1.5x the standard is out of the edge band', () => {
    // 4,500 / 3 = 1,500 = 1.5x -> 0
    expect(scoreEconomic(facts({ monthlyIncome: 4_500, previousMonthlyIncome: 4_500 }), cfg).score).toBe(0);
  });

  it('measures against the household\'s own standard (rural 850)', () => {
    // 2,700 / 3 = 900 per person: under an urban 1,000 but 1.06x a rural 850 (edge band up to 1,275)
    const urban = scoreEconomic(facts({ monthlyIncome: 2_700, previousMonthlyIncome: 2_700 }), cfg);
    const rural = scoreEconomic(facts({ monthlyIncome: 2_700, previousMonthlyIncome: 2_700, dibaoStandard: 850 }), cfg);
    expect(urban.score).toBeCloseTo(73, 10); // 70 + 30 x 0.1
    expect(rural.score).toBe(40);
    expect(rural.reasons[0]).toContain('1.06x the dibao standard of 850 yuan');
  });

  it('an income fall of 30%+ adds points and says so', () => {
    // 12,000 -> 8,000: fall 4,000 / 12,000 = 33%; 8,000 / 3 = 2,667 per person is still above the edge band
    const r = scoreEconomic(facts({ monthlyIncome: 8_000, previousMonthlyIncome: 12_000 }), cfg);
    expect(r.score).toBe(20);
    expect(r.reasons).toEqual(['household income fell 33% since last period (12,000 yuan to 8,000 yuan a month)']);
  });

  it('a fall of exactly 30% counts, 29% does not', () => {
    // 10,000 -> 7,000 is 30%; 10,000 -> 7,100 is 29%; both stay above 1,500 per person
    expect(scoreEconomic(facts({ monthlyIncome: 7_000, previousMonthlyIncome: 10_000 }), cfg).score).toBe(20);
    expect(scoreEconomic(facts({ monthlyIncome: 7_100, previousMonthlyIncome: 10_000 }), cfg).score).toBe(0);
  });

  it('a rise, no previous period or a previous income of 0 adds nothing', () => {
    expect(scoreEconomic(facts({ monthlyIncome: 12_000, previousMonthlyIncome: 8_000 }), cfg).score).toBe(0);
    expect(scoreEconomic(facts({ monthlyIncome: 12_000, previousMonthlyIncome: null }), cfg).score).toBe(0);
    expect(scoreEconomic(facts({ monthlyIncome: 12_000, previousMonthlyIncome: 0 }), cfg).score).toBe(0);
  });

  it('losing all income is both under the line and a fall, capped at 100', () => {
    // 100 (zero income) + 20 (fall of 100%) = 120 -> 100
    const r = scoreEconomic(facts({ monthlyIncome: 0, previousMonthlyIncome: 6_000 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toHaveLength(2);
    expect(r.reasons[1]).toBe('household income fell 100% since last period (6,000 yuan to 0 yuan a month)');
  });

  it('edge band, a fall and an unemployed adult add up', () => {
    // 9,000 -> 4,200: 1,400 per person (edge 40), fall 53% (+20), 1 unemployed (+15) = 75
    const r = scoreEconomic(facts({ monthlyIncome: 4_200, previousMonthlyIncome: 9_000, unemployedAdults: 1 }), cfg);
    expect(r.score).toBe(75);
    expect(r.reasons).toEqual([
      'income 1,400 yuan per person a month, 1.40x the dibao standard of 1,000 yuan (edge band under 1.5x)',
      'household income fell 53% since last period (9,000 yuan to 4,200 yuan a month)',
      '1 working-age member unemployed',
    ]);
  });

  it('counts each unemployed working-age member', () => {
    // 2 x 15 = 30
    const r = scoreEconomic(facts({ unemployedAdults: 2, ableEarners: 2 }), cfg);
    expect(r.score).toBe(30);
    expect(r.reasons).toEqual(['2 working-age members unemployed']);
  });

  it('an income not on record scores no income points but says so', () => {
    const r = scoreEconomic(facts({ monthlyIncome: null }), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual(['household income not on record']);
    // unemployment still counts
    expect(scoreEconomic(facts({ monthlyIncome: null, unemployedAdults: 1 }), cfg).score).toBe(15);
  });

  it('stays within 0-100 with five unemployed and no income', () => {
    // 100 + 5 x 15 = 175 -> 100
    const r = scoreEconomic(facts({ members: 5, minors: 0, workingAge: 5, unemployedAdults: 5, monthlyIncome: 0, previousMonthlyIncome: 20_000 }), cfg);
    expect(r.score).toBe(100);
  });

  it('takes its constants from the config', () => {
    const { config } = parseConfig({ economic: { edgeBandMultiple: 2, edgeBand: 50 } });
    // 5,400 / 3 = 1,800 per person: out of the default 1.5x band, inside a 2x band
    const h = facts({ monthlyIncome: 5_400, previousMonthlyIncome: 5_400 });
    expect(scoreEconomic(h, cfg).score).toBe(0);
    const r = scoreEconomic(h, config);
    expect(r.score).toBe(50);
    expect(r.reasons[0]).toContain('edge band under 2x');
  });
});
