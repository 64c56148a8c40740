import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, plural, yuan, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/**
 * Economic status: per-capita income against the local dibao standard (also after 12 months'
 * out-of-pocket medical spending, the test of expenditure-type hardship), a sudden fall in
 * income, working-age unemployment.
 */
export function scoreEconomic(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.economic;
  const reasons: string[] = [];
  let points = 0;
  const line = h.dibaoStandard;
  const members = Math.max(1, h.members);
  const belowLine = (perCapita: number) => c.belowStandard + (c.belowStandardDepth * (line - Math.max(0, perCapita))) / line;

  if (h.monthlyIncome === null) {
    points += c.incomeUnknown;
    reasons.push('household income not on record (counted as the edge band until a visit verifies it)');
  } else {
    const perCapita = h.monthlyIncome / members;
    // Medical spending only counts against income when it is material (over the medical-burden
    // floor): a small bill must not tip a household sitting on the line.
    const material = h.outOfPocket12m > 0 && h.outOfPocket12m >= cfg.medicalBurden.floorRatio * h.monthlyIncome * 12;
    const afterMedical = material ? (h.monthlyIncome - h.outOfPocket12m / 12) / members : perCapita;
    // depth is measured on the lower figure, so more income never scores higher
    const effective = Math.min(perCapita, afterMedical);
    if (perCapita < line) {
      points += belowLine(effective);
      reasons.push(
        `income ${yuan(perCapita)} per person a month, under the local dibao standard of ${yuan(line)}` +
          (afterMedical < perCapita ? ` (${yuan(Math.max(0, afterMedical))} after out-of-pocket medical spending)` : ''),
      );
    } else if (afterMedical < line) {
      points += belowLine(afterMedical);
      reasons.push(
        `after out-of-pocket medical spending (${yuan(h.outOfPocket12m / 12)} a month) income is ${yuan(Math.max(0, afterMedical))} per person, under the local dibao standard of ${yuan(line)}`,
      );
    } else if (perCapita < line * c.edgeBandMultiple) {
      points += c.edgeBand;
      reasons.push(
        `income ${yuan(perCapita)} per person a month, ${(perCapita / line).toFixed(2)}x the dibao standard of ${yuan(line)} (edge band under ${c.edgeBandMultiple}x)`,
      );
    }
    if (h.previousMonthlyIncome !== null && h.previousMonthlyIncome > 0) {
      const fall = (h.previousMonthlyIncome - h.monthlyIncome) / h.previousMonthlyIncome;
      if (fall >= c.incomeFallShare) {
        points += c.incomeFall;
        reasons.push(`household income fell ${Math.round(fall * 100)}% since last period (${yuan(h.previousMonthlyIncome)} to ${yuan(h.monthlyIncome)} a month)`);
      }
    }
  }
  if (h.unemployedAdults > 0) {
    points += h.unemployedAdults * c.perUnemployedAdult;
    reasons.push(`${plural(h.unemployedAdults, 'working-age member')} unemployed`);
  }
  return { score: clamp100(points), reasons };
}
