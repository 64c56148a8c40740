import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.js';
import { dimensionIds, type DimensionId } from '../../src/config/schema.js';
import { UsageError } from '../../src/errors.js';
import { formatFit } from '../../src/commands/calibrate.js';
import { fitLogistic, type Sample } from '../../src/visits/calibrate.js';

/**
 * The calibration fit is pure: these samples stand for settled visits (the six dimension scores
 * 0-1 at listing, assisted or not), no database needed.
 */
const current = defaultConfig.weights;

function lcg(seed: number) {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
}

/** The weights the fit used to propose: positive coefficients normalised to 1, whatever their noise. */
function normalisedPositive(coefficients: Record<DimensionId, number>) {
  const sum = dimensionIds.reduce((a, d) => a + Math.max(0, coefficients[d]), 0);
  return Object.fromEntries(dimensionIds.map((d) => [d, Math.max(0, coefficients[d]) / sum]));
}

function expectProposedInsideIntervals(fit: ReturnType<typeof fitLogistic>) {
  for (const d of dimensionIds) {
    const p = fit.proposal[d];
    expect(p.proposed, d).toBe(fit.weights[d]);
    expect(p.low, d).toBeLessThanOrEqual(p.proposed + 0.003); // three decimals, the remainder on the largest
    expect(p.high, d).toBeGreaterThanOrEqual(p.proposed - 0.003);
  }
}

describe('calibration on a few noisy visits', () => {
  // 26 settled visits whose outcome has nothing to do with the scores: the 26 visits of the report
  const samples: Sample[] = (() => {
    const rand = lcg(2);
    return Array.from({ length: 26 }, () => ({ x: dimensionIds.map(() => rand()), y: (rand() < 0.5 ? 1 : 0) as 0 | 1 }));
  })();

  it('gives the current weights back, says why for each, and never a zero weight from noise', () => {
    const fit = fitLogistic(samples, current, 1);
    // the situation reported: every coefficient's standard error exceeds the coefficient, and the
    // old rule (positive coefficients normalised) proposed 0 for some dimensions
    for (const d of dimensionIds) expect(fit.standardErrors[d], d).toBeGreaterThan(Math.abs(fit.coefficients[d]));
    expect(Object.values(normalisedPositive(fit.coefficients))).toContain(0);

    expect(fit.changed).toBe(false);
    expect(fit.weights).toEqual(current);
    for (const d of dimensionIds) {
      expect(fit.weights[d], d).toBeGreaterThan(0);
      expect(fit.proposal[d].moved, d).toBe(false);
      expect(fit.proposal[d].reason, d).toMatch(/^kept: /);
    }
    expectProposedInsideIntervals(fit);
    const printed = formatFit(fit);
    expect(printed).toContain('95% interval');
    expect(printed).toMatch(/^health +-?\d\.\d{3} +\d\.\d{3} +0\.100 +0\.100  \d\.\d{3}\.\.\d\.\d{3}$/m);
    expect(printed).toContain('health: kept: ');
    expect(printed).toContain('No weight moved: these 26 visits cannot support a change; the proposed weights are the current ones.');
    // the JSON (`calibrate --json`) carries each weight's interval and reason too
    const json = JSON.parse(JSON.stringify(fit));
    expect(json.changed).toBe(false);
    expect(Object.keys(json.proposal.health).sort()).toEqual(['current', 'high', 'low', 'moved', 'proposed', 'reason']);
  });

  it('never proposes a zero weight on any of many noisy samples; refuses only with a reason', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rand = lcg(seed);
      const noisy = Array.from({ length: 26 }, () => ({ x: dimensionIds.map(() => rand()), y: (rand() < 0.5 ? 1 : 0) as 0 | 1 }));
      let fit;
      try {
        fit = fitLogistic(noisy, current, 1);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).toContain('no weights are proposed');
        continue;
      }
      for (const d of dimensionIds) expect(fit.weights[d], `seed ${seed} ${d}`).toBeGreaterThan(0);
      expectProposedInsideIntervals(fit);
    }
  });
});

describe('calibration on many clear visits', () => {
  it('moves the weights where a real signal is: medical burden matters more than the current weights say', () => {
    // help was needed as the current score says, and medical burden counts twice as much again
    const rand = lcg(7);
    const samples: Sample[] = Array.from({ length: 3000 }, () => {
      const x = dimensionIds.map(() => rand());
      const score = dimensionIds.reduce((a, d, i) => a + current[d] * x[i]!, 0);
      const medical = x[dimensionIds.indexOf('medical_burden')]!;
      return { x, y: (rand() < 1 / (1 + Math.exp(-(8 * score + 6 * medical - 6))) ? 1 : 0) as 0 | 1 };
    });
    const fit = fitLogistic(samples, current, 1);
    expect(fit.changed).toBe(true);
    expect(fit.proposal.medical_burden.moved).toBe(true);
    expect(fit.proposal.medical_burden.reason).toMatch(/^moved: the current 0\.250 is below/);
    expect(fit.weights.medical_burden).toBeGreaterThan(0.4);
    expect(dimensionIds.reduce((a, d) => a + fit.weights[d], 0)).toBeCloseTo(1, 9);
    for (const d of dimensionIds) expect(fit.weights[d], d).toBeGreaterThan(0);
    expectProposedInsideIntervals(fit);
    const printed = formatFit(fit);
    expect(printed).toContain('medical_burden: moved: the current 0.250 is below');
    expect(printed).not.toContain('No weight moved');
  });
});

describe('calibration weighs audit visits as the households they stand for', () => {
  // a seeded little city of visits: economic points drive the outcome
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const visit = (): Sample => {
    const x = dimensionIds.map(() => random());
    return { x, y: random() < 1 / (1 + Math.exp(-(4 * x[1]! - 2))) ? 1 : 0 };
  };
  const visits = Array.from({ length: 400 }, visit);
  const current = defaultConfig.weights as Record<DimensionId, number>;

  it('an audit visit of weight 3 counts as three visits of the same household', () => {
    const audit = visits.slice(0, 50);
    const weighted = fitLogistic([...visits.slice(50), ...audit.map((s) => ({ ...s, weight: 3 }))], current, 1e-6);
    const replicated = fitLogistic([...visits.slice(50), ...audit, ...audit, ...audit], current, 1e-6);
    for (const d of dimensionIds) expect(weighted.coefficients[d]).toBeCloseTo(replicated.coefficients[d], 4);
    expect(weighted.intercept).toBeCloseTo(replicated.intercept, 4);
  });

  it('weights of 1 give the plain fit', () => {
    const plain = fitLogistic(visits, current);
    const ones = fitLogistic(visits.map((s) => ({ ...s, weight: 1 })), current);
    expect(ones.coefficients).toEqual(plain.coefficients);
  });
});
