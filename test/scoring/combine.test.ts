import { describe, expect, it } from 'vitest';
import { scoreAgeStructure } from '../../scoring/age-structure.js';
import { scoreHousehold, tierFor } from '../../scoring/combine.js';
import { scoreDisability } from '../../scoring/disability.js';
import { scoreEconomic } from '../../scoring/economic.js';
import { scoreHealth } from '../../scoring/health.js';
import type { HouseholdFacts } from '../../scoring/household-facts.js';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { scoreMedicalBurden } from '../../scoring/medical-burden.js';
import { parseConfig } from '../../src/config/load-config.js';
import { dimensionIds } from '../../src/config/schema.js';
import { ConfigInvalid, ExitCode } from '../../src/errors.js';
import { facts, livingAlone } from './facts.js';

// Default weights: economic 0.35, medical_burden 0.25, health 0.1, disability 0.1,
// labour_capacity 0.1, age_structure 0.1. Warning threshold 30, orange 45, red 60.
// Note 45 x 0.35 = 15.75 is 15.7499... in floating point, so it shows (rounded to one decimal) as 15.7.
const cfg = parseConfig(undefined).config;

const alone82on600 = livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600 });

describe('the weighted total', () => {
  it('an ordinary two-earner family with 12,000 income scores under the warning threshold', () => {
    // only the child counts: age structure 10 x 0.1 = 1.0
    const r = scoreHousehold(facts(), cfg);
    expect(r.dimensions).toEqual({ age_structure: 10, economic: 0, health: 0, disability: 0, medical_burden: 0, labour_capacity: 0 });
    expect(r.total).toBe(1);
    expect(r.total).toBeLessThan(cfg.warningThreshold);
    expect(r.tier).toBe('none');
    expect(r.onList).toBe(false);
    expect(r.householdId).toBe('H-ORDINARY');
  });

  it('an ordinary family with two children, a chronic illness and some medical bills stays well under it', () => {
    // age 2 minors 20 x 0.1 = 2; labour (4 - 2) / 2 = 1 -> 15 x 0.1 = 1.5; health 15 x 0.1 = 1.5;
    // medical 6,000 / 144,000 = 0.04 < 0.1 -> 0; economic 12,000 / 4 = 3,000 per person, after
    // medical (12,000 - 500) / 4 = 2,875: both over 1.5x the line -> 0. Total 5.0
    const r = scoreHousehold(facts({ members: 4, minors: 2, chronicIllness: 1, outOfPocket12m: 6_000 }), cfg);
    expect(r.dimensions.economic).toBe(0);
    expect(r.total).toBe(5);
    expect(r.tier).toBe('none');
  });

  it('an 82-year-old living alone on 600 yuan a month is on the list by itself, in the yellow tier', () => {
    // age 30 + 40 = 70; economic 86 + 14 x 0.4 = 91.6; labour 30: nobody of working age
    // (docs/scoring.md: elderly-only households)
    // total 70 x 0.1 + 91.6 x 0.35 + 30 x 0.1 = 7 + 32.06 + 3 = 42.06 -> 42.1 >= 30 (yellow)
    const r = scoreHousehold(alone82on600, cfg);
    expect(r.dimensions).toEqual({ age_structure: 70, economic: 91.6, health: 0, disability: 0, medical_burden: 0, labour_capacity: 30 });
    expect(r.total).toBe(42.1);
    expect(r.tier).toBe('yellow');
    expect(r.onList).toBe(true);
    expect(r.reasons).toMatchObject([
      { dimension: 'economic', points: 32.1, text: 'income 600 yuan per person a month, under the local dibao standard of 1,000 yuan' },
      { dimension: 'age_structure', points: 7, text: '1 member aged 80+, lives alone at 82' },
      { dimension: 'labour_capacity', points: 3, text: 'nobody of working age to earn (living on pensions or support)' },
    ]);
  });

  it('the same person in the dibao edge band is just under the threshold, and a chronic illness takes them over it', () => {
    // 1,180 a month = 1.18x the line -> 86 x (1.5 - 1.18) / 0.5 = 55.04
    // total 7 + 55.04 x 0.35 + 3 = 7 + 19.264 + 3 = 29.264 -> 29.3 < 30
    const edge = { ...alone82on600, monthlyIncome: 1_180, previousMonthlyIncome: 1_180 };
    const before = scoreHousehold(edge, cfg);
    expect(before.dimensions.economic).toBe(55);
    expect(before.total).toBe(29.3);
    expect(before.tier).toBe('none');
    expect(before.onList).toBe(false);
    // + chronic illness 15 x 0.1 = 1.5: 29.264 + 1.5 = 30.764 -> 30.8 >= 30
    const r = scoreHousehold({ ...edge, chronicIllness: 1 }, cfg);
    expect(r.total).toBe(30.8);
    expect(r.tier).toBe('yellow');
    expect(r.onList).toBe(true);
    expect(r.reasons.at(-1)).toMatchObject({ dimension: 'health', points: 1.5, text: '1 member with a chronic illness' });
  });

  it('a single employed adult whose income is just under the dibao line reaches the warning threshold on economic status alone', () => {
    // one able-bodied working-age adult on 990 a month: no age, labour, health, disability or medical points
    // economic 86 + 14 x (1,000 - 990) / 1,000 = 86.14; total 86.14 x 0.35 = 30.149 -> 30.1 >= 30
    const single = (monthlyIncome: number) =>
      facts({ householdId: 'H-SINGLE', members: 1, minors: 0, workingAge: 1, oldestAge: 34, ableEarners: 1, monthlyIncome, previousMonthlyIncome: monthlyIncome });
    const r = scoreHousehold(single(990), cfg);
    expect(r.dimensions).toEqual({ age_structure: 0, economic: 86.1, health: 0, disability: 0, medical_burden: 0, labour_capacity: 0 });
    expect(r.total).toBe(30.1);
    expect(r.total).toBeGreaterThanOrEqual(cfg.warningThreshold);
    expect(r.tier).toBe('yellow');
    expect(r.onList).toBe(true);
    expect(r.reasons).toMatchObject([
      { dimension: 'economic', points: 30.1, text: 'income 990 yuan per person a month, under the local dibao standard of 1,000 yuan' },
    ]);
    // the floor of the rule: even 1 yuan under the line is 86 x 0.35 = 30.1 -> on the list
    expect(scoreHousehold(single(999), cfg).tier).toBe('yellow');
    // no step at the line: exactly on it is 86 too, 1% over it 84.3 x 0.35 = 29.5 -> not on the list
    expect(scoreHousehold(single(1_000), cfg).total).toBe(30.1);
    const over = scoreHousehold(single(1_010), cfg);
    expect(over.dimensions.economic).toBe(84.3);
    expect(over.onList).toBe(false);
  });

  it('a household at 100 on every dimension totals 100 and is red', () => {
    // two working-age members who cannot earn and four 80+: labour capacity has someone to measure
    const worst = facts({
      members: 6,
      minors: 0,
      workingAge: 2,
      elderly: 4,
      oldOld: 4,
      oldestAge: 97,
      ableEarners: 0,
      unemployedAdults: 0,
      monthlyIncome: 0,
      previousMonthlyIncome: 8_000,
      mostSevereGrade: 1,
      disabledMembers: 4,
      intellectualOrMentalDisabled: 1,
      severeIllness: 4,
      severeMentalDisorder: 1,
      chronicIllness: 0,
      inpatientStays12m: 12,
      outOfPocket12m: 200_000,
    });
    const r = scoreHousehold(worst, cfg);
    for (const id of dimensionIds) expect(r.dimensions[id]).toBe(100);
    expect(r.total).toBe(100);
    expect(r.tier).toBe('red');
    expect(r.reasons).toHaveLength(6);
  });

  it('a dimension that says something but scores 0 gives no reason', () => {
    // a district that gives no points for an unknown income: economic still says
    // "household income not on record" but scores 0
    const { config } = parseConfig({ economic: { incomeUnknown: 0 } });
    const r = scoreHousehold(facts({ monthlyIncome: null }), config);
    expect(r.dimensions.economic).toBe(0);
    expect(r.reasons.map((x) => x.dimension)).toEqual(['age_structure']);
  });

  it('an unknown income counts as the edge band but does not put an ordinary family on the list by itself', () => {
    // economic 45 x 0.35 = 15.75 + age 1 minor 10 x 0.1 = 1 -> 16.75 -> 16.8 < 30
    const r = scoreHousehold(facts({ monthlyIncome: null }), cfg);
    expect(r.dimensions.economic).toBe(45);
    expect(r.total).toBe(16.8);
    expect(r.onList).toBe(false);
    expect(r.reasons[0]).toMatchObject({
      dimension: 'economic',
      points: 15.7,
      text: 'household income not on record (counted as the edge band until a visit verifies it)',
    });
  });
});

describe('reasons', () => {
  it('are ordered by weighted contribution, ties by dimension name', () => {
    // one earner, one severely ill adult, one child; 3,000 a month; 25,200 out of pocket in 12 months
    //   economic 1,000 per person is on the line, but after medical (3,000 - 2,100) / 3 = 300 per person:
    //            86 + 14 x 0.7 = 95.8 x 0.35 = 33.53
    //   medical 25,200 / 36,000 = 0.7 -> 80 x 0.25 = 20
    //   health severe illness 40 x 0.1 = 4
    //   labour (3 - 1) / 1 = 2 -> 40 x 0.1 = 4   (ties with health: 'health' < 'labour_capacity')
    //   age 1 minor 10 x 0.1 = 1
    // total 62.53 -> 62.5
    const r = scoreHousehold(
      facts({ ableEarners: 1, severeIllness: 1, monthlyIncome: 3_000, previousMonthlyIncome: 3_000, outOfPocket12m: 25_200 }),
      cfg,
    );
    expect(r.reasons.map((x) => [x.dimension, x.points])).toEqual([
      ['economic', 33.5],
      ['medical_burden', 20],
      ['health', 4],
      ['labour_capacity', 4],
      ['age_structure', 1],
    ]);
    expect(r.total).toBe(62.5);
    expect(r.tier).toBe('red');
    expect(r.reasons[0]!.text).toBe(
      'after out-of-pocket medical spending (2,100 yuan a month) income is 300 yuan per person, under the local dibao standard of 1,000 yuan',
    );
    expect(r.reasons[1]!.text).toBe('out-of-pocket medical 25,200 yuan in 12 months, 0.7x household yearly income');
  });

  it('join the dimension\'s facts into one text', () => {
    const r = scoreHousehold({ ...alone82on600, chronicIllness: 1, inpatientStays12m: 2 }, cfg);
    const health = r.reasons.find((x) => x.dimension === 'health');
    expect(health?.text).toBe('1 member with a chronic illness, 2 inpatient stays in 12 months');
  });
});

describe('weights', () => {
  it('change the total', () => {
    // economic 0.5, medical 0.05, health 0.1, disability 0.1, labour 0.15, age 0.1
    // 82-year-old on 600: 70 x 0.1 + 91.6 x 0.5 + 30 x 0.15 = 7 + 45.8 + 4.5 = 57.3 -> orange
    // (yellow at 42.1 under the default weights)
    const { config } = parseConfig({
      weights: { economic: 0.5, medical_burden: 0.05, health: 0.1, disability: 0.1, labour_capacity: 0.15, age_structure: 0.1 },
    });
    const r = scoreHousehold(alone82on600, config);
    expect(r.dimensions).toEqual(scoreHousehold(alone82on600, cfg).dimensions);
    expect(r.total).toBe(57.3);
    expect(r.tier).toBe('orange');
    expect(r.reasons[0]).toMatchObject({ dimension: 'economic', points: 45.8 });
  });

  it('all weight on one dimension makes the total that dimension', () => {
    const { config } = parseConfig({
      weights: { economic: 0, medical_burden: 1, health: 0, disability: 0, labour_capacity: 0, age_structure: 0 },
    });
    // 25,200 / 36,000 = 0.7 -> 80
    const r = scoreHousehold(facts({ monthlyIncome: 3_000, outOfPocket12m: 25_200 }), config);
    expect(r.total).toBe(80);
    expect(r.tier).toBe('red');
  });

  it('the total is the weighted sum of the dimensions', () => {
    const h = facts({ ableEarners: 1, severeIllness: 1, mostSevereGrade: 3, disabledMembers: 1, monthlyIncome: 2_400, outOfPocket12m: 9_000 });
    const r = scoreHousehold(h, cfg);
    const sum = dimensionIds.reduce((a, id) => a + r.dimensions[id] * cfg.weights[id], 0);
    expect(Math.abs(r.total - sum)).toBeLessThanOrEqual(0.1);
  });
});

describe('tiers', () => {
  it('follow the default thresholds (30 yellow, 45 orange, 60 red)', () => {
    expect(tierFor(0, cfg)).toBe('none');
    expect(tierFor(29.9, cfg)).toBe('none');
    expect(tierFor(30, cfg)).toBe('yellow');
    expect(tierFor(44.9, cfg)).toBe('yellow');
    expect(tierFor(45, cfg)).toBe('orange');
    expect(tierFor(59.9, cfg)).toBe('orange');
    expect(tierFor(60, cfg)).toBe('red');
    expect(tierFor(100, cfg)).toBe('red');
  });

  it('follow the thresholds of the config', () => {
    const { config } = parseConfig({ warningThreshold: 50, tiers: { orange: 65, red: 80 } });
    expect(tierFor(49.9, config)).toBe('none');
    expect(tierFor(50, config)).toBe('yellow');
    expect(tierFor(64.9, config)).toBe('yellow');
    expect(tierFor(65, config)).toBe('orange');
    expect(tierFor(80, config)).toBe('red');
    // the 82-year-old on 600 (42.1, yellow by default) is not on this stricter district's list
    const r = scoreHousehold(alone82on600, config);
    expect(r.total).toBe(42.1);
    expect(r.tier).toBe('none');
    expect(r.onList).toBe(false);
  });
});

describe('bounds', () => {
  /** small deterministic PRNG (mulberry32) so a failure can be replayed */
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function randomHousehold(next: () => number, i: number): HouseholdFacts {
    const int = (max: number) => Math.floor(next() * (max + 1));
    const pick = <T>(xs: T[]): T => xs[int(xs.length - 1)]!;
    const minors = int(6);
    const workingAge = int(6);
    const elderly = int(5);
    const members = Math.max(1, minors + workingAge + elderly);
    const oldOld = int(elderly);
    const ableEarners = int(workingAge);
    const disabledMembers = int(members);
    return {
      householdId: `R${i}`,
      members,
      minors,
      workingAge,
      elderly,
      oldOld,
      oldestAge: pick([null, 17, 45, 61, 79, 80, 104]),
      unemployedAdults: int(workingAge),
      ableEarners,
      ableUnemployed: int(ableEarners),
      monthlyIncome: pick([null, 0, 1, 300, 999.99, 1_000, 1_499.99, 1_500, 12_000, 1e7]),
      previousMonthlyIncome: pick([null, 0, 500, 5_000, 1e7]),
      dibaoStandard: pick([1, 650, 850, 1_000, 1_400]),
      mostSevereGrade: disabledMembers > 0 ? pick([1, 2, 3, 4]) : null,
      disabledMembers,
      intellectualOrMentalDisabled: int(disabledMembers),
      severeIllness: int(members),
      severeMentalDisorder: int(2),
      chronicIllness: int(members),
      inpatientStays12m: pick([0, 1, 3, 50]),
      outOfPocket12m: pick([0, 0.01, 500, 36_000, 1e9]),
      assistance: pick(['none', 'dibao', 'tekun', 'dibao_edge', 'temporary']),
      severeMembers: int(members),
      recentOutOfPocket: pick([0, 500, 36_000]),
      leftAssistance: pick([null, { period: '2026-05', programme: 'dibao', total: 55 }]),
      previousPeriod: pick([null, '2026-09']),
      severeMembersRecovered: int(1),
      severeMembersGone: int(1),
      lastVisit: pick([null, { on: '2026-08-01', outcome: 'not_eligible', totalThen: 40 }]),
      assistedVisit: pick([null, { on: '2026-08-01', programme: 'dibao' as const }]),
      latestSevere: { inpatient: pick([null, '2026-09-01']), diagnosis: null, disability: null },
      pensions: pick([null, { monthly: 0.01, members: 1 }, { monthly: 2_400, members: 2 }, { monthly: 1e7, members: 1 }]),
      registeredUnemployed: ((registered) => ({
        members: registered,
        notUnemployedOnRoster: int(registered),
        ableBeyondRoster: Math.min(int(registered), ableEarners),
        since: registered > 0 ? '2026-05-12' : null,
        latest: registered > 0 ? '2026-08-01' : null,
      }))(int(workingAge)),
      membership: pick([
        { died: 0, movedOut: 0, leftOn: null, memberLeft: null, everyoneLeft: false, born: 0, bornOn: null, mainEarnerDied: null },
        { died: 1, movedOut: 0, leftOn: '2026-10-03', memberLeft: '陈*', everyoneLeft: false, born: 1, bornOn: '2026-10-12', mainEarnerDied: { name: '陈*', on: '2026-10-03' } },
        { died: 1, movedOut: 2, leftOn: '2026-10-05', memberLeft: null, everyoneLeft: true, born: 0, bornOn: null, mainEarnerDied: null },
      ]),
      dangerousHouse: pick([null, { grade: 'C' as const, appraisedOn: '2026-03-01' }, { grade: 'D' as const, appraisedOn: null }]),
      disasters: pick([
        { loss: 0, count: 0, latest: null, houseDamaged: false },
        { loss: 80_000, count: 1, latest: { event: '暴雨洪涝', on: '2026-07-20' }, houseDamaged: true },
        { loss: 1e9, count: 3, latest: { event: '地震', on: '2026-09-01' }, houseDamaged: false },
      ]),
      students: pick([[], [{ stage: 'higher' as const, feesPaid: 6_500 }], [{ stage: 'high_school' as const, feesPaid: 1e9 }, { stage: 'higher' as const, feesPaid: 0 }]]),
      schoolYear: 2026,
      verification: pick([null, { members: 1, propertiesBeyondHome: 1, propertyHolders: 1, vehicles: 2, vehicleBand: 'over_150k' as const, businesses: 1, businessesRepresentativeOnly: 0, housingFund: { monthly: 3_000, members: 1 } }]),
      evidence: pick<HouseholdFacts['evidence']>([{ period: '2026-10', older: {} }, { period: '2026-10', older: { health: { month: '2026-06', label: '卫健' }, 'medical-insurance': { month: '2026-09', label: '医保' } } }]),
    };
  }

  it('every dimension stays within 0-100 even with extreme inputs, and the total follows', () => {
    const next = rng(20240601);
    const scorers = [scoreAgeStructure, scoreEconomic, scoreHealth, scoreDisability, scoreMedicalBurden, scoreLabourCapacity];
    for (let i = 0; i < 3_000; i++) {
      const h = randomHousehold(next, i);
      for (const score of scorers) {
        const d = score(h, cfg);
        expect(d.score, `${score.name} ${JSON.stringify(h)}`).toBeGreaterThanOrEqual(0);
        expect(d.score, `${score.name} ${JSON.stringify(h)}`).toBeLessThanOrEqual(100);
        expect(Number.isFinite(d.score)).toBe(true);
      }
      const r = scoreHousehold(h, cfg);
      expect(r.total).toBeGreaterThanOrEqual(0);
      expect(r.total).toBeLessThanOrEqual(100);
      expect(r.tier).toBe(tierFor(r.total, cfg));
      expect(r.onList).toBe(r.tier !== 'none');
      for (let k = 1; k < r.reasons.length; k++) expect(r.reasons[k - 1]!.points).toBeGreaterThanOrEqual(r.reasons[k]!.points);
      for (const reason of r.reasons) expect(r.dimensions[reason.dimension]).toBeGreaterThan(0);
    }
  });
});

describe('the config', () => {
  it('the defaults parse, with weights adding up to 1 and a version', () => {
    const loaded = parseConfig(undefined);
    const sum = dimensionIds.reduce((a, id) => a + loaded.config.weights[id], 0);
    expect(sum).toBeCloseTo(1, 9);
    expect(loaded.version).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(loaded.config.weights)).toBe(true);
  });

  it('an override merges over the defaults and leaves them alone', () => {
    const { config } = parseConfig({ warningThreshold: 35 });
    expect(config.warningThreshold).toBe(35);
    expect(config.weights.economic).toBe(0.35);
    expect(parseConfig(undefined).config.warningThreshold).toBe(30);
  });

  it('an invalid override lists every problem at once', () => {
    // weights now add up to 0.5 + 0.25 + 0.1 x 4 = 1.15, and the threshold is negative
    let err: unknown;
    try {
      parseConfig({ weights: { economic: 0.5 }, warningThreshold: -5 }, 'district.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalid);
    const invalid = err as ConfigInvalid;
    expect(invalid.exitCode).toBe(ExitCode.usage);
    expect(invalid.source).toBe('district.json');
    expect(invalid.problems.length).toBeGreaterThanOrEqual(2);
    expect(invalid.problems.some((p) => p.startsWith('weights') && p.includes('1.1500'))).toBe(true);
    expect(invalid.problems.some((p) => p.startsWith('warningThreshold'))).toBe(true);
    expect(invalid.message).toContain('district.json');
  });

  it('validates the points for an unknown income like any other points', () => {
    expect(parseConfig(undefined).config.economic.incomeUnknown).toBe(45);
    let err: unknown;
    try {
      parseConfig({ economic: { incomeUnknown: 120 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalid);
    expect((err as ConfigInvalid).problems.some((p) => p.startsWith('economic.incomeUnknown'))).toBe(true);
  });

  it('refuses tiers out of order, unknown keys and bad ages together', () => {
    let err: unknown;
    try {
      parseConfig({ tiers: { red: 45, orange: 50 }, weight: { economic: 1 }, ages: { elderlyFrom: 90 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalid);
    const problems = (err as ConfigInvalid).problems;
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.join('\n')).toMatch(/weight/);
    expect(problems.join('\n')).toMatch(/ages/);
  });
});

describe('reasons in Chinese', () => {
  it('say the same facts for --lang zh exports', () => {
    const cfg = parseConfig(undefined).config;
    const s = scoreHousehold(
      facts({ members: 1, workingAge: 0, elderly: 1, oldOld: 1, oldestAge: 82, minors: 0, ableEarners: 0, monthlyIncome: 600, previousMonthlyIncome: 600 }),
      cfg,
    );
    expect(s.reasons.map((r) => r.text_zh)).toEqual(['人均月收入600元，低于当地低保标准1,000元', '1名80岁以上成员，82岁独居', '无劳动年龄成员（靠养老金或赡养）']);
    const unable = scoreHousehold(facts({ members: 1, workingAge: 1, minors: 0, oldestAge: 45, ableEarners: 0, monthlyIncome: 600, previousMonthlyIncome: 600 }), cfg);
    expect(unable.reasons.map((r) => r.text_zh)).toEqual(['人均月收入600元，低于当地低保标准1,000元', '无劳动能力']);
  });
});
