import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, share, type Dimension } from './dimension.js';
import { incomeDeclaredWithMainEarner, mainEarnerDiedReason, plural, Reasons, wholeYuan, yuan, yuanZh, type DimensionScore, type HouseholdFacts } from './household-facts.js';
import { isCovered } from './route.js';
import { disposablePerCapita, lowIncome, spendingFrom, spendingMonthly, spendingNames } from './rigid-spending.js';
import { verifiedIncome, verifiedIncomeReason } from './asset-check.js';

const schema = z.strictObject({
  belowStandard: points,
  belowStandardDepth: points,
  edgeBandMultiple: z.number().gt(1).max(5),
  incomeUnknown: points,
  incomeFallShare: share,
  incomeFall: points,
  perUnemployedAdult: points,
  mainEarnerDied: points,
  dangerousHouseLowIncome: points,
  housingFundRate: z.number().gt(0).max(1),
  verifiedIncomeMultiple: z.number().min(1).max(20),
});

/**
 * Points for per-capita income as a multiple of the standard (after rigid spending, when it is
 * material): continuous and never rising with income. Under the standard, `belowStandard` at the
 * line and up to `belowStandardDepth` more the deeper under it; over it, falling in a straight
 * line to 0 at the edge of the dibao edge band (`edgeBandMultiple`), so that 1.05x scores far
 * more than 1.45x, as far more of the households there are found eligible.
 */
export function incomePoints(multiple: number, c: { belowStandard: number; belowStandardDepth: number; edgeBandMultiple: number }): number {
  if (multiple <= 1) return c.belowStandard + c.belowStandardDepth * (1 - Math.max(0, multiple));
  if (multiple >= c.edgeBandMultiple) return 0;
  return (c.belowStandard * (c.edgeBandMultiple - multiple)) / (c.edgeBandMultiple - 1);
}

/**
 * Economic status: per-capita income against the local dibao standard (also after a year's
 * material rigid spending: out-of-pocket medical costs, school fees, disaster loss; the test of
 * expenditure-type hardship, scoring/rigid-spending.ts), a sudden fall in income, working-age
 * unemployment, a grade-D dangerous house in a low-income household; a recent disaster is named.
 */
export function scoreEconomic(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.economic;
  const r = new Reasons();
  let points = 0;
  const line = h.dibaoStandard;
  const members = Math.max(1, h.members);
  // The roster's income is what civil affairs last verified, often years ago; a pension is a
  // verified, current income: the higher of the two is the household's.
  const pensions = h.pensions?.monthly ?? 0;
  // the roster's income declared with a main earner who has died counts as unknown until a visit
  // verifies it (public-security, 公安); the pensions of the members left are still theirs
  const bereaved = h.membership.mainEarnerDied;
  const declaredWithEarner = incomeDeclaredWithMainEarner(h);
  const roster = declaredWithEarner ? null : h.monthlyIncome;
  const byPensions = pensions > 0 && (roster === null || pensions > roster);
  const income = byPensions ? pensions : roster;
  // housing-fund wages far above the roster's figure (核对) are named, not scored: a verification
  // never takes a household off the list (scoring/asset-check.ts)
  const verified = verifiedIncome(h, cfg);
  if (verified) {
    const why = verifiedIncomeReason(verified, h, income === null ? 'unknown' : byPensions ? 'pensions' : 'roster', cfg);
    r.add(why.en, why.zh, ['verification']);
  }

  if (income === null) {
    points += c.incomeUnknown;
    if (declaredWithEarner) {
      r.add(
        `household income unknown since the main earner died: the roster's ${yuan(h.monthlyIncome!)} a month was declared with them (counted as the edge band until a visit verifies it)`,
        `主要劳动力去世后家庭收入不明：名册的月收入${yuanZh(h.monthlyIncome!)}为其在世时申报（核实前按低保边缘计）`,
        ['public-security'],
      );
    } else {
      r.add('household income not on record (counted as the edge band until a visit verifies it)', '家庭收入无记录（核实前按低保边缘计）');
    }
  } else {
    if (byPensions) {
      const whose = h.pensions!.members === 1 ? "a member's pension" : "members' pensions";
      r.add(
        `income ${yuan(pensions)} a month: ${whose} (人社); ` +
          (h.monthlyIncome === null
            ? 'the roster has no income on record'
            : `the roster says ${wholeYuan(h.monthlyIncome)}` + (declaredWithEarner ? ', declared with the main earner' : '')),
        `月收入${yuanZh(pensions)}：成员养老金（人社）；` +
          (h.monthlyIncome === null ? '名册无收入记录' : `名册为${yuanZh(h.monthlyIncome)}` + (declaredWithEarner ? '（主要劳动力在世时申报）' : '')),
        ['human-resources'],
      );
    }
    const perCapita = income / members;
    // Rigid spending only counts against income when it is material (over the medical-burden
    // floor): a small bill must not tip a household sitting on the line.
    const disposable = disposablePerCapita(h, income, cfg);
    const afterMedical = disposable.perCapita;
    const left = Math.max(0, afterMedical);
    const spent = spendingNames(disposable.spending, cfg);
    const spentMonthly = spendingMonthly(disposable.spending, cfg);
    // the income is the roster's or the pensions'; the spending's, where a reason counts it
    const incomeFrom = [byPensions ? 'human-resources' : 'civil-affairs'];
    const spentFrom = [...incomeFrom, ...spendingFrom(disposable.spending)];
    // one curve on what is left after rigid spending (never more than the income itself), so
    // more income never scores higher and more spending never lower
    points += incomePoints(afterMedical / line, c);
    if (perCapita < line) {
      const after = afterMedical < perCapita;
      r.add(
        `income ${yuan(perCapita)} per person a month, under the local dibao standard of ${yuan(line)}` +
          (after ? ` (${yuan(left)} after ${spent.en})` : ''),
        `人均月收入${yuanZh(perCapita)}，低于当地低保标准${yuanZh(line)}` + (after ? `（扣除${spent.zh}后${yuanZh(left)}）` : ''),
        after ? spentFrom : incomeFrom,
      );
    } else if (afterMedical < line) {
      r.add(
        `after ${spentMonthly.en} income is ${yuan(left)} per person, under the local dibao standard of ${yuan(line)}`,
        `扣除${spentMonthly.zh}后人均月收入${yuanZh(left)}，低于当地低保标准${yuanZh(line)}`,
        spentFrom,
      );
    } else if (afterMedical < line * c.edgeBandMultiple) {
      const after = afterMedical < perCapita;
      const shown = after ? afterMedical : perCapita;
      r.add(
        (after ? `after ${spentMonthly.en} income is ` : 'income ') +
          `${yuan(shown)} per person a month, ${(shown / line).toFixed(2)}x the dibao standard of ${yuan(line)} (edge band under ${c.edgeBandMultiple}x)`,
        (after ? `扣除${spentMonthly.zh}后` : '') +
          `人均月收入${yuanZh(shown)}，为低保标准${yuanZh(line)}的${(shown / line).toFixed(2)}倍（低保边缘：${c.edgeBandMultiple}倍以下）`,
        after ? spentFrom : incomeFrom,
      );
    }
    // pensions are a floor of what the household has, not all of it: with the roster's income
    // unknown they score no higher than unknown income does, so more pension never adds points
    if (roster === null) points = Math.min(points, c.incomeUnknown);
    // a fall is the roster's figure against its own last one (not one declared with a dead earner)
    if (roster !== null && h.previousMonthlyIncome !== null && h.previousMonthlyIncome > 0) {
      const fall = (h.previousMonthlyIncome - roster) / h.previousMonthlyIncome;
      if (fall >= c.incomeFallShare) {
        points += c.incomeFall;
        const pct = Math.round(fall * 100);
        r.add(
          `household income fell ${pct}% since last period (${yuan(h.previousMonthlyIncome)} to ${yuan(roster)} a month)`,
          `家庭收入比上期下降${pct}%（每月${yuanZh(h.previousMonthlyIncome)}降至${yuanZh(roster)}）`,
          ['civil-affairs'],
        );
      }
    }
  }
  // A grade-D house (unsafe to live in: 住建) is a need of its own where the household cannot
  // rebuild: covered, income unknown (counted as the edge band), or income after rigid spending
  // under the edge band. A grade-C house is a repair, and a comfortable household's D its own affair.
  const house = h.dangerousHouse;
  if (house?.grade === 'D' && (isCovered(h.assistance) || lowIncome(h, income, cfg))) {
    points += c.dangerousHouseLowIncome;
    const on = house.appraisedOn ? ` on ${house.appraisedOn}` : '';
    r.add(
      `house appraised grade D (dangerous, 住建)${on} in a low-income household: housing assistance (住房救助)`,
      `住房经鉴定为D级危房（住建）${house.appraisedOn ? `，鉴定日期${house.appraisedOn}` : ''}，低收入家庭：可申请住房救助`,
      ['housing'],
    );
  }
  // the disaster's loss counts through rigid spending above; the event itself is named here
  const disasters = h.disasters;
  if (disasters.count > 0 && disasters.latest) {
    const { event, on } = disasters.latest;
    const damaged = disasters.houseDamaged ? ', house damaged' : '';
    const more = disasters.count > 1 ? ` (${disasters.count} disasters in 12 months)` : '';
    r.add(
      `disaster (应急): ${event} on ${on}, loss ${yuan(disasters.loss)}${damaged}${more}`,
      `受灾（应急）：${event}（${on}），损失${yuanZh(disasters.loss)}${disasters.houseDamaged ? '，房屋受损' : ''}${disasters.count > 1 ? `（12个月内受灾${disasters.count}次）` : ''}`,
      ['emergency'],
    );
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
      [...(h.unemployedAdults > 0 ? ['civil-affairs'] : []), ...(registered.members > 0 ? ['human-resources'] : [])],
    );
  }
  // the loss of the household's income itself: a shock the roster cannot show yet
  if (bereaved) {
    points += c.mainEarnerDied;
    const why = mainEarnerDiedReason(bereaved);
    r.add(why.en, why.zh, ['public-security']);
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
    // At the dibao line, the legal definition of hardship: most of the scale, enough to list a
    // household alone (0.35 x 86 = 30.1). The same holds when income after 12 months' rigid
    // spending is at or under it (支出型贫困).
    belowStandard: 86,
    // Up to this much more the further under the line the household is (zero income scores 100):
    // all the scale leaves above the points that list alone (0.2x scores 9.8 more than 0.9x).
    belowStandardDepth: 14,
    // The "dibao edge" band (低保边缘) is income under 1.5x the standard in most provinces: over
    // the line the points fall in a straight line to 0 here (1.1x 68.8, 1.25x 43, 1.4x 17.2).
    edgeBandMultiple: 1.5,
    // Unknown income is not evidence of comfort: it counts as the middle of the edge band (45 is
    // the curve at 1.24x) until a visit verifies it.
    incomeUnknown: 45,
    // A fall of 30% or more in a month is the kind of shock (lost job, death of an earner) to catch early.
    incomeFallShare: 0.3,
    incomeFall: 20,
    perUnemployedAdult: 15,
    // The main earner's death (公安) within populationEvents.recentMonths: more than a fall in
    // income (20), since the roster's figure still counts their earnings; with income unknown
    // (45) it reaches the edge band's top (70 x 0.35 = 24.5), the warning line with labour capacity.
    mainEarnerDied: 25,
    // A grade-D house in a low-income household: unsafe shelter is hardship a household cannot
    // pay its way out of. Enough to rank it above its income alone; with its income it lists only
    // a household within 0.09x over the line (71 + 15 = 86; at 1.25x 43 + 15 = 58 x 0.35 = 20.3):
    // the visit, not the appraisal, decides.
    dangerousHouseLowIncome: 15,
    // A housing-fund contribution is 5-12% of the wage from the employee and as much from the
    // employer (住房公积金管理条例); the wage is read at the 24% maximum, so never overstated.
    housingFundRate: 0.24,
    // Verified income twice the roster's is no rounding or a raise since: the visit checks it.
    verifiedIncomeMultiple: 2,
  },
  facts: [
    'monthlyIncome', 'previousMonthlyIncome', 'members', 'dibaoStandard', 'outOfPocket12m', 'unemployedAdults', 'pensions', 'registeredUnemployed',
    'dangerousHouse', 'disasters', 'students', 'verification', 'membership',
  ],
  sources: [
    { from: 'civil-affairs', months: 'period' },
    { from: 'dibao-standards', months: 'reference' },
    { from: 'medical-insurance', months: 'claims-window' },
    { from: 'human-resources', months: 'period', note: 'pensions, unemployment registrations' },
    { from: 'public-security', months: 'period', note: 'deaths, moves and births' },
    { from: 'housing', months: 'period', note: 'dangerous-housing appraisals' },
    { from: 'emergency', months: 'claims-window', note: 'disaster losses' },
    { from: 'education', months: 'period', note: 'school fees' },
    { from: 'verification', months: 'period', note: 'housing-fund contributions' },
  ],
  score: scoreEconomic,
};
