import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, yuan, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/**
 * Medical expense burden ("expenditure-type hardship"): out-of-pocket spending over 12 months
 * against the household's yearly income. Without an income on record the household's yearly
 * dibao line (members x standard x 12) stands in for it, so a big bill still counts.
 */
export function scoreMedicalBurden(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.medicalBurden;
  if (h.outOfPocket12m <= 0) return { score: 0, reasons: [] };
  const incomeKnown = h.monthlyIncome !== null;
  const yearly = incomeKnown ? h.monthlyIncome! * 12 : h.dibaoStandard * Math.max(1, h.members) * 12;
  const against = incomeKnown ? 'household yearly income' : 'the household yearly dibao line (income not on record)';
  const oop = `out-of-pocket medical ${yuan(h.outOfPocket12m)} in 12 months`;
  if (yearly <= 0) return { score: 100, reasons: [`${oop} with no household income`] };

  const ratio = h.outOfPocket12m / yearly;
  let points: number;
  if (ratio >= c.hardshipRatio) points = 100;
  else if (ratio >= c.catastrophicRatio) {
    points = c.catastrophicPoints + ((100 - c.catastrophicPoints) * (ratio - c.catastrophicRatio)) / (c.hardshipRatio - c.catastrophicRatio);
  } else if (ratio >= c.floorRatio) {
    points = (c.catastrophicPoints * (ratio - c.floorRatio)) / (c.catastrophicRatio - c.floorRatio);
  } else points = 0;
  const reasons = points > 0 ? [`${oop}, ${ratio.toFixed(1)}x ${against}`] : [];
  return { score: clamp100(points), reasons };
}
