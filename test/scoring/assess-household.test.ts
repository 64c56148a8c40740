import { describe, expect, it } from 'vitest';
import { assessHousehold } from '../../scoring/assess-household.js';
import { urgentWarnings } from '../../scoring/urgent.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

/**
 * What the month decides about one household, as the run, `diff` and the night all see it.
 * Default config: warning line 30, a "not eligible" visit keeps a household off the list for 6
 * months unless its score rises 10 points or a new severe fact appears; standard 1,000 yuan.
 */
const cfg = parseConfig(undefined).config;

// 82, alone, on 600 yuan a month: 46.1 points, orange, dibao suggested (combine.test.ts)
const alone = livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600 });
const notEligible = { on: '2026-10-05', outcome: 'not_eligible', totalThen: 42.1 };

describe('a household assessed for a period', () => {
  it('with no visit: listed with its score, its reasons and a route', () => {
    const a = assessHousehold(alone, '2026-11', cfg);
    expect(a).toMatchObject({ householdId: 'H-ALONE-82', total: 42.1, tier: 'yellow', onList: true, covered: false, review: [] });
    expect(a.reasons.map((r) => r.dimension)).toEqual(['economic', 'age_structure', 'labour_capacity']);
    expect(a.visit).toEqual({ onList: true, cooledDown: false, coveredByVisit: null, notes: [] });
    expect(a.route?.route).toBe('dibao');
  });

  it('found not eligible: kept off the list during the cool-down, with no route and no review, and listed again after it', () => {
    const during = assessHousehold({ ...alone, lastVisit: notEligible }, '2026-11', cfg);
    expect(during).toMatchObject({ total: 42.1, tier: 'yellow', onList: false, covered: false, route: null, review: [] });
    expect(during.visit.cooledDown).toBe(true);
    expect(during.visit.notes.map((n) => n.text)).toEqual(['visited 2026-10-05: not eligible; not listed before 2027-04 unless the situation worsens']);

    const after = assessHousehold({ ...alone, lastVisit: notEligible }, '2027-04', cfg);
    expect(after).toMatchObject({ onList: true, visit: { cooledDown: false, notes: [] } });
    expect(after.route?.route).toBe('dibao');
  });

  it('found not eligible and then admitted to hospital: listed again, saying why', () => {
    const a = assessHousehold({ ...alone, lastVisit: notEligible, latestSevere: { inpatient: '2026-11-12', diagnosis: null, disability: null } }, '2026-11', cfg);
    expect(a.onList).toBe(true);
    expect(a.visit.notes.map((n) => n.text)).toEqual(['re-listed: new inpatient stay (2026-11-12) since the visit on 2026-10-05 found it not eligible']);
  });

  it('a cool-down keeps an exit-watch review quiet too', () => {
    const left = { period: '2026-08', programme: 'dibao', total: 50 };
    expect(assessHousehold({ ...alone, leftAssistance: left }, '2026-11', cfg).review).toHaveLength(1);
    const a = assessHousehold({ ...alone, leftAssistance: left, lastVisit: notEligible }, '2026-11', cfg);
    expect(a).toMatchObject({ onList: false, review: [], route: null });
  });

  it('assisted with dibao at the door: covered before the roster says so, still scored, no programme to suggest', () => {
    const a = assessHousehold({ ...alone, assistedVisit: { on: '2026-10-06', programme: 'dibao' } }, '2026-11', cfg);
    expect(a).toMatchObject({ total: 42.1, onList: true, covered: true, route: null, review: [] });
    expect(a.visit.coveredByVisit).toBe('dibao');
    expect(a.visit.notes.map((n) => n.text)).toEqual(['assisted with dibao at the visit on 2026-10-06 (the roster does not show it yet)']);
  });

  it('covered, and earning well over the standard: flagged for review, with no route', () => {
    // 6,600 a month for 3 people is 2,200 each: 2.2x the standard, over the review's 2x
    const onRoster = assessHousehold(facts({ assistance: 'dibao', monthlyIncome: 6_600 }), '2026-11', cfg);
    expect(onRoster).toMatchObject({ onList: false, covered: true, route: null });
    expect(onRoster.review.map((r) => r.text)).toEqual([
      'covered by dibao, but per-capita income 2,200 yuan a month is 2.20x the dibao standard: review whether it still fits',
    ]);
    // a programme granted at the door is reviewed as the roster's own would be
    const atTheDoor = assessHousehold(facts({ monthlyIncome: 6_600, assistedVisit: { on: '2026-10-06', programme: 'dibao' } }), '2026-11', cfg);
    expect(atTheDoor.review).toEqual(onRoster.review);
    expect(atTheDoor.covered).toBe(true);
  });
});

describe("the night's warnings follow the assessment", () => {
  const claim = { kind: 'bill' as const, key: 'medical-insurance:C-1', on: '2026-11-10', inpatient: false, outOfPocket: 300 };
  const night = (lastVisit: typeof notEligible | null) => {
    const h = { ...alone, lastVisit };
    const a = assessHousehold(h, '2026-11', cfg);
    return urgentWarnings({ facts: h, previousTotal: 28, total: a.total, onList: a.onList, covered: a.covered, events: [claim] }, cfg);
  };

  it('an outpatient bill taking a household over the line warns that it crossed, unless a visit found it not eligible', () => {
    expect(night(null).map((w) => w.kind)).toEqual(['crossed_threshold']);
    expect(night(notEligible)).toEqual([]);
  });
});
