import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, type Dimension } from './dimension.js';
import { Reasons, yuan, yuanZh, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z
  .strictObject({
    floorRatio: z.number().min(0),
    catastrophicRatio: z.number().positive(),
    catastrophicPoints: points,
    hardshipRatio: z.number().positive(),
  })
  .refine((c) => c.floorRatio < c.catastrophicRatio && c.catastrophicRatio < c.hardshipRatio, 'ratios must satisfy floorRatio < catastrophicRatio < hardshipRatio');

/**
 * Medical expense burden ("expenditure-type hardship"): out-of-pocket spending over 12 months
 * against the household's yearly income. Without an income on record the household's yearly
 * dibao line (members x standard x 12) stands in for it, so a big bill still counts.
 */
export function scoreMedicalBurden(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.medicalBurden;
  const r = new Reasons();
  if (h.outOfPocket12m <= 0) return r.result(0);
  const incomeKnown = h.monthlyIncome !== null;
  const yearly = incomeKnown ? h.monthlyIncome! * 12 : h.dibaoStandard * Math.max(1, h.members) * 12;
  const oop = `out-of-pocket medical ${yuan(h.outOfPocket12m)} in 12 months`;
  const oopZh = `近12个月个人自付医疗费${yuanZh(h.outOfPocket12m)}`;
  if (yearly <= 0) {
    r.add(`${oop} with no household income`, `${oopZh}，家庭无收入`, ['medical-insurance']);
    return r.result(100);
  }
  const ratio = h.outOfPocket12m / yearly;
  let points: number;
  if (ratio >= c.hardshipRatio) points = 100;
  else if (ratio >= c.catastrophicRatio) {
    points = c.catastrophicPoints + ((100 - c.catastrophicPoints) * (ratio - c.catastrophicRatio)) / (c.hardshipRatio - c.catastrophicRatio);
  } else if (ratio >= c.floorRatio) {
    points = (c.catastrophicPoints * (ratio - c.floorRatio)) / (c.catastrophicRatio - c.floorRatio);
  } else points = 0;
  if (points > 0) {
    r.add(
      `${oop}, ${ratio.toFixed(1)}x ${incomeKnown ? 'household yearly income' : 'the household yearly dibao line (income not on record)'}`,
      `${oopZh}，为${incomeKnown ? '家庭年收入' : '家庭年低保线（收入无记录）'}的${ratio.toFixed(1)}倍`,
      ['medical-insurance'],
    );
  }
  return r.result(points);
}

export const medicalBurden: Dimension<'medical_burden', 'medicalBurden', typeof schema> = {
  id: 'medical_burden',
  labels: { en: 'medical burden', zh: '医疗支出负担' },
  weight: 0.25,
  weightWhy: '"Expenditure-type hardship" (支出型贫困) is what income-only checks miss: weigh it next to income.',
  section: 'medicalBurden',
  schema,
  defaults: {
    // Out-of-pocket spending under 10% of yearly income is ordinary.
    floorRatio: 0.1,
    // WHO's catastrophic health spending line: 40% of capacity to pay.
    catastrophicRatio: 0.4,
    catastrophicPoints: 60,
    // Spending at or above yearly income is expenditure-type hardship: full score.
    hardshipRatio: 1.0,
  },
  facts: ['outOfPocket12m', 'monthlyIncome', 'dibaoStandard', 'members'],
  sources: [
    { from: 'medical-insurance', months: 'claims-window' },
    { from: 'civil-affairs', months: 'period' },
  ],
  score: scoreMedicalBurden,
};
