import { describe, expect, it } from 'vitest';
import { scoreEconomic } from '../../scoring/economic.js';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

/**
 * What the human-resources bureau's facts (人社: pensions, unemployment registrations) change in
 * the economic and labour-capacity dimensions. Dibao standard in facts: 1,000; defaults: under
 * the line 86 + 14 x depth, edge band (under 1.5x) 45, income not on record 45, 15 per
 * unemployed working-age member.
 */
const cfg = parseConfig(undefined).config;
const registered = (members: number, over: Partial<{ notUnemployedOnRoster: number; ableBeyondRoster: number; since: string | null }> = {}) => ({
  members,
  notUnemployedOnRoster: members,
  ableBeyondRoster: members,
  since: '2026-05-12',
  latest: '2026-05-12',
  ...over,
});

describe('economic status with pensions (人社)', () => {
  it('uses the members\' pensions when they are higher than the roster\'s income, and says which figure and from where', () => {
    // 2,400 for two people: 1,200 each, 1.2x the standard -> the edge band (51.6), not under the line
    const h = facts({ members: 2, minors: 0, workingAge: 0, elderly: 2, ableEarners: 0, monthlyIncome: 600, previousMonthlyIncome: 600, pensions: { monthly: 2_400, members: 2 } });
    const r = scoreEconomic(h, cfg);
    expect(r.score).toBeCloseTo(51.6, 10);
    expect(r.reasons[0]).toBe("income 2,400 yuan a month: members' pensions (人社); the roster says 600");
    expect(r.reasonsZh[0]).toBe('月收入2,400元：成员养老金（人社）；名册为600元');
    expect(r.reasons[1]).toContain('1,200 yuan per person a month, 1.20x the dibao standard');
  });

  it('keeps the roster\'s income, with no word of pensions, when it is the higher', () => {
    const r = scoreEconomic(livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600, pensions: { monthly: 400, members: 1 } }), cfg);
    expect(r.score).toBeCloseTo(91.6, 10);
    expect(r.reasons).toEqual(['income 600 yuan per person a month, under the local dibao standard of 1,000 yuan']);
  });

  it('with no income on the roster uses the pensions: not "income not on record"', () => {
    const r = scoreEconomic(livingAlone(75, { monthlyIncome: null, previousMonthlyIncome: null, pensions: { monthly: 3_000, members: 1 } }), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual(["income 3,000 yuan a month: a member's pension (人社); the roster has no income on record"]);
    expect(r.reasonsZh).toEqual(['月收入3,000元：成员养老金（人社）；名册无收入记录']);
  });

  it('a small pension and no roster income scores no higher than income not on record: the pension is not all the household has', () => {
    const r = scoreEconomic(livingAlone(75, { monthlyIncome: null, previousMonthlyIncome: null, pensions: { monthly: 300, members: 1 } }), cfg);
    expect(r.score).toBe(45);
    expect(r.reasons.join(' ')).not.toContain('not on record (counted');
  });

  it('more pension never raises the economic points', () => {
    for (const roster of [null, 0, 300, 900, 1_400, 3_000]) {
      for (const oop of [0, 6_000, 40_000]) {
        let last = Infinity;
        for (const monthly of [0, 1, 250, 600, 999, 1_000, 1_499, 1_500, 2_400, 6_000]) {
          const h = facts({ members: 2, minors: 0, workingAge: 0, elderly: 2, monthlyIncome: roster, previousMonthlyIncome: roster, outOfPocket12m: oop, pensions: monthly > 0 ? { monthly, members: 1 } : null });
          const score = scoreEconomic(h, cfg).score;
          expect(score, `roster ${roster}, out of pocket ${oop}, pensions ${monthly}`).toBeLessThanOrEqual(last);
          last = score;
        }
      }
    }
  });
});

describe('economic status with unemployment registrations (人社)', () => {
  it('counts a working-age member registered unemployed as unemployed, and says since when', () => {
    const r = scoreEconomic(facts({ registeredUnemployed: registered(1) }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons).toEqual(['1 working-age member unemployed (1 registered unemployed since 2026-05-12 (人社))']);
    expect(r.reasonsZh).toEqual(['1名劳动年龄成员失业（1名人社登记失业，自2026-05-12起）']);
  });

  it('counts a member once when the roster says unemployed too', () => {
    const r = scoreEconomic(facts({ unemployedAdults: 1, registeredUnemployed: registered(1, { notUnemployedOnRoster: 0, ableBeyondRoster: 0 }) }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons[0]).toMatch(/^1 working-age member unemployed \(1 registered unemployed since 2026-05-12/);
  });

  it('adds the registered to those the roster calls unemployed', () => {
    const r = scoreEconomic(facts({ unemployedAdults: 1, registeredUnemployed: registered(1) }), cfg);
    expect(r.score).toBe(30);
  });
});

describe('labour capacity with unemployment registrations (人社)', () => {
  it('does not count a registered unemployed member among the able earners, and says so', () => {
    // 2 able on the roster, 1 registered unemployed: 1 earner for 2 dependants -> 40
    const r = scoreLabourCapacity(facts({ registeredUnemployed: registered(1) }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 able earner for 2 dependants (1 registered unemployed (人社), not counted)']);
    expect(r.reasonsZh).toEqual(['1名劳动力供养2人（1名人社登记失业人员未计入）']);
  });

  it('with every able earner registered unemployed, the household has none', () => {
    const r = scoreLabourCapacity(facts({ registeredUnemployed: registered(2) }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['no able earner among 3 members (2 registered unemployed (人社), not counted)']);
  });

  it('a registered member the roster already counts as unable changes nothing', () => {
    const r = scoreLabourCapacity(facts({ registeredUnemployed: registered(1, { ableBeyondRoster: 0 }) }), cfg);
    expect(r.score).toBe(scoreLabourCapacity(facts(), cfg).score);
    expect(r.reasons.join(' ')).not.toContain('人社');
  });
});
