import { describe, expect, it } from 'vitest';
import { scoreEconomic } from '../../scoring/economic.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

// Defaults: at or under the line belowStandard 86 + belowStandardDepth 14 x depth, where
// depth = (standard - per-capita income) / standard; over it 86 x (1.5 - multiple) / 0.5, down
// to 0 at the edge band's 1.5x (1.1x 68.8, 1.4x 17.2); all on per-capita income after 12 months'
// out-of-pocket medical spending ((income - out-of-pocket / 12) / members) when that spending is
// material; income not on record -> 45 (incomeUnknown);
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
    // depth (1,000 - 0) / 1,000 = 1 -> 86 + 14 x 1 = 100
    const r = scoreEconomic(facts({ monthlyIncome: 0, previousMonthlyIncome: 0 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['income 0 yuan per person a month, under the local dibao standard of 1,000 yuan']);
  });

  it('an 82-year-old living alone on 600 yuan a month scores high', () => {
    // depth (1,000 - 600) / 1,000 = 0.4 -> 86 + 14 x 0.4 = 91.6
    const r = scoreEconomic(livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600 }), cfg);
    expect(r.score).toBeCloseTo(91.6, 10);
    expect(r.reasons).toEqual(['income 600 yuan per person a month, under the local dibao standard of 1,000 yuan']);
  });

  it('goes deeper the further under the line: four people on 2,000', () => {
    // 2,000 / 4 = 500 per person; depth 0.5 -> 86 + 14 x 0.5 = 93
    const r = scoreEconomic(facts({ members: 4, minors: 2, monthlyIncome: 2_000, previousMonthlyIncome: 2_000 }), cfg);
    expect(r.score).toBeCloseTo(93, 10);
    expect(r.reasons[0]).toContain('500 yuan per person');
  });

  it('counts depth under the line and distance over it: 0.2x over 0.9x, 1.0x over 1.49x', () => {
    // per person on a 1,000 standard, one member: 86 + 14 x 0.8 = 97.2 against 86 + 14 x 0.1 = 87.4
    const at = (perPerson: number) => scoreEconomic(facts({ members: 1, minors: 0, workingAge: 1, monthlyIncome: perPerson, previousMonthlyIncome: perPerson }), cfg).score;
    expect(at(200)).toBeCloseTo(97.2, 10);
    expect(at(900)).toBeCloseTo(87.4, 10);
    // 86 at the line against 86 x 0.01 / 0.5 = 1.72 at 1.49x: no flat band any more
    expect(at(1_000)).toBe(86);
    expect(at(1_490)).toBeCloseTo(1.72, 10);
    expect(at(1_050)).toBeGreaterThan(at(1_300));
  });

  it('the dibao edge band: under 1.5x the standard', () => {
    // 4,200 / 3 = 1,400 per person = 1.40x -> 86 x 0.1 / 0.5 = 17.2
    const r = scoreEconomic(facts({ monthlyIncome: 4_200, previousMonthlyIncome: 4_200 }), cfg);
    expect(r.score).toBeCloseTo(17.2, 10);
    expect(r.reasons).toEqual([
      'income 1,400 yuan per person a month, 1.40x the dibao standard of 1,000 yuan (edge band under 1.5x)',
    ]);
  });

  it('exactly at the standard scores what just under it does, named as the edge band', () => {
    // 3,000 / 3 = 1,000 = 1.00x -> 86, the limit of the points under the line: no step at the line
    const r = scoreEconomic(facts({ monthlyIncome: 3_000, previousMonthlyIncome: 3_000 }), cfg);
    expect(r.score).toBe(86);
    expect(scoreEconomic(facts({ monthlyIncome: 2_997, previousMonthlyIncome: 2_997 }), cfg).score).toBeCloseTo(86.014, 10);
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
    expect(urban.score).toBeCloseTo(87.4, 10); // 86 + 14 x 0.1
    // 900 / 850 = 1.0588x -> 86 x (1.5 - 1.0588) / 0.5 = 75.9
    expect(rural.score).toBeCloseTo((86 * (1.5 - 900 / 850)) / 0.5, 10);
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
    // 9,000 -> 4,200: 1,400 per person (1.4x: 17.2), fall 53% (+20), 1 unemployed (+15) = 52.2
    const r = scoreEconomic(facts({ monthlyIncome: 4_200, previousMonthlyIncome: 9_000, unemployedAdults: 1 }), cfg);
    expect(r.score).toBeCloseTo(52.2, 10);
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

  it('an income not on record scores 45 (the edge band) and says it is unverified', () => {
    // incomeUnknown 45, whatever the previous period said
    const r = scoreEconomic(facts({ monthlyIncome: null }), cfg);
    expect(r.score).toBe(45);
    expect(r.reasons).toEqual(['household income not on record (counted as the edge band until a visit verifies it)']);
    expect(scoreEconomic(facts({ monthlyIncome: null, previousMonthlyIncome: null }), cfg).score).toBe(45);
    // unemployment still counts on top: 45 + 15 = 60
    const unemployed = scoreEconomic(facts({ monthlyIncome: null, unemployedAdults: 1 }), cfg);
    expect(unemployed.score).toBe(60);
    expect(unemployed.reasons).toEqual([
      'household income not on record (counted as the edge band until a visit verifies it)',
      '1 working-age member unemployed',
    ]);
  });

  it('an income not on record is neither a fall nor tested after medical spending', () => {
    // 12,000 last period and 36,000 out of pocket: still only the 45 for the unknown income
    const r = scoreEconomic(facts({ monthlyIncome: null, previousMonthlyIncome: 12_000, outOfPocket12m: 36_000 }), cfg);
    expect(r.score).toBe(45);
    expect(r.reasons).toHaveLength(1);
  });

  it('a district sets the points for an unknown income', () => {
    const { config } = parseConfig({ economic: { incomeUnknown: 60 } });
    expect(scoreEconomic(facts({ monthlyIncome: null }), config).score).toBe(60);
    // a known income is not affected: 1,400 per person is still 17.2
    expect(scoreEconomic(facts({ monthlyIncome: 4_200, previousMonthlyIncome: 4_200 }), config).score).toBeCloseTo(17.2, 10);
  });

  it('stays within 0-100 with five unemployed and no income', () => {
    // 100 (zero income: 86 + 14) + 20 (fall of 100%) + 5 x 15 = 195 -> 100
    const r = scoreEconomic(facts({ members: 5, minors: 0, workingAge: 5, unemployedAdults: 5, monthlyIncome: 0, previousMonthlyIncome: 20_000 }), cfg);
    expect(r.score).toBe(100);
  });

  it('takes its constants from the config', () => {
    const { config } = parseConfig({ economic: { edgeBandMultiple: 2, belowStandard: 90 } });
    // 5,400 / 3 = 1,800 per person: out of the default 1.5x band, inside a 2x band: 90 x 0.2 / 1 = 18
    const h = facts({ monthlyIncome: 5_400, previousMonthlyIncome: 5_400 });
    expect(scoreEconomic(h, cfg).score).toBe(0);
    const r = scoreEconomic(h, config);
    expect(r.score).toBeCloseTo(18, 10);
    expect(r.reasons[0]).toContain('edge band under 2x');
  });
});

describe('economic status after out-of-pocket medical spending', () => {
  /** three people (two parents, one child) on a steady monthly income, with 12 months of medical bills */
  const withBills = (monthlyIncome: number, outOfPocket12m: number) =>
    facts({ monthlyIncome, previousMonthlyIncome: monthlyIncome, outOfPocket12m });

  it('an edge-band household pushed under the line by medical bills scores as under the line', () => {
    // 3,300 / 3 = 1,100 per person (1.1x on its own: 68.8)
    // after medical: (3,300 - 7,200 / 12) / 3 = (3,300 - 600) / 3 = 900 per person < 1,000
    // depth (1,000 - 900) / 1,000 = 0.1 -> 86 + 14 x 0.1 = 87.4
    const r = scoreEconomic(withBills(3_300, 7_200), cfg);
    expect(r.score).toBeCloseTo(87.4, 10);
    expect(r.reasons).toEqual([
      'after out-of-pocket medical spending (600 yuan a month) income is 900 yuan per person, under the local dibao standard of 1,000 yuan',
    ]);
    expect(r.reasons[0]).toMatch(/^after out-of-pocket medical spending/);
  });

  it('the reason gives the monthly spending, the per-person income after it and the standard', () => {
    // 12,000 a month is far above the edge band, but 120,000 out of pocket is 10,000 a month:
    // (12,000 - 10,000) / 3 = 666.67 per person; depth 333.33 / 1,000 -> 86 + 14 x 0.3333 = 90.67
    const r = scoreEconomic(withBills(12_000, 120_000), cfg);
    expect(r.score).toBeCloseTo(86 + (14 * 1_000) / 3 / 1_000, 10);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/^after out-of-pocket medical spending/);
    expect(r.reasons[0]).toContain('10,000 yuan a month');
    expect(r.reasons[0]).toContain('667 yuan per person');
    expect(r.reasons[0]).toContain('dibao standard of 1,000 yuan');
  });

  it('exactly at the line, a small bill (under the medical-burden floor) does not tip the household under it', () => {
    // 3,000 / 3 = 1,000 per person: 86 at the line. 1,200 a year is 3.3% of 36,000, under the 10% floor: ignored
    const small = scoreEconomic(withBills(3_000, 1_200), cfg);
    expect(small.score).toBe(86);
    // 3,600 a year is exactly the 10% floor: (3,000 - 300) / 3 = 900 -> 86 + 14 x 0.1 = 87.4
    const material = scoreEconomic(withBills(3_000, 3_600), cfg);
    expect(material.score).toBeCloseTo(87.4, 10);
    expect(material.reasons[0]).toContain('(300 yuan a month) income is 900 yuan per person');
  });

  it('does not apply when the spending is under the floor', () => {
    // 3,600 a year is under 10% of 39,600: ignored -> 1,100 per person, 1.1x: 86 x 0.4 / 0.5 = 68.8
    const r = scoreEconomic(withBills(3_300, 3_600), cfg);
    expect(r.score).toBeCloseTo(68.8, 10);
    expect(r.reasons).toEqual([
      'income 1,100 yuan per person a month, 1.10x the dibao standard of 1,000 yuan (edge band under 1.5x)',
    ]);
    // the ordinary family: (12,000 - 500) / 3 = 3,833 per person -> still 0
    expect(scoreEconomic(withBills(12_000, 6_000), cfg)).toEqual({ score: 0, reasons: [], reasonsZh: [], from: [] });
  });

  it('when income is already under the line, measures depth on what is left after medical spending', () => {
    // four people on 2,000: 500 per person -> 86 + 14 x 0.5 = 93 without bills
    const h = facts({ members: 4, minors: 2, monthlyIncome: 2_000, previousMonthlyIncome: 2_000 });
    expect(scoreEconomic(h, cfg).score).toBeCloseTo(93, 10);
    // 12,000 of bills (50% of 24,000): (2,000 - 1,000) / 4 = 250 -> 86 + 14 x 0.75 = 96.5
    const r = scoreEconomic({ ...h, outOfPocket12m: 12_000 }, cfg);
    expect(r.score).toBeCloseTo(96.5, 10);
    expect(r.reasons).toEqual([
      'income 500 yuan per person a month, under the local dibao standard of 1,000 yuan (250 yuan after out-of-pocket medical spending)',
    ]);
  });

  it('never scores a household higher for having more income', () => {
    // 990 vs 1,000 per person, same 36,000 of bills: the poorer household scores at least as high
    const poorer = scoreEconomic(withBills(2_970, 36_000), cfg).score;
    const richer = scoreEconomic(withBills(3_000, 36_000), cfg).score;
    expect(poorer).toBeGreaterThanOrEqual(richer);
  });

  it('spending more than the income counts as no income left: 100, and the reason says 0 yuan', () => {
    // 48,000 / 12 = 4,000 a month against 3,000: (3,000 - 4,000) / 3 < 0 -> 0 -> 86 + 14 = 100
    const r = scoreEconomic(withBills(3_000, 48_000), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual([
      'after out-of-pocket medical spending (4,000 yuan a month) income is 0 yuan per person, under the local dibao standard of 1,000 yuan',
    ]);
  });

  it('adds up with a fall in income and unemployment, capped at 100', () => {
    // 5,000 -> 3,300 is a fall of 34% (+20); after medical 900 per person (87.4); 1 unemployed (+15)
    // 87.4 + 20 + 15 = 122.4 -> 100
    const r = scoreEconomic(facts({ monthlyIncome: 3_300, previousMonthlyIncome: 5_000, outOfPocket12m: 7_200, unemployedAdults: 1 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toHaveLength(3);
    expect(r.reasons[0]).toMatch(/^after out-of-pocket medical spending/);
    expect(r.reasons[1]).toBe('household income fell 34% since last period (5,000 yuan to 3,300 yuan a month)');
  });

  it('measures against the household\'s own standard and takes its points from the config', () => {
    // rural 850: (3,300 - 600) / 3 = 900 >= 850 -> not under; 900 / 850 = 1.06x -> 75.9
    expect(scoreEconomic({ ...withBills(3_300, 7_200), dibaoStandard: 850 }, cfg).score).toBeCloseTo((86 * (1.5 - 900 / 850)) / 0.5, 10);
    // belowStandard 70, depth 30: 70 + 30 x 0.1 = 73 on the same urban household
    const { config } = parseConfig({ economic: { belowStandard: 70, belowStandardDepth: 30 } });
    expect(scoreEconomic(withBills(3_300, 7_200), config).score).toBeCloseTo(73, 10);
  });
});
