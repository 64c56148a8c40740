import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/generate/random.js';
import { gapOf, headAgeBands, listingRate, widenedGaps } from '../../src/visits/fairness.js';
import { exclusionOf, missedOf, noEstimate, noEstimateWords, precisionOf, wilson, type Stratum } from '../../src/visits/miss-rate.js';
import type { QualityCell } from '../../src/visits/quality-counts.sql.js';
import { qualityTables } from '../../src/visits/quality-tables.js';

/**
 * The estimators are pure: counts of visits in, estimates with 95% intervals out. The expected
 * numbers are worked by hand (Wilson's formula) or, for coverage, by drawing many audit samples
 * from a known population with a seeded generator.
 */

const stratum = (s: Partial<Stratum> & Pick<Stratum, 'frame' | 'settled' | 'eligible'>): Stratum => ({ street: '420106001', tier: 'near', drawn: s.settled, unsettled: 0, ...s });

describe('Wilson interval', () => {
  it('matches the textbook values and never collapses at 0 or n', () => {
    const a = wilson(5, 10);
    expect(a.low).toBeCloseTo(0.2366, 4);
    expect(a.high).toBeCloseTo(0.7634, 4);
    const zero = wilson(0, 10);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 4);
    const all = wilson(10, 10);
    expect(all.low).toBeCloseTo(0.7225, 4);
    expect(all.high).toBe(1);
  });
});

describe('precision of the list', () => {
  it('is assisted over settled visits with its interval; refused and not found count for nothing', () => {
    const p = precisionOf({ listed: 40, visited: 30, assisted: 15, notEligible: 10, unsettled: 5 }, 10);
    expect(p.value).toBeCloseTo(0.6, 10);
    expect(p.low).toBeCloseTo(wilson(15, 25).low, 10);
    expect(p.high).toBeCloseTo(wilson(15, 25).high, 10);
  });

  it('says too few to say under the configured minimum of settled visits', () => {
    const p = precisionOf({ listed: 40, visited: 12, assisted: 5, notEligible: 4, unsettled: 3 }, 10);
    expect(p.value).toBeNull();
    expect(noEstimateWords(p.tooFew!, 'en')).toBe('too few to say: 9 settled visits to listed households, fewer than 10');
    expect(noEstimateWords(p.tooFew!, 'zh')).toBe('名单户已核实走访9户，少于10户，样本不足');
  });
});

describe('estimated missed households', () => {
  it('one stratum: the share found in need times the frame, with the Wilson interval times the frame', () => {
    const m = missedOf([stratum({ frame: 200, settled: 20, eligible: 2 })], 10);
    expect(m.value).toBe(20);
    expect(m.low).toBeCloseTo(wilson(2, 20).low * 200, 8);
    expect(m.high).toBeCloseTo(wilson(2, 20).high * 200, 8);
  });

  it('strata: each stratum weighs frame / settled visits; the sum has an interval that a stratum with none found still widens', () => {
    const near = stratum({ frame: 100, settled: 20, eligible: 5 });
    const far = stratum({ tier: 'far', frame: 900, settled: 20, eligible: 0 });
    const m = missedOf([near, far], 10);
    expect(m.value).toBe(25); // 100 x 5/20 + 900 x 0/20
    expect(m.low).toBeGreaterThanOrEqual(0);
    // the far stratum found no one, yet its 900 households leave the upper end well above 25
    expect(m.high!).toBeGreaterThan(25 + 50);
  });

  it('names the stratum whose audit visits settled nothing instead of counting it as 0', () => {
    const m = missedOf([stratum({ frame: 100, settled: 20, eligible: 5 }), stratum({ tier: 'far', frame: 900, settled: 0, eligible: 0, unsettled: 2 })], 10);
    expect(m.value).toBeNull();
    expect(noEstimateWords(m.tooFew!, 'en')).toBe('too few to say: no settled audit visit in 420106001 far');
  });

  it('says too few to say below the minimum, unless the whole frame was visited', () => {
    expect(missedOf([stratum({ frame: 100, settled: 6, eligible: 1 })], 10).tooFew).toEqual({ reason: 'few_audit_visits', settled: 6, min: 10 });
    const census = missedOf([stratum({ frame: 4, settled: 4, eligible: 1 })], 10);
    expect(census.value).toBe(1);
  });

  it('covers the true number in at least 93% of 400 seeded audit samples (nominal 95%)', () => {
    // a street's frame: 60 households near the threshold (a fifth in need), 740 far (1% in need)
    const rng = Rng.seeded(18);
    const population = [
      { tier: 'near' as const, need: Array.from({ length: 60 }, (_, i) => i < 12) },
      { tier: 'far' as const, need: Array.from({ length: 740 }, (_, i) => i < 7) },
    ];
    const truth = 12 + 7;
    let covered = 0;
    for (let trial = 0; trial < 400; trial++) {
      const strata = population.map(({ tier, need }) => {
        const drawn = [...need].map((v) => ({ v, r: rng.next() })).sort((a, b) => a.r - b.r).slice(0, 25);
        // a tenth of the doors stay shut, whoever is behind them: missing at random
        const settled = drawn.filter(() => !rng.chance(0.1));
        return stratum({ tier, frame: need.length, settled: settled.length, eligible: settled.filter((x) => x.v).length, drawn: 25, unsettled: 25 - settled.length });
      });
      const m = missedOf(strata, 10);
      if (m.value !== null && m.low <= truth && truth <= m.high) covered++;
    }
    expect(covered / 400).toBeGreaterThanOrEqual(0.93);
  });
});

describe('exclusion error', () => {
  it('is missed / (missed + in need on the list), the interval from the ends that make it smallest and largest', () => {
    const missed = { value: 20, low: 10, high: 40 };
    const precision = { value: 0.5, low: 0.4, high: 0.6 };
    const e = exclusionOf(missed, precision, 100);
    expect(e.value).toBeCloseTo(20 / 70, 10);
    expect(e.low).toBeCloseTo(10 / 70, 10);
    expect(e.high).toBeCloseTo(40 / 80, 10);
  });

  it('says too few when either side does', () => {
    expect(exclusionOf(noEstimate({ reason: 'no_audit_sample' }), { value: 0.5, low: 0.4, high: 0.6 }, 100).tooFew).toEqual({ reason: 'no_audit_sample' });
  });
});

describe('fairness groups', () => {
  it('bands the head\'s age by the scoring\'s own ages', () => {
    expect(headAgeBands({ adultFrom: 18, elderlyFrom: 60, oldOldFrom: 80 }).map((b) => b.key)).toEqual(['0-39', '40-59', '60-79', '80+']);
  });

  it('gives no listing rate to a group smaller than the minimum, and the gap of those that can say', () => {
    expect(listingRate(3, 20, 30)).toBeNull();
    expect(listingRate(6, 40, 30)).toBe(0.15);
    expect(gapOf([0.15, null, 0.05])).toBeCloseTo(0.1, 10);
    expect(gapOf([0.15, null])).toBeNull();
  });
});

describe('calibrate\'s fairness guard', () => {
  // rural 20 of 100 listed now, urban 10 of 400: a 10-point gap
  const rows = (ruralProposed: number, urbanProposed: number) => [
    { grouping: 'hukou' as const, key: 'rural', households: 100, listedCurrent: 20, listedProposed: ruralProposed },
    { grouping: 'hukou' as const, key: 'urban', households: 400, listedCurrent: 40, listedProposed: urbanProposed },
    // too small to say: its rate is left out of the gap whatever it is
    { grouping: 'hukou' as const, key: '', households: 5, listedCurrent: 0, listedProposed: 5 },
  ];

  it('refuses weights that widen a grouping\'s listing-rate gap beyond the tolerance, naming the groups', () => {
    expect(widenedGaps(rows(26, 40), 0.02, 30)).toEqual([
      { grouping: 'hukou', current: 0.1, proposed: expect.closeTo(0.16, 10), highest: { key: 'rural', rate: 0.26 }, lowest: { key: 'urban', rate: 0.1 } },
    ]);
  });

  it('lets through a gap widened within the tolerance, or narrowed', () => {
    expect(widenedGaps(rows(22, 40), 0.02, 30)).toEqual([]);
    expect(widenedGaps(rows(10, 40), 0.02, 30)).toEqual([]);
  });
});

describe('the quality tables', () => {
  const cell = (c: Partial<QualityCell> & Pick<QualityCell, 'grouping' | 'key'>): QualityCell => ({
    street: '420106001', tier: null, households: 0, listed: 0, listedUncovered: 0, visited: 0, assisted: 0, notEligible: 0, unsettled: 0,
    frame: 0, drawn: 0, auditSettled: 0, auditEligible: 0, auditUnsettled: 0, ...c,
  });
  // one street: 40 listed (20 visited: 12 in need, 8 not), near frame 50 (20 settled, 6 in need), far frame 400 (20 settled, 1 in need)
  const cells: QualityCell[] = [
    cell({ grouping: 'all', key: 'all', households: 40, listed: 40, listedUncovered: 40, visited: 20, assisted: 12, notEligible: 8 }),
    cell({ grouping: 'all', key: 'all', tier: 'near', households: 50, frame: 50, drawn: 22, auditSettled: 20, auditEligible: 6, auditUnsettled: 2 }),
    cell({ grouping: 'all', key: 'all', tier: 'far', households: 400, frame: 400, drawn: 20, auditSettled: 20, auditEligible: 1 }),
    cell({ grouping: 'street', key: '420106001', households: 40, listed: 40, listedUncovered: 40, visited: 20, assisted: 12, notEligible: 8 }),
    cell({ grouping: 'street', key: '420106001', tier: 'near', households: 50, frame: 50, drawn: 22, auditSettled: 20, auditEligible: 6, auditUnsettled: 2 }),
    cell({ grouping: 'street', key: '420106001', tier: 'far', households: 400, frame: 400, drawn: 20, auditSettled: 20, auditEligible: 1 }),
    // rural: 10 of the near frame (4 settled, 3 in need), 20 of the far (2 settled, none in need)
    cell({ grouping: 'hukou', key: 'rural', tier: 'near', households: 10, frame: 10, drawn: 4, auditSettled: 4, auditEligible: 3 }),
    cell({ grouping: 'hukou', key: 'rural', tier: 'far', households: 20, frame: 20, drawn: 2, auditSettled: 2, auditEligible: 0 }),
    cell({ grouping: 'hukou', key: 'urban', households: 40, listed: 40, listedUncovered: 40, visited: 20, assisted: 12, notEligible: 8 }),
    cell({ grouping: 'hukou', key: 'urban', tier: 'near', households: 40, frame: 40, drawn: 18, auditSettled: 16, auditEligible: 3, auditUnsettled: 2 }),
    cell({ grouping: 'hukou', key: 'urban', tier: 'far', households: 380, frame: 380, drawn: 18, auditSettled: 18, auditEligible: 1 }),
    cell({ grouping: 'covered', key: 'yes', households: 12, listed: 5 }),
  ];
  const frames = [
    { street: '420106001', tier: 'near' as const, frame: 50, sampleSize: 22 },
    { street: '420106001', tier: 'far' as const, frame: 400, sampleSize: 20 },
  ];

  it('shows precision and the estimated misses side by side per street and in total, with the counts behind them', () => {
    const t = qualityTables('2026-10', cells, frames, { minSettledVisits: 10, minGroupHouseholds: 30 });
    expect(t.total.precision.value).toBeCloseTo(0.6, 10);
    expect(t.total.missed.value).toBeCloseTo(50 * (6 / 20) + 400 * (1 / 20), 10); // 35
    expect(t.total.audit).toEqual({ drawn: 42, settled: 40, eligible: 7, unsettled: 2, frame: 450 });
    expect(t.total.exclusion.value).toBeCloseTo(35 / (35 + 0.6 * 40), 10);
    expect(t.streets).toHaveLength(1);
    expect(t.streets[0]!.figures.missed.value).toBeCloseTo(35, 10);
    expect(t.strata.map((s) => [s.tier, s.figures.missed.value])).toEqual([['near', 15], ['far', 20]]);
    expect(t.strata[0]!.figures.precision.tooFew).toEqual({ reason: 'per_street_only' });
  });

  it('estimates a group over the strata it was not drawn by, and says when it is too small to say', () => {
    const t = qualityTables('2026-10', cells, frames, { minSettledVisits: 10, minGroupHouseholds: 30 });
    const rural = t.groups.find((g) => g.grouping === 'hukou' && g.key === 'rural')!;
    // the domain's audit households weigh as their stratum's: 3 x 50/20, over 6 settled visits: too few
    expect(rural.figures.audit.settled).toBe(6);
    expect(rural.figures.missed.tooFew).toEqual({ reason: 'few_audit_visits', settled: 6, min: 10 });
    expect(rural.listingRate).toBe(0); // 0 listed of 30
    const urban = t.groups.find((g) => g.grouping === 'hukou' && g.key === 'urban')!;
    expect(urban.figures.missed.value).toBeCloseTo(3 * (50 / 20) + 1 * (400 / 20), 10);
    const covered = t.groups.find((g) => g.grouping === 'covered' && g.key === 'yes')!;
    expect(covered.listingRate).toBeNull(); // 12 households, fewer than 30
    expect(covered.figures.missed.tooFew).toEqual({ reason: 'not_in_audit_frame' });
  });

  it('says people without a street are not audited, rather than that none of them is missed', () => {
    const nowhere = cell({ grouping: 'all', key: 'all', street: '420106000', households: 8, listed: 3, listedUncovered: 3 });
    const t = qualityTables('2026-10', [...cells, nowhere], frames, { minSettledVisits: 10, minGroupHouseholds: 30 });
    const street = t.streets.find((s) => s.street === '420106000')!;
    expect(street.figures.missed.tooFew).toEqual({ reason: 'no_street' });
    expect(noEstimateWords(street.figures.missed.tooFew!, 'en')).toBe('people known only to other departments, with no street, are not in the audit frame');
  });

  it('says so when no audit sample was drawn for the period', () => {
    const t = qualityTables('2026-10', cells, [], { minSettledVisits: 10, minGroupHouseholds: 30 });
    expect(t.audited).toBe(false);
    expect(t.total.missed.tooFew).toEqual({ reason: 'no_audit_sample' });
    expect(t.total.precision.value).toBeCloseTo(0.6, 10);
  });
});
