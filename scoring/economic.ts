import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, share, type Dimension } from './dimension.js';
import { plural, Reasons, yuan, yuanZh, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z.strictObject({
  belowStandard: points,
  belowStandardDepth: points,
  edgeBandMultiple: z.number().min(1).max(5),
  edgeBand: points,
  incomeUnknown: points,
  incomeFallShare: share,
  incomeFall: points,
  perUnemployedAdult: points,
});

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
  // The roster's income is what civil affairs last verified, often years ago; a pension is a
  // verified, current income: the higher of the two is the household's.
  const pensions = h.pensions?.monthly ?? 0;
  const byPensions = pensions > 0 && (h.monthlyIncome === null || pensions > h.monthlyIncome);
  const income = byPensions ? pensions : h.monthlyIncome;

  if (income === null) {
    points += c.incomeUnknown;
    r.add('household income not on record (counted as the edge band until a visit verifies it)', '家庭收入无记录（核实前按低保边缘计）');
  } else {
    if (byPensions) {
      const whose = h.pensions!.members === 1 ? "a member's pension" : "members' pensions";
      r.add(
        `income ${yuan(pensions)} a month: ${whose} (人社); ` + (h.monthlyIncome === null ? 'the roster has no income on record' : `the roster says ${Math.round(h.monthlyIncome).toLocaleString('en-US')}`),
        `月收入${yuanZh(pensions)}：成员养老金（人社）；` + (h.monthlyIncome === null ? '名册无收入记录' : `名册为${yuanZh(h.monthlyIncome)}`),
      );
    }
    const perCapita = income / members;
    // Medical spending only counts against income when it is material (over the medical-burden
    // floor): a small bill must not tip a household sitting on the line.
    const material = h.outOfPocket12m > 0 && h.outOfPocket12m >= cfg.medicalBurden.floorRatio * income * 12;
    const afterMedical = material ? (income - h.outOfPocket12m / 12) / members : perCapita;
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
    // pensions are a floor of what the household has, not all of it: with the roster's income
    // unknown they score no higher than unknown income does, so more pension never adds points
    if (h.monthlyIncome === null) points = Math.min(points, c.incomeUnknown);
    // a fall is the roster's figure against its own last one
    if (h.monthlyIncome !== null && h.previousMonthlyIncome !== null && h.previousMonthlyIncome > 0) {
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
  // registered unemployed with human resources counts as unemployed whatever the roster says
  // (its employment status is as old as its income), once where the roster says so too
  const registered = h.registeredUnemployed;
  const unemployed = h.unemployedAdults + registered.notUnemployedOnRoster;
  if (unemployed > 0) {
    points += unemployed * c.perUnemployedAdult;
    const since = registered.since ? ` since ${registered.since}` : '';
    r.add(
      `${plural(unemployed, 'working-age member')} unemployed` + (registered.members > 0 ? ` (${registered.members} registered unemployed${since} (人社))` : ''),
      `${unemployed}名劳动年龄成员失业` + (registered.members > 0 ? `（${registered.members}名人社登记失业${registered.since ? `，自${registered.since}起` : ''}）` : ''),
    );
  }
  return r.result(points);
}

export const economic: Dimension<'economic', 'economic', typeof schema> = {
  id: 'economic',
  labels: { en: 'economic', zh: '经济状况' },
  weight: 0.35,
  weightWhy:
    'Low income is the legal test of hardship: under the dibao line alone reaches the warning line (0.35 x 86 = 30.1), so no uncovered household under it is missed.',
  section: 'economic',
  schema,
  defaults: {
    // Under the dibao line is the legal definition of hardship: most of the scale. The same holds
    // when income after 12 months' out-of-pocket medical spending falls under it (支出型贫困).
    belowStandard: 86,
    // Up to this much more the further under the line the household is (zero income scores 100).
    belowStandardDepth: 14,
    // The "dibao edge" band (低保边缘) is income under 1.5x the standard in most provinces.
    edgeBandMultiple: 1.5,
    edgeBand: 45,
    // Unknown income is not evidence of comfort: it counts as the edge band until a visit verifies it.
    incomeUnknown: 45,
    // A fall of 30% or more in a month is the kind of shock (lost job, death of an earner) to catch early.
    incomeFallShare: 0.3,
    incomeFall: 20,
    perUnemployedAdult: 15,
  },
  facts: ['monthlyIncome', 'previousMonthlyIncome', 'members', 'dibaoStandard', 'outOfPocket12m', 'unemployedAdults', 'pensions', 'registeredUnemployed'],
  sources: [
    { from: 'civil-affairs', months: 'period' },
    { from: 'dibao-standards', months: 'reference' },
    { from: 'medical-insurance', months: 'claims-window' },
    { from: 'human-resources', months: 'period', note: 'pensions, unemployment registrations' },
  ],
  score: scoreEconomic,
};
