import { describe, expect, it } from 'vitest';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

// Defaults: no able earner with dependants 100, no able earner (alone) 70; dependants per able
// earner in work read between 0.5 -> 0, 1 -> 15, 2 -> 40, 3 -> 60, and 60 beyond; 30 for a
// household with nobody of working age (noWorkingAgeMember).
const cfg = parseConfig(undefined).config;

describe('labour capacity', () => {
  it('two earners and one child scores 0', () => {
    // dependants 3 - 2 = 1; 1 / 2 = 0.5: the ordinary family
    const r = scoreLabourCapacity(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('three earners and two dependants: two thirds of a dependant each, between 0 and 15', () => {
    // 2 / 3 = 0.667 -> 15 x (0.667 - 0.5) / 0.5 = 5
    const r = scoreLabourCapacity(facts({ members: 5, minors: 2, workingAge: 3, ableEarners: 3 }), cfg);
    expect(r.score).toBeCloseTo(5, 10);
    expect(r.reasons).toEqual(['3 able earners for 2 dependants']);
  });

  it('grows between the anchors: 1.5 dependants per earner is half way from 15 to 40', () => {
    // two earners, three dependants: 3 / 2 = 1.5 -> 15 + 25 x 0.5 = 27.5
    expect(scoreLabourCapacity(facts({ members: 5, minors: 3 }), cfg).score).toBe(27.5);
  });

  it('two earners and two children: one dependant each', () => {
    // (4 - 2) / 2 = 1 -> 15
    const r = scoreLabourCapacity(facts({ members: 4, minors: 2 }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons).toEqual(['2 able earners for 2 dependants']);
  });

  it('one earner for two dependants', () => {
    // (3 - 1) / 1 = 2 -> 40
    const r = scoreLabourCapacity(facts({ ableEarners: 1 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 able earner for 2 dependants']);
  });

  it('one earner for three or more dependants', () => {
    // (4 - 1) / 1 = 3 -> 60; (6 - 1) / 1 = 5 -> 60
    expect(scoreLabourCapacity(facts({ members: 4, ableEarners: 1 }), cfg).score).toBe(60);
    const r = scoreLabourCapacity(facts({ members: 6, ableEarners: 1 }), cfg);
    expect(r.score).toBe(60);
    expect(r.reasons).toEqual(['1 able earner for 5 dependants']);
  });

  it('one dependant only', () => {
    // (2 - 1) / 1 = 1 -> 15; the reason is singular
    const r = scoreLabourCapacity(facts({ members: 2, ableEarners: 1 }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons).toEqual(['1 able earner for 1 dependant']);
  });

  it('no able earner with dependants is 100', () => {
    const r = scoreLabourCapacity(facts({ ableEarners: 0 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['no able earner among 3 members']);
    expect(scoreLabourCapacity(facts({ members: 2, minors: 0, ableEarners: 0 }), cfg).score).toBe(100);
  });

  it('a person of working age alone who cannot earn scores 70', () => {
    const r = scoreLabourCapacity(facts({ members: 1, minors: 0, workingAge: 1, ableEarners: 0 }), cfg);
    expect(r.score).toBe(70);
    expect(r.reasons).toEqual(['no able earner']);
    expect(r.reasonsZh).toEqual(['无劳动能力']);
  });

  it('a person of working age alone, able but unemployed on the roster, has no earner: 70', () => {
    const alone = facts({ members: 1, minors: 0, workingAge: 1, ableEarners: 1, unemployedAdults: 1, ableUnemployed: 1, monthlyIncome: 0, previousMonthlyIncome: 0 });
    const r = scoreLabourCapacity(alone, cfg);
    expect(r.score).toBe(70);
    expect(r.reasons).toEqual(['no able earner (1 unemployed, not counted)']);
    expect(r.reasonsZh).toEqual(['无在业劳动力（1名失业人员未计入）']);
  });

  it('an able member unemployed on the roster is not an earner in a bigger household either', () => {
    // two parents, one unemployed, and a child: 1 earner for 2 -> 40
    const r = scoreLabourCapacity(facts({ unemployedAdults: 1, ableUnemployed: 1 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 able earner for 2 dependants (1 unemployed, not counted)']);
  });

  it('counts a member once when the roster and human resources both say unemployed', () => {
    // the roster's unemployed member is registered too: ableBeyondRoster counts only the others
    const both = facts({
      members: 1, minors: 0, workingAge: 1, ableEarners: 1, unemployedAdults: 1, ableUnemployed: 1,
      registeredUnemployed: { members: 1, notUnemployedOnRoster: 0, ableBeyondRoster: 0, since: '2026-05-12', latest: '2026-05-12' },
    });
    expect(scoreLabourCapacity(both, cfg).reasons).toEqual(['no able earner (1 unemployed, not counted)']);
    // one on the roster, the other registered only: no earner left among 3
    const two = facts({
      unemployedAdults: 1, ableUnemployed: 1,
      registeredUnemployed: { members: 1, notUnemployedOnRoster: 1, ableBeyondRoster: 1, since: '2026-05-12', latest: '2026-05-12' },
    });
    const r = scoreLabourCapacity(two, cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['no able earner among 3 members (1 unemployed, 1 registered unemployed (人社), not counted)']);
  });

  it('a household with nobody of working age scores 30: less than a working-age member who cannot earn', () => {
    expect(scoreLabourCapacity(livingAlone(82), cfg)).toEqual({
      score: 30,
      reasons: ['nobody of working age to earn (living on pensions or support)'],
      reasonsZh: ['无劳动年龄成员（靠养老金或赡养）'],
      // the ages of the roster's members, taken at the period's end: no extract's month to say
      from: [[]],
    });
    expect(scoreLabourCapacity(facts({ members: 2, minors: 0, workingAge: 0, elderly: 2, ableEarners: 0 }), cfg).score).toBe(30);
    // grandparent and grandchildren alike
    expect(scoreLabourCapacity(facts({ members: 3, minors: 2, workingAge: 0, elderly: 1, ableEarners: 0 }), cfg).score).toBe(30);
    const { config } = parseConfig({ labourCapacity: { noWorkingAgeMember: 0 } });
    expect(scoreLabourCapacity(livingAlone(82), config).score).toBe(0);
  });

  it('a single able earner alone scores 0', () => {
    expect(scoreLabourCapacity(facts({ members: 1, minors: 0, workingAge: 1, ableEarners: 1 }), cfg).score).toBe(0);
  });

  it('refuses anchors out of order or whose points fall, naming the rule', () => {
    expect(() => parseConfig({ labourCapacity: { dependantsPerEarner: [{ at: 2, points: 40 }, { at: 1, points: 15 }] } })).toThrow(
      /labourCapacity\.dependantsPerEarner: anchors must be listed by `at`, increasing, with points that never fall/,
    );
    expect(() => parseConfig({ labourCapacity: { dependantsPerEarner: [{ at: 1, points: 40 }, { at: 2, points: 15 }] } })).toThrow(/never fall/);
    // the steps' old spelling is refused, not read as something else
    expect(() => parseConfig({ labourCapacity: { dependantsPerEarner: [{ atLeast: 1, points: 15 }] } })).toThrow(/atLeast/);
  });

  it('a district can replace the anchors', () => {
    const { config } = parseConfig({ labourCapacity: { dependantsPerEarner: [{ at: 0.5, points: 10 }] } });
    // one anchor: from 0 at 0 dependants up to it, its points after it. ordinary: 1 / 2 = 0.5 -> 10;
    // (3 - 1) / 1 = 2 -> still 10; 1 / 4 = 0.25 -> 5
    expect(scoreLabourCapacity(facts(), config).score).toBe(10);
    expect(scoreLabourCapacity(facts({ ableEarners: 1 }), config).score).toBe(10);
    expect(scoreLabourCapacity(facts({ members: 5, workingAge: 4, ableEarners: 4, minors: 1 }), config).score).toBe(5);
  });
});
