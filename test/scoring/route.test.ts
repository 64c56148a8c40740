import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { reviewReasons, suggestRoute } from '../../scoring/route.js';
import { facts, livingAlone } from './facts.js';

/**
 * The suggested programme, one household per rule, in the order the rules are tried. The
 * standard is 1,000 yuan per person a month; the edge band is under 1.5x; temporary assistance
 * needs 5,000 yuan and twice the monthly income out of pocket in the last 3 months.
 */
const cfg = parseConfig(undefined).config;
const route = (f: Parameters<typeof suggestRoute>[0], total = 40) => suggestRoute(f, total, cfg);

describe('suggested route', () => {
  it('dibao: per-capita income under the standard', () => {
    const r = route(facts({ monthlyIncome: 2_400 })); // 800 a person
    expect(r?.route).toBe('dibao');
    expect(r?.rule).toBe('per-capita income 800 yuan a month is under the dibao standard of 1,000 yuan');
    expect(r?.ruleZh).toBe('人均月收入800元，低于低保标准1,000元');
  });

  it('expenditure-type hardship: above the edge band, under the standard after 12 months of medical bills', () => {
    // 1,800 a person (1.8x), 90,000 out of pocket = 2,500 a person a month: disposable -700
    const r = route(facts({ monthlyIncome: 5_400, outOfPocket12m: 90_000 }));
    expect(r?.route).toBe('expenditure_hardship');
    expect(r?.rule).toContain('but 0 yuan after out-of-pocket medical spending (90,000 yuan in 12 months)');
  });

  it('expenditure-type hardship also inside the edge band when the bills push it under the standard', () => {
    expect(route(facts({ monthlyIncome: 3_600, outOfPocket12m: 12_000 }))?.route).toBe('expenditure_hardship'); // 1,200 → 866
  });

  it('single-person coverage: a severely disabled member in a household above the standard', () => {
    const r = route(facts({ monthlyIncome: 3_300, mostSevereGrade: 1, disabledMembers: 1, severeMembers: 1 })); // 1,100 a person
    expect(r?.route).toBe('single_person');
    expect(r?.rule).toContain('a member has a severe disability (grade 1-2)');
  });

  it('dibao edge: under 1.5x the standard, nobody severe, bills small', () => {
    const r = route(facts({ monthlyIncome: 3_900 })); // 1,300 a person
    expect(r).toEqual({
      route: 'dibao_edge',
      rule: 'per-capita income 1,300 yuan a month is 1.30x the dibao standard of 1,000 yuan (edge band under 1.5x)',
      ruleZh: '人均月收入1,300元，为低保标准1,000元的1.30倍（低于1.5倍）',
      confidence: 'high',
    });
  });

  it('temporary assistance: a large recent bill without a lasting income problem', () => {
    // 2,000 a person, 6,000 a month; 14,000 out of pocket in the last 3 months (2.33x the monthly income)
    const r = route(facts({ monthlyIncome: 6_000, outOfPocket12m: 14_000, recentOutOfPocket: 14_000 }));
    expect(r?.route).toBe('temporary');
    expect(r?.rule).toBe(
      "out-of-pocket medical 14,000 yuan settled in the last 3 months, 2.33x the household's monthly income, without a lasting income problem",
    );
    // the same bill spread over the year before does not count as sudden
    expect(route(facts({ monthlyIncome: 6_000, outOfPocket12m: 14_000, recentOutOfPocket: 2_000 }))?.route).toBe('assess');
    // nor does a bill under the 5,000 yuan floor, even against a small income
    expect(route(facts({ monthlyIncome: 4_800, outOfPocket12m: 4_900, recentOutOfPocket: 4_900 }))?.route).not.toBe('temporary');
  });

  it('gradual-exit watch: left dibao in the window, still warned, and no other rule matches', () => {
    const left = { period: '2026-07', programme: 'dibao', total: 50 };
    const r = route(facts({ monthlyIncome: 6_000, leftAssistance: left }), 44);
    expect(r?.route).toBe('exit_watch');
    expect(r?.rule).toBe('left dibao after 2026-07 (score then 50.0, now 44.0) and still in hardship: watch the gradual exit');
    // income unknown after leaving: watched, not merely "assess"
    expect(route(facts({ monthlyIncome: null, leftAssistance: left }), 20)?.route).toBe('exit_watch');
    // out of hardship: under the threshold with income well above the edge band
    expect(route(facts({ monthlyIncome: 6_000, leftAssistance: left }), 25)?.route).toBe('assess');
    // back under the standard: dibao again is the route (the review flag says it left)
    expect(route(facts({ monthlyIncome: 2_400, leftAssistance: left }), 35)?.route).toBe('dibao');
  });

  it('assess: income unknown, or warned for reasons no programme rule covers', () => {
    expect(route(facts({ monthlyIncome: null }))?.rule).toContain('income not on record');
    expect(route(livingAlone(85))?.route).toBe('assess'); // 3,000 pension: care, not money
  });

  it('covered households get no route: they are reviewed instead', () => {
    expect(route(facts({ monthlyIncome: 800, assistance: 'dibao' }))).toBeNull();
    expect(route(facts({ monthlyIncome: 800, assistance: 'tekun' }))).toBeNull();
    // dibao edge and temporary assistance are not full coverage: still routed
    expect(route(facts({ monthlyIncome: 2_400, assistance: 'dibao_edge' }))?.route).toBe('dibao');
  });
});

describe('review reasons', () => {
  it('a covered household whose income is now well above the standard', () => {
    const reasons = reviewReasons(facts({ assistance: 'dibao', monthlyIncome: 6_600 }), 10, cfg); // 2,200 a person
    expect(reasons.map((r) => r.text)).toEqual([
      'covered by dibao, but per-capita income 2,200 yuan a month is 2.20x the dibao standard: review whether it still fits',
    ]);
    expect(reviewReasons(facts({ assistance: 'dibao', monthlyIncome: 5_400 }), 10, cfg)).toEqual([]); // 1.8x: not yet
  });

  it('a covered household whose severely ill member recovered, or is gone from the records', () => {
    const recovered = reviewReasons(facts({ assistance: 'tekun', monthlyIncome: 900, severeMembersRecovered: 1 }), 40, cfg);
    expect(recovered.map((r) => r.text)).toEqual([
      'covered by tekun; a member with a severe illness or disability in 2026-09 no longer has one on record (recovered?): review',
    ]);
    const gone = reviewReasons(facts({ assistance: 'dibao', monthlyIncome: 900, severeMembersGone: 2 }), 40, cfg);
    expect(gone[0]?.text).toContain("2 members with a severe illness or disability in 2026-09 are no longer in the household's records");
    expect(gone[0]?.text_zh).toContain('已不在本户记录中');
  });

  it('an uncovered household that left dibao and is still in hardship; not once it is out', () => {
    const left = { period: '2026-08', programme: 'dibao', total: 48 };
    // 1,300 a person: still in the edge band, even under the threshold
    const edge = reviewReasons(facts({ monthlyIncome: 3_900, leftAssistance: left }), 22, cfg);
    expect(edge.map((r) => r.text)).toEqual([
      'left dibao after 2026-08 and still in hardship (score 48.0 then, 22.0 now): review before the support ends for good',
    ]);
    expect(reviewReasons(facts({ monthlyIncome: 6_000, leftAssistance: left }), 20, cfg)).toEqual([]);
  });

  it('an ordinary household is never flagged', () => {
    expect(reviewReasons(facts(), 5, cfg)).toEqual([]);
  });
});
