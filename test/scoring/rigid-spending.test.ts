import { describe, expect, it } from 'vitest';
import { scoreEconomic } from '../../scoring/economic.js';
import { disposablePerCapita, rigidSpending } from '../../scoring/rigid-spending.js';
import { suggestRoute } from '../../scoring/route.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

/**
 * Rigid spending (支出型困难): 12 months' out-of-pocket medical costs, this school year's fees
 * (at most rigidSpending.schoolFeesCapPerStudent, 10,000 yuan, a student) and 12 months' disaster
 * loss, against income, in the economic dimension and the route alike. Dibao standard in facts:
 * 1,000; defaults: under the line 86 + 14 x depth, edge band (under 1.5x) 45; spending counts
 * once it is 10% of yearly income (the medical-burden floor).
 */
const cfg = parseConfig(undefined).config;
const CAP = cfg.rigidSpending.schoolFeesCapPerStudent;
const student = (feesPaid: number, stage: 'high_school' | 'secondary_vocational' | 'higher' = 'higher') => ({ stage, feesPaid });
const disaster = (loss: number) => ({ loss, count: loss > 0 ? 1 : 0, latest: loss > 0 ? { event: '暴雨洪涝', on: '2026-07-20' } : null, houseDamaged: false });
// three people on 3,300 a month: 1,100 each, just over the standard (the edge band)
const edgeFamily = (over: Parameters<typeof facts>[0] = {}) => facts({ monthlyIncome: 3_300, previousMonthlyIncome: 3_300, ...over });

describe('rigid spending', () => {
  it('adds medical costs, school fees capped per student, and disaster loss', () => {
    const s = rigidSpending(edgeFamily({ outOfPocket12m: 1_200, students: [student(15_000), student(4_000, 'high_school')], disasters: disaster(30_000) }), cfg);
    expect(s).toEqual({ medical: 1_200, schoolFees: CAP + 4_000, capped: true, disaster: 30_000, total: 1_200 + CAP + 4_000 + 30_000 });
  });

  it('holds the cap: fees above it count as the cap, per student', () => {
    expect(CAP).toBe(10_000);
    for (const fees of [CAP, CAP + 1, 15_000, 80_000, 1e9]) {
      expect(rigidSpending(edgeFamily({ students: [student(fees)] }), cfg).schoolFees, `fees ${fees}`).toBe(CAP);
      expect(rigidSpending(edgeFamily({ students: [student(fees), student(fees)] }), cfg).schoolFees).toBe(2 * CAP);
    }
    const capped = scoreEconomic(edgeFamily({ students: [student(CAP)] }), cfg);
    const above = scoreEconomic(edgeFamily({ students: [student(40_000)] }), cfg);
    expect(above.score).toBe(capped.score);
  });

  it('school fees tip an edge-band household into expenditure-type hardship, named in the reason and the route', () => {
    const before = scoreEconomic(edgeFamily(), cfg);
    // 1,100 per person, 1.1x: 86 x 0.4 / 0.5 = 68.8
    expect(before.score).toBeCloseTo(68.8, 10);
    const h = edgeFamily({ students: [student(8_000)], schoolYear: 2026 });
    const r = scoreEconomic(h, cfg);
    // (3,300 - 8,000 / 12) / 3 = 877.8: 86 + 14 x 0.1222
    expect(r.score).toBeCloseTo(86 + (14 * (1_000 - (3_300 - 8_000 / 12) / 3)) / 1_000, 10);
    expect(r.reasons).toEqual([
      'after rigid spending of 667 yuan a month (school fees 8,000 yuan this school year) income is 878 yuan per person, under the local dibao standard of 1,000 yuan',
    ]);
    expect(r.reasonsZh).toEqual(['扣除刚性支出（每月667元：本学年学杂费8,000元）后人均月收入878元，低于当地低保标准1,000元']);
    const route = suggestRoute(h, 60, cfg)!;
    expect(route.route).toBe('expenditure_hardship');
    expect(route.rule).toBe(
      'per-capita income 1,100 yuan a month, but 878 yuan after rigid spending (school fees 8,000 yuan this school year): under the dibao standard of 1,000 yuan',
    );
    expect(route.ruleZh).toBe('人均月收入1,100元，扣除刚性支出（本学年学杂费8,000元）后为878元，低于低保标准1,000元');
  });

  it('names every part that is not zero, and the cap when it held', () => {
    const h = edgeFamily({ outOfPocket12m: 2_400, students: [student(12_000)], disasters: disaster(6_000) });
    const r = scoreEconomic(h, cfg);
    expect(r.reasons[0]).toBe(
      'after rigid spending of 1,533 yuan a month (out-of-pocket medical 2,400 yuan in 12 months, school fees 10,000 yuan this school year ' +
        '(at most 10,000 yuan a student), disaster loss 6,000 yuan in 12 months) income is 589 yuan per person, under the local dibao standard of 1,000 yuan',
    );
    expect(r.reasonsZh[0]).toBe(
      '扣除刚性支出（每月1,533元：12个月自付医疗费2,400元、本学年学杂费10,000元（每名学生最多计10,000元）、12个月灾害损失6,000元）后人均月收入589元，低于当地低保标准1,000元',
    );
    expect(r.reasons[1]).toBe('disaster (应急): 暴雨洪涝 on 2026-07-20, loss 6,000 yuan');
  });

  it('keeps the medical-only words where there are no fees and no disaster', () => {
    const r = scoreEconomic(edgeFamily({ outOfPocket12m: 6_000 }), cfg);
    expect(r.reasons[0]).toBe('after out-of-pocket medical spending (500 yuan a month) income is 933 yuan per person, under the local dibao standard of 1,000 yuan');
    expect(suggestRoute(edgeFamily({ outOfPocket12m: 6_000 }), 60, cfg)!.rule).toBe(
      'per-capita income 1,100 yuan a month, but 933 yuan after out-of-pocket medical spending (6,000 yuan in 12 months): under the dibao standard of 1,000 yuan',
    );
  });

  it('a small fee does not count: under the floor of 10% of yearly income', () => {
    const h = edgeFamily({ students: [student(3_000)] });
    expect(disposablePerCapita(h, 3_300, cfg).material).toBe(false);
    expect(scoreEconomic(h, cfg).score).toBeCloseTo(68.8, 10);
    expect(suggestRoute(h, 60, cfg)!.route).toBe('dibao_edge');
  });

  it('more school fees or disaster loss never lower the economic points', () => {
    for (const income of [null, 0, 900, 2_400, 3_300, 4_400, 6_000, 20_000]) {
      for (const oop of [0, 2_000, 40_000]) {
        for (const pensions of [null, { monthly: 3_000, members: 1 }]) {
          let last = -Infinity;
          for (const fees of [0, 500, 3_000, 8_000, CAP, 15_000, 60_000]) {
            const h = facts({ monthlyIncome: income, previousMonthlyIncome: income, outOfPocket12m: oop, pensions, students: [student(fees), student(fees / 2)] });
            const score = scoreEconomic(h, cfg).score;
            expect(score, `income ${income}, out of pocket ${oop}, fees ${fees}`).toBeGreaterThanOrEqual(last);
            last = score;
          }
          last = -Infinity;
          for (const loss of [0, 2_000, 5_000, 20_000, 80_000, 1e7]) {
            const score = scoreEconomic(facts({ monthlyIncome: income, previousMonthlyIncome: income, outOfPocket12m: oop, pensions, disasters: disaster(loss) }), cfg).score;
            expect(score, `income ${income}, out of pocket ${oop}, loss ${loss}`).toBeGreaterThanOrEqual(last);
            last = score;
          }
        }
      }
    }
  });
});
