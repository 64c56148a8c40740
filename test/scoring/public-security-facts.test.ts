import { describe, expect, it } from 'vitest';
import { assessHousehold } from '../../scoring/assess-household.js';
import { scoreEconomic } from '../../scoring/economic.js';
import { NO_MEMBERSHIP_CHANGE, type HouseholdFacts, type Membership } from '../../scoring/household-facts.js';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { reviewReasons, suggestRoute } from '../../scoring/route.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

/**
 * What public security's population events (公安: deaths, moves, births) change in the scores,
 * once the facts statement has counted the household without its dead and moved away and with
 * its newborns. Dibao standard in facts: 1,000; defaults: edge band (under 1.5x) 45, income not
 * on record 45, main earner died: economic +25, labour capacity +30.
 */
const cfg = parseConfig(undefined).config;
const membership = (over: Partial<Membership>): Membership => ({ ...NO_MEMBERSHIP_CHANGE, ...over });
const died = { name: '陈*', on: '2026-10-03' };

/** The ordinary household after its only able earner died: a spouse unable to work and a child left, the roster's 4,500 declared with him. */
const bereaved = (over: Partial<HouseholdFacts> = {}): HouseholdFacts =>
  facts({
    members: 2, minors: 1, workingAge: 1, ableEarners: 0, monthlyIncome: 4_500, previousMonthlyIncome: 4_500,
    membership: membership({ died: 1, leftOn: died.on, memberLeft: died.name, mainEarnerDied: died }),
    ...over,
  });

describe('the death of the main earner (公安)', () => {
  it('raises labour capacity and names the death', () => {
    const r = scoreLabourCapacity(bereaved(), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['the main earner 陈* died on 2026-10-03 (公安)', 'no able earner among 2 members']);
    expect(r.reasonsZh[0]).toBe('主要劳动力陈*于2026-10-03去世（公安）');
    // another earner left still scores the loss: 1 earner for 2 dependants (40) + 30
    const withEarner = scoreLabourCapacity(bereaved({ members: 3, workingAge: 2, ableEarners: 1 }), cfg);
    expect(withEarner.score).toBe(70);
    expect(withEarner.reasons[0]).toBe('the main earner 陈* died on 2026-10-03 (公安)');
  });

  it('takes the roster income declared with the earner as unknown, adds the death in the economic dimension, and names both', () => {
    const r = scoreEconomic(bereaved(), cfg);
    // unknown 45 + the death 25, where the roster's 4,500 for 2 would have scored nothing
    expect(r.score).toBe(70);
    expect(r.reasons).toEqual([
      "household income unknown since the main earner died: the roster's 4,500 yuan a month was declared with them (counted as the edge band until a visit verifies it)",
      'the main earner 陈* died on 2026-10-03 (公安)',
    ]);
    expect(r.reasonsZh[1]).toBe('主要劳动力陈*于2026-10-03去世（公安）');
    expect(scoreEconomic(bereaved({ membership: NO_MEMBERSHIP_CHANGE }), cfg).score).toBe(0);
  });

  it('keeps a roster income that is under the line over the members left: more hardship is not made less', () => {
    const r = scoreEconomic(bereaved({ monthlyIncome: 1_200 }), cfg);
    // 600 a person: under the line 86 + 14 x 0.4, + 25, at most 100
    expect(r.score).toBe(100);
    expect(r.reasons[0]).toBe('income 600 yuan per person a month, under the local dibao standard of 1,000 yuan');
  });

  it('routes it to a visit that verifies the income, not by the figure declared with the earner', () => {
    expect(suggestRoute(bereaved(), 40, cfg)).toMatchObject({ route: 'assess', rule: expect.stringContaining('household income not on record') });
    // with the roster's 1,200 for the two left, under the line, the figure still routes it to dibao
    expect(suggestRoute(bereaved({ monthlyIncome: 1_200 }), 40, cfg)!.route).toBe('dibao');
  });

  it('puts the household on the list, over the warning line', () => {
    const a = assessHousehold(bereaved(), '2026-10', cfg);
    expect(a.onList).toBe(true);
    expect(a.reasons.find((x) => x.dimension === 'labour_capacity')!.text).toContain('the main earner 陈* died on 2026-10-03 (公安)');
  });

  it('is the config\'s to weigh', () => {
    const none = parseConfig({ economic: { mainEarnerDied: 0 }, labourCapacity: { mainEarnerDied: 0 } }).config;
    expect(scoreEconomic(bereaved(), none).score).toBe(45);
  });
});

describe('a member who died or moved away no longer counts', () => {
  it('a death that was not the main earner names nothing and adds nothing: the counts are the living', () => {
    // 2,400 for the two left: 1,200 each, the edge band (51.6); the grandmother who died is no member
    const h = facts({ members: 2, minors: 0, monthlyIncome: 2_400, previousMonthlyIncome: 2_400, membership: membership({ died: 1, leftOn: '2026-10-15', memberLeft: '黄*' }) });
    const r = scoreEconomic(h, cfg);
    expect(r.score).toBeCloseTo(51.6, 10);
    expect(r.reasons).toEqual(['income 1,200 yuan per person a month, 1.20x the dibao standard of 1,000 yuan (edge band under 1.5x)']);
    expect(scoreLabourCapacity(h, cfg).reasons.join(' ')).not.toContain('died');
  });
});

describe('a covered household nobody is left in (公安)', () => {
  it('whose only member died is flagged for review, and not warned', () => {
    const h = livingAlone(80, { assistance: 'dibao', monthlyIncome: 600, membership: membership({ died: 1, leftOn: '2026-09-20', memberLeft: '赵*', everyoneLeft: true }) });
    expect(reviewReasons(h, 0, cfg)).toContainEqual({
      text: 'covered by dibao; its only member 赵* died on 2026-09-20 (公安): review (stop or transfer the assistance)',
      text_zh: '已享受低保；唯一成员赵*已于2026-09-20去世（公安）：请复核（停发或转移救助）',
    });
    const a = assessHousehold(h, '2026-10', cfg);
    expect(a.onList).toBe(false);
    expect(a.review.length).toBeGreaterThan(0);
  });

  it('that moved away is flagged for review, in words for several members', () => {
    const h = facts({ assistance: 'tekun', membership: membership({ movedOut: 3, leftOn: '2026-10-05', everyoneLeft: true }) });
    expect(reviewReasons(h, 0, cfg).map((r) => r.text)).toContain(
      'covered by tekun; all 3 members moved out of the jurisdiction, the last on 2026-10-05 (公安): review (stop or transfer the assistance)',
    );
  });

  it('uncovered, is neither warned nor reviewed: nobody is left to visit', () => {
    const h = livingAlone(85, { monthlyIncome: 0, membership: membership({ died: 1, leftOn: '2026-10-01', memberLeft: '钱*', everyoneLeft: true }) });
    const a = assessHousehold(h, '2026-10', cfg);
    expect(a.total).toBeGreaterThan(cfg.warningThreshold);
    expect(a.onList).toBe(false);
    expect(a.review).toEqual([]);
  });
});
