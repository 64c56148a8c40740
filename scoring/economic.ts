import type { SafetynetConfig } from '../src/config/schema.js';
import { plural, Reasons, yuan, yuanZh, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/**
 * Economic status: per-capita income against the local dibao standard (also after 12 months'
 * material out-of-pocket medical spending, the test of expenditure-type hardship), a sudden
 * fall in income, working-age unemployment.
 */
export function scoreEconomic(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.economic;
  const r = new Reasons();
  let points = 0;
  const line = h.dibaoStandard;
  const members = Math.max(1, h.members);
  const belowLine = (perCapita: number) => c.belowStandard + (c.belowStandardDepth * (line - Math.max(0, perCapita))) / line;

  if (h.monthlyIncome === null) {
    points += c.incomeUnknown;
    r.add('household income not on record (counted as the edge band until a visit verifies it)', '家庭收入无记录（核实前按低保边缘计）');
  } else {
    const perCapita = h.monthlyIncome / members;
    // Medical spending only counts against income when it is material (over the medical-burden
    // floor): a small bill must not tip a household sitting on the line.
    const material = h.outOfPocket12m > 0 && h.outOfPocket12m >= cfg.medicalBurden.floorRatio * h.monthlyIncome * 12;
    const afterMedical = material ? (h.monthlyIncome - h.outOfPocket12m / 12) / members : perCapita;
    const left = Math.max(0, afterMedical);
    const medicalMonthly = h.outOfPocket12m / 12;
    if (perCapita < line) {
      // depth is measured on the lower figure, so more income never scores higher
      points += belowLine(Math.min(perCapita, afterMedical));
      const after = afterMedical < perCapita;
      r.add(
        `income ${yuan(perCapita)} per person a month, under the local dibao standard of ${yuan(line)}` +
          (after ? ` (${yuan(left)} after out-of-pocket medical spending)` : ''),
        `人均月收入${yuanZh(perCapita)}，低于当地低保标准${yuanZh(line)}` + (after ? `（扣除自付医疗费后${yuanZh(left)}）` : ''),
      );
    } else if (afterMedical < line) {
      points += belowLine(afterMedical);
      r.add(
        `after out-of-pocket medical spending (${yuan(medicalMonthly)} a month) income is ${yuan(left)} per person, under the local dibao standard of ${yuan(line)}`,
        `扣除自付医疗费（每月${yuanZh(medicalMonthly)}）后人均月收入${yuanZh(left)}，低于当地低保标准${yuanZh(line)}`,
      );
    } else if (afterMedical < line * c.edgeBandMultiple) {
      points += c.edgeBand;
      const after = afterMedical < perCapita;
      const shown = after ? afterMedical : perCapita;
      r.add(
        (after ? `after out-of-pocket medical spending (${yuan(medicalMonthly)} a month) income is ` : 'income ') +
          `${yuan(shown)} per person a month, ${(shown / line).toFixed(2)}x the dibao standard of ${yuan(line)} (edge band under ${c.edgeBandMultiple}x)`,
        (after ? `扣除自付医疗费（每月${yuanZh(medicalMonthly)}）后` : '') +
          `人均月收入${yuanZh(shown)}，为低保标准${yuanZh(line)}的${(shown / line).toFixed(2)}倍（低保边缘：${c.edgeBandMultiple}倍以下）`,
      );
    }
    if (h.previousMonthlyIncome !== null && h.previousMonthlyIncome > 0) {
      const fall = (h.previousMonthlyIncome - h.monthlyIncome) / h.previousMonthlyIncome;
      if (fall >= c.incomeFallShare) {
        points += c.incomeFall;
        const pct = Math.round(fall * 100);
        r.add(
          `household income fell ${pct}% since last period (${yuan(h.previousMonthlyIncome)} to ${yuan(h.monthlyIncome)} a month)`,
          `家庭收入比上期下降${pct}%（每月${yuanZh(h.previousMonthlyIncome)}降至${yuanZh(h.monthlyIncome)}）`,
        );
      }
    }
  }
  if (h.unemployedAdults > 0) {
    points += h.unemployedAdults * c.perUnemployedAdult;
    r.add(`${plural(h.unemployedAdults, 'working-age member')} unemployed`, `${h.unemployedAdults}名劳动年龄成员失业`);
  }
  return r.result(points);
}
