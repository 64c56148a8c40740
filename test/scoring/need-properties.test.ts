import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreHousehold } from '../../scoring/combine.js';
import type { AnyDimension } from '../../scoring/dimension.js';
import { DIMENSIONS } from '../../scoring/dimensions.js';
import { incomePoints, scoreEconomic } from '../../scoring/economic.js';
import { scoreHealth } from '../../scoring/health.js';
import { NO_MEMBERSHIP_CHANGE, type HouseholdFacts } from '../../scoring/household-facts.js';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { scoreMedicalBurden } from '../../scoring/medical-burden.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

/**
 * What "points that move with need" promises, for any household the facts can describe: more
 * income never raises the points, more out-of-pocket spending never lowers them, a member's
 * severe illness never lowers the health points, and the total follows its dimensions.
 */
const cfg = parseConfig(undefined).config;

const money = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });

/** A household whose counts add up, with every fact the economic and burden dimensions read. */
const household: fc.Arbitrary<HouseholdFacts> = fc
  .record({
    minors: fc.integer({ min: 0, max: 4 }),
    workingAge: fc.integer({ min: 0, max: 4 }),
    elderly: fc.integer({ min: 0, max: 3 }),
    oldShare: fc.double({ min: 0, max: 1, noNaN: true }),
    ableShare: fc.double({ min: 0, max: 1, noNaN: true }),
    unemployedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    monthlyIncome: money(30_000),
    previousMonthlyIncome: fc.option(money(30_000)),
    dibaoStandard: fc.constantFrom(650, 850, 1_000, 1_400),
    outOfPocket12m: fc.oneof(fc.constant(0), money(400_000)),
    pensions: fc.option(fc.record({ monthly: money(10_000), members: fc.integer({ min: 1, max: 2 }) })),
    registered: fc.integer({ min: 0, max: 2 }),
    mainEarnerDied: fc.boolean(),
    dangerousHouse: fc.constantFrom(null, { grade: 'C' as const, appraisedOn: '2026-08-14' }, { grade: 'D' as const, appraisedOn: null }),
    disasterLoss: fc.oneof(fc.constant(0), money(100_000)),
    fees: fc.array(money(40_000), { maxLength: 2 }),
    assistance: fc.constantFrom('none', 'none', 'dibao', 'dibao_edge'),
    severeIllness: fc.integer({ min: 0, max: 2 }),
    chronicIllness: fc.integer({ min: 0, max: 2 }),
    severeMentalDisorder: fc.integer({ min: 0, max: 1 }),
    inpatientStays12m: fc.integer({ min: 0, max: 6 }),
  })
  .map((r) => {
    const members = Math.max(1, r.minors + r.workingAge + r.elderly);
    const ableEarners = Math.floor(r.workingAge * r.ableShare);
    const ableUnemployed = Math.floor(ableEarners * r.unemployedShare);
    const registered = Math.min(r.registered, r.workingAge);
    return facts({
      members,
      minors: r.minors,
      workingAge: r.workingAge,
      elderly: r.minors + r.workingAge + r.elderly === 0 ? 1 : r.elderly,
      oldOld: Math.floor(r.elderly * r.oldShare),
      oldestAge: r.elderly > 0 ? 75 : 40,
      ableEarners,
      ableUnemployed,
      unemployedAdults: ableUnemployed,
      monthlyIncome: r.monthlyIncome,
      previousMonthlyIncome: r.previousMonthlyIncome,
      dibaoStandard: r.dibaoStandard,
      outOfPocket12m: r.outOfPocket12m,
      pensions: r.pensions,
      registeredUnemployed: {
        members: registered, notUnemployedOnRoster: registered, ableBeyondRoster: Math.min(registered, ableEarners - ableUnemployed),
        since: registered > 0 ? '2026-05-12' : null, latest: registered > 0 ? '2026-05-12' : null,
      },
      membership: r.mainEarnerDied ? { ...NO_MEMBERSHIP_CHANGE, died: 1, leftOn: '2026-10-03', memberLeft: '陈*', mainEarnerDied: { name: '陈*', on: '2026-10-03' } } : NO_MEMBERSHIP_CHANGE,
      dangerousHouse: r.dangerousHouse,
      disasters: r.disasterLoss > 0 ? { loss: r.disasterLoss, count: 1, latest: { event: '暴雨', on: '2026-07-01' }, houseDamaged: false } : { loss: 0, count: 0, latest: null, houseDamaged: false },
      students: r.fees.map((feesPaid) => ({ stage: 'higher' as const, feesPaid })),
      schoolYear: r.fees.length > 0 ? 2026 : null,
      assistance: r.assistance,
      severeIllness: r.severeIllness,
      chronicIllness: r.chronicIllness,
      severeMentalDisorder: r.severeMentalDisorder,
      inpatientStays12m: r.inpatientStays12m,
    });
  });

/** Within floating point: "never lowers" allows for the last bit of a sum. */
const EPS = 1e-9;

describe('points that move with need', () => {
  it('more income never raises the economic points, nor the total', () => {
    fc.assert(
      fc.property(household, money(20_000), (h, more) => {
        const richer = { ...h, monthlyIncome: h.monthlyIncome! + more };
        expect(scoreEconomic(richer, cfg).score).toBeLessThanOrEqual(scoreEconomic(h, cfg).score + EPS);
        expect(scoreMedicalBurden(richer, cfg).score).toBeLessThanOrEqual(scoreMedicalBurden(h, cfg).score + EPS);
        expect(scoreHousehold(richer, cfg).total).toBeLessThanOrEqual(scoreHousehold(h, cfg).total);
      }),
      { numRuns: 2_000 },
    );
  });

  it('more out-of-pocket spending never lowers the economic or the medical-burden points, nor the total', () => {
    fc.assert(
      fc.property(household, money(200_000), (h, more) => {
        const sicker = { ...h, outOfPocket12m: h.outOfPocket12m + more };
        expect(scoreEconomic(sicker, cfg).score).toBeGreaterThanOrEqual(scoreEconomic(h, cfg).score - EPS);
        expect(scoreMedicalBurden(sicker, cfg).score).toBeGreaterThanOrEqual(scoreMedicalBurden(h, cfg).score - EPS);
        expect(scoreHousehold(sicker, cfg).total).toBeGreaterThanOrEqual(scoreHousehold(h, cfg).total);
      }),
      { numRuns: 2_000 },
    );
  });

  it('a member\'s severe illness never lowers the health points, whether or not they had a chronic illness on record', () => {
    // a chronic illness is counted only without a severe one: the member moves from one count to the other
    const healthConfig = fc.record({
      perSevereIllness: fc.integer({ min: 0, max: 100 }),
      perChronicIllness: fc.integer({ min: 0, max: 100 }),
      perSevereMentalDisorder: fc.integer({ min: 0, max: 100 }),
    }).filter((c) => c.perSevereIllness >= c.perChronicIllness);
    fc.assert(
      fc.property(household, healthConfig, fc.boolean(), (h, health, wasChronic) => {
        const config = parseConfig({ health }).config;
        const ill = wasChronic && h.chronicIllness > 0
          ? { ...h, severeIllness: h.severeIllness + 1, chronicIllness: h.chronicIllness - 1 }
          : { ...h, severeIllness: h.severeIllness + 1 };
        expect(scoreHealth(ill, config).score).toBeGreaterThanOrEqual(scoreHealth(h, config).score);
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses a health config under which a severe illness would count less than a chronic one', () => {
    expect(() => parseConfig({ health: { perSevereIllness: 10, perChronicIllness: 15 } })).toThrow(
      /health: a severe illness must count at least as much as a chronic one \(perSevereIllness >= perChronicIllness\)/,
    );
  });

  it('the economic points are continuous in income: no step at the standard or in the edge band', () => {
    // a 1-yuan change per person never moves the curve by more than its steepest slope allows
    const c = cfg.economic;
    const steepest = Math.max(c.belowStandardDepth, c.belowStandard / (c.edgeBandMultiple - 1));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3, noNaN: true }), fc.double({ min: 0, max: 0.01, noNaN: true }), (x, dx) => {
        const drop = incomePoints(x, c) - incomePoints(x + dx, c);
        expect(drop).toBeGreaterThanOrEqual(-EPS);
        expect(drop).toBeLessThanOrEqual(steepest * dx + EPS);
      }),
      { numRuns: 2_000 },
    );
  });

  it('more dependants or an able member out of work never lower the labour-capacity points', () => {
    fc.assert(
      fc.property(household, (h) => {
        const before = scoreLabourCapacity(h, cfg).score;
        const child = { ...h, members: h.members + 1, minors: h.minors + 1 };
        expect(scoreLabourCapacity(child, cfg).score).toBeGreaterThanOrEqual(before);
        if (h.ableUnemployed + h.registeredUnemployed.ableBeyondRoster < h.ableEarners) {
          const outOfWork = { ...h, ableUnemployed: h.ableUnemployed + 1, unemployedAdults: h.unemployedAdults + 1 };
          expect(scoreLabourCapacity(outOfWork, cfg).score).toBeGreaterThanOrEqual(before);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('the total follows its dimensions', () => {
  /** the model's dimensions, each scoring what the test says, whatever the household */
  const scripted = (scores: number[]): AnyDimension[] =>
    DIMENSIONS.map((d, i): AnyDimension => ({ ...d, score: () => ({ score: scores[i]!, reasons: [d.id], reasonsZh: [d.id] }) }));

  it('never falls when one dimension\'s points rise, under any weights', () => {
    const n = DIMENSIONS.length;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: n, maxLength: n }).filter((w) => w.some((x) => x > 0)),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: n, maxLength: n }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (raw, scores, which, rise) => {
          const sum = raw.reduce((a, b) => a + b, 0);
          const config = parseConfig({ weights: Object.fromEntries(DIMENSIONS.map((d, i) => [d.id, raw[i]! / sum])) }).config;
          const higher = scores.map((s, i) => (i === which ? Math.min(100, s + rise) : s));
          const total = (s: number[]) => scoreHousehold(facts(), config, scripted(s)).total;
          expect(total(higher)).toBeGreaterThanOrEqual(total(scores));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('elderly-only households and households with working-age members, at the same reported income', () => {
  // docs/scoring.md: "Elderly-only households". The model adds for an elderly-only household
  // what its age structure says (the very old, living alone, nobody of working age) and the
  // labour-capacity points of nobody of working age (30, under the 70-100 of working-age members
  // who cannot earn), and takes its reported income at face value, as it does everyone's: it has
  // no figure for the support of children, which a visit checks.
  const couple = (ages: 'elderly' | 'working', monthlyIncome: number): HouseholdFacts =>
    facts({
      householdId: `H-${ages}`,
      members: 2, minors: 0, monthlyIncome, previousMonthlyIncome: monthlyIncome,
      ...(ages === 'elderly'
        ? { workingAge: 0, elderly: 2, oldOld: 0, oldestAge: 72, ableEarners: 0 }
        : { workingAge: 2, elderly: 0, oldOld: 0, oldestAge: 45, ableEarners: 2 }),
    });

  it('an elderly couple scores above an employed working-age couple by its age points and 3 for nobody of working age', () => {
    fc.assert(
      fc.property(money(6_000), (income) => {
        const old = scoreHousehold(couple('elderly', income), cfg);
        const young = scoreHousehold(couple('working', income), cfg);
        expect(old.dimensions.economic).toBe(young.dimensions.economic);
        expect(old.dimensions.labour_capacity).toBe(30);
        expect(young.dimensions.labour_capacity).toBe(0);
        // two aged 60-79 (2 x 15) and nobody of working age (30): 60 x 0.1 = 6; labour 30 x 0.1 = 3
        expect(old.dimensions.age_structure).toBe(60);
        expect(old.total - young.total).toBeCloseTo(9, 0);
      }),
      { numRuns: 200 },
    );
  });

  it('a working-age couple out of work scores above the elderly couple at the same income', () => {
    // both able, both unemployed: economic 2 x 15 more (capped at 100) and no earner (labour 100):
    // 4 + 10 = 14 over the employed couple, the elderly couple's 9
    const outOfWork = { ...couple('working', 1_800), unemployedAdults: 2, ableUnemployed: 2 };
    const old = scoreHousehold(couple('elderly', 1_800), cfg);
    const young = scoreHousehold(outOfWork, cfg);
    expect(young.total).toBeGreaterThan(old.total);
    expect(young.dimensions.labour_capacity).toBe(100);
  });
});
