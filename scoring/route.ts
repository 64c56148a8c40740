import type { SafetynetConfig } from '../src/config/schema.js';
import { incomeDeclaredWithMainEarner, yuan, yuanZh, type HouseholdFacts } from './household-facts.js';
import { routeConfidence } from './asset-check.js';
import { disposablePerCapita, lowIncome, spendingNames } from './rigid-spending.js';

/**
 * From a score to a route: the programme a warned household most likely fits, with the rule that
 * matched, so the street worker knows what to check at the door. A suggestion, never a decision:
 * eligibility is decided by the visit and the application. The first rule that matches wins,
 * in this order (the most specific and most protective programme first):
 *
 * 1. dibao: per-capita income under the local standard;
 * 2. expenditure-type hardship (支出型困难): income not under the standard, but a year's rigid
 *    spending (out-of-pocket medical costs, school fees, disaster loss: scoring/rigid-spending.ts)
 *    pushes disposable per-capita income under it;
 * 3. single-person coverage (单人户施保): income not under the standard, and a member with a severe
 *    disability or illness who may be covered alone;
 * 4. dibao edge (低保边缘): per-capita income under the edge multiple of the standard;
 * 5. temporary assistance: a large recent out-of-pocket bill without a lasting income problem;
 * 6. gradual-exit watch: left dibao or tekun in the last months and not out of hardship since;
 * 7. assess: warned, but no programme rule matched (or income is not on record): a visit decides.
 *
 * A grade-D house in a low-income household adds housing assistance (住房救助) to whichever rule
 * matched, as a note on the rule: a second programme, not another route.
 */

/** Grades 1 to max as a civil-affairs office writes them: 一、二 (级重度残疾). */
const gradesZh = (max: number): string => ['一', '二', '三', '四'].slice(0, Math.max(1, Math.min(4, max))).join('、');

export const routeIds = ['dibao', 'expenditure_hardship', 'single_person', 'dibao_edge', 'temporary', 'exit_watch', 'assess'] as const;
export type RouteId = (typeof routeIds)[number];

export const ROUTE_ZH: Record<RouteId, string> = {
  dibao: '低保',
  expenditure_hardship: '支出型困难',
  single_person: '单人户施保',
  dibao_edge: '低保边缘',
  temporary: '临时救助',
  exit_watch: '渐退观察',
  assess: '入户核实',
};

export interface RouteSuggestion {
  route: RouteId;
  rule: string;
  ruleZh: string;
  /**
   * 'low' when the information verification (核对) flagged assets or a verified income far above
   * the roster's (scoring/asset-check.ts): the rule may rest on an income the household does not
   * have; the visit checks before anyone applies. Never a reason to drop the household.
   */
  confidence: 'high' | 'low';
}

/** A route as the rules match it, before the verification weighs in. */
type MatchedRoute = Omit<RouteSuggestion, 'confidence'>;

export interface ReviewReason {
  text: string;
  text_zh: string;
}

/** Programmes that already cover a household: it is scored and reviewed, not "found". */
export const COVERED = ['dibao', 'tekun'] as const;
export const isCovered = (assistance: string): boolean => (COVERED as readonly string[]).includes(assistance);

const PROGRAMME_ZH: Record<string, string> = { dibao: '低保', tekun: '特困' };
const times = (n: number) => `${n.toFixed(2)}x`;

/**
 * The exit-watch test: left dibao/tekun within the window, and still warned, or income unknown, or
 * per-capita income (after 12 months' medical spending) still under the edge band: the exit did
 * not lift the household out of hardship, it only took the support away.
 */
function exitNotImproved(h: HouseholdFacts, total: number, cfg: SafetynetConfig): boolean {
  if (h.leftAssistance === null) return false;
  if (total >= cfg.warningThreshold || h.monthlyIncome === null) return true;
  return disposablePerCapita(h, h.monthlyIncome, cfg).perCapita < h.dibaoStandard * cfg.economic.edgeBandMultiple;
}

/**
 * The programme an uncovered household most likely fits; null for households already covered.
 * With a grade-D house in a low-income household the rule carries the housing-assistance note;
 * its confidence is what the information verification (核对) leaves of it.
 */
export function suggestRoute(h: HouseholdFacts, total: number, cfg: SafetynetConfig): RouteSuggestion | null {
  const route = routeWithHousing(h, total, cfg);
  return route && { ...route, confidence: routeConfidence(h, cfg) };
}

function routeWithHousing(h: HouseholdFacts, total: number, cfg: SafetynetConfig): MatchedRoute | null {
  const route = programmeRoute(h, total, cfg);
  if (route === null || h.dangerousHouse?.grade !== 'D') return route;
  if (!lowIncome(h, h.monthlyIncome, cfg)) return route;
  const on = h.dangerousHouse.appraisedOn;
  return {
    ...route,
    rule: `${route.rule}; also housing assistance (住房救助): house appraised grade D (dangerous)${on ? ` on ${on}` : ''}`,
    ruleZh: `${route.ruleZh}；另可申请住房救助：住房经鉴定为D级危房${on ? `（${on}）` : ''}`,
  };
}

function programmeRoute(h: HouseholdFacts, total: number, cfg: SafetynetConfig): MatchedRoute | null {
  if (isCovered(h.assistance)) return null;
  const line = h.dibaoStandard;
  const members = Math.max(1, h.members);
  const edge = cfg.economic.edgeBandMultiple;
  // declared with a main earner who has died (公安): not known until the visit, as economic counts it
  const income = incomeDeclaredWithMainEarner(h) ? null : h.monthlyIncome;

  if (income !== null) {
    const perCapita = income / members;
    const disposable = disposablePerCapita(h, income, cfg);
    const afterMedical = disposable.perCapita;
    if (perCapita < line) {
      return {
        route: 'dibao',
        rule: `per-capita income ${yuan(perCapita)} a month is under the dibao standard of ${yuan(line)}`,
        ruleZh: `人均月收入${yuanZh(perCapita)}，低于低保标准${yuanZh(line)}`,
      };
    }
    if (afterMedical < line) {
      const s = disposable.spending;
      // medical costs alone keep the rule's words; otherwise each part is named
      const medicalOnly = s.schoolFees === 0 && s.disaster === 0;
      const spent = spendingNames(s, cfg);
      return {
        route: 'expenditure_hardship',
        rule: medicalOnly
          ? `per-capita income ${yuan(perCapita)} a month, but ${yuan(Math.max(0, afterMedical))} after out-of-pocket medical ` +
            `spending (${yuan(h.outOfPocket12m)} in 12 months): under the dibao standard of ${yuan(line)}`
          : `per-capita income ${yuan(perCapita)} a month, but ${yuan(Math.max(0, afterMedical))} after ${spent.en}: under the dibao standard of ${yuan(line)}`,
        ruleZh: medicalOnly
          ? `人均月收入${yuanZh(perCapita)}，扣除12个月自付医疗费${yuanZh(h.outOfPocket12m)}后为${yuanZh(Math.max(0, afterMedical))}，低于低保标准${yuanZh(line)}`
          : `人均月收入${yuanZh(perCapita)}，扣除${spent.zh}后为${yuanZh(Math.max(0, afterMedical))}，低于低保标准${yuanZh(line)}`,
      };
    }
    if (h.severeMembers > 0) {
      return {
        route: 'single_person',
        rule:
          `${h.severeMembers === 1 ? 'a member has' : `${h.severeMembers} members have`} a severe disability (grade 1-${cfg.routes.singlePersonMaxGrade}) ` +
          `or severe illness and household income is above the standard: the member may be covered alone`,
        ruleZh: `${h.severeMembers}名成员为${gradesZh(cfg.routes.singlePersonMaxGrade)}级重度残疾或重病，家庭收入高于低保标准：可考虑单人户施保`,
      };
    }
    if (perCapita < line * edge) {
      return {
        route: 'dibao_edge',
        rule: `per-capita income ${yuan(perCapita)} a month is ${times(perCapita / line)} the dibao standard of ${yuan(line)} (edge band under ${edge}x)`,
        ruleZh: `人均月收入${yuanZh(perCapita)}，为低保标准${yuanZh(line)}的${(perCapita / line).toFixed(2)}倍（低于${edge}倍）`,
      };
    }
    const shock = Math.max(cfg.routes.temporaryMinimum, cfg.routes.temporaryIncomeMultiple * income);
    if (h.recentOutOfPocket >= shock) {
      return {
        route: 'temporary',
        rule:
          `out-of-pocket medical ${yuan(h.recentOutOfPocket)} settled in the last ${cfg.routes.temporaryMonths} months, ` +
          `${times(h.recentOutOfPocket / Math.max(1, income))} the household's monthly income, without a lasting income problem`,
        ruleZh: `近${cfg.routes.temporaryMonths}个月自付医疗费${yuanZh(h.recentOutOfPocket)}，为家庭月收入的${(h.recentOutOfPocket / Math.max(1, income)).toFixed(2)}倍，收入无长期困难`,
      };
    }
  }
  if (exitNotImproved(h, total, cfg)) {
    const left = h.leftAssistance!;
    return {
      route: 'exit_watch',
      rule: `left ${left.programme} after ${left.period} (score then ${left.total.toFixed(1)}, now ${total.toFixed(1)}) and still in hardship: watch the gradual exit`,
      ruleZh: `${left.period}后退出${PROGRAMME_ZH[left.programme] ?? left.programme}（当时${left.total.toFixed(1)}分，现${total.toFixed(1)}分），仍有困难：渐退期内跟踪`,
    };
  }
  if (income === null) {
    return {
      route: 'assess',
      rule: 'household income not on record: the visit verifies income before any programme can be matched',
      ruleZh: '家庭收入无记录：入户核实收入后再匹配救助项目',
    };
  }
  return {
    route: 'assess',
    rule: 'no programme rule matched (income above the edge band, no severe member, no recent large bill): the visit assesses care and support needs',
    ruleZh: '未匹配救助项目规则（收入高于低保边缘、无重度成员、近期无大额医疗费）：入户评估照护与帮扶需求',
  };
}

/**
 * Why a household should be reviewed, beyond a score change (which the ranking SQL checks):
 * covered households whose facts changed a lot, and households that left assistance recently and
 * are not better off. Never acted on automatically: the review is a person's decision.
 */
export function reviewReasons(h: HouseholdFacts, total: number, cfg: SafetynetConfig): ReviewReason[] {
  const reasons: ReviewReason[] = [];
  const since = h.previousPeriod ?? 'the last period';
  if (isCovered(h.assistance)) {
    const programme = h.assistance;
    const programmeZh = PROGRAMME_ZH[programme] ?? programme;
    const line = h.dibaoStandard;
    if (h.monthlyIncome !== null) {
      const perCapita = h.monthlyIncome / Math.max(1, h.members);
      if (perCapita >= line * cfg.review.coveredIncomeMultiple) {
        reasons.push({
          text: `covered by ${programme}, but per-capita income ${yuan(perCapita)} a month is ${times(perCapita / line)} the dibao standard: review whether it still fits`,
          text_zh: `已享受${programmeZh}，但人均月收入${yuanZh(perCapita)}为低保标准的${(perCapita / line).toFixed(2)}倍：请复核是否仍符合条件`,
        });
      }
    }
    if (h.severeMembersRecovered > 0) {
      reasons.push({
        text: `covered by ${programme}; ${h.severeMembersRecovered === 1 ? 'a member' : `${h.severeMembersRecovered} members`} with a severe illness or disability in ${since} no longer ${h.severeMembersRecovered === 1 ? 'has' : 'have'} one on record (recovered?): review`,
        text_zh: `已享受${programmeZh}；${h.severeMembersRecovered}名成员${since}有重病或重度残疾记录，本期已无（康复？）：请复核`,
      });
    }
    if (h.severeMembersGone > 0) {
      reasons.push({
        text: `covered by ${programme}; ${h.severeMembersGone === 1 ? 'a member' : `${h.severeMembersGone} members`} with a severe illness or disability in ${since} ${h.severeMembersGone === 1 ? 'is' : 'are'} no longer in the household's records (deceased or moved?): review`,
        text_zh: `已享受${programmeZh}；${h.severeMembersGone}名${since}有重病或重度残疾的成员已不在本户记录中（去世或迁出？）：请复核`,
      });
    }
    // nobody left to support (公安): the payments must stop, or follow the household where it moved
    const m = h.membership;
    if (m.everyoneLeft) {
      const gone = m.died + m.movedOut;
      const one = gone === 1 && m.memberLeft !== null;
      const what = m.movedOut === 0 ? 'died' : m.died === 0 ? 'moved out of the jurisdiction' : 'died or moved out of the jurisdiction';
      const whatZh = m.movedOut === 0 ? '去世' : m.died === 0 ? '迁出本辖区' : '去世或迁出本辖区';
      reasons.push({
        text: one
          ? `covered by ${programme}; its only member ${m.memberLeft} ${what} on ${m.leftOn} (公安): review (stop or transfer the assistance)`
          : `covered by ${programme}; all ${gone} members ${what}, the last on ${m.leftOn} (公安): review (stop or transfer the assistance)`,
        text_zh: one
          ? `已享受${programmeZh}；唯一成员${m.memberLeft}已于${m.leftOn}${whatZh}（公安）：请复核（停发或转移救助）`
          : `已享受${programmeZh}；全部${gone}名成员已${whatZh}，最近一人于${m.leftOn}（公安）：请复核（停发或转移救助）`,
      });
    }
  } else if (exitNotImproved(h, total, cfg)) {
    const left = h.leftAssistance!;
    reasons.push({
      text: `left ${left.programme} after ${left.period} and still in hardship (score ${left.total.toFixed(1)} then, ${total.toFixed(1)} now): review before the support ends for good`,
      text_zh: `${left.period}后退出${PROGRAMME_ZH[left.programme] ?? left.programme}，情况未见好转（当时${left.total.toFixed(1)}分，现${total.toFixed(1)}分）：渐退期内请复核`,
    });
  }
  return reasons;
}
