import type { SafetynetConfig } from '../src/config/schema.js';
import { wholeYuan, yuan, yuanZh, type HouseholdFacts, type VerificationFacts } from './household-facts.js';

/**
 * What the information verification (核对) means for a household: assets to check at the visit,
 * an income far above the roster's, and so less confidence in the suggested route. Never a
 * reason to take a household off the list: a vehicle may be scrapped but not deregistered, a
 * business dormant, a property a divorced spouse's; the street worker checks at the door. Pure.
 */

export interface AssetCheck {
  en: string;
  zh: string;
}

/** The note without the figures, for every reader of a masked export: the counts are asset data. */
export const ASSETS_FLAGGED: AssetCheck = {
  en: 'check assets at the visit: assets flagged',
  zh: '入户时核查财产：核对发现财产信息',
};

const BAND: Record<NonNullable<VerificationFacts['vehicleBand']>, AssetCheck> = {
  under_50k: { en: 'under 50,000 yuan', zh: '5万元以下' },
  '50k_to_150k': { en: '50,000 to 150,000 yuan', zh: '5万至15万元' },
  over_150k: { en: 'over 150,000 yuan', zh: '15万元以上' },
};

const many = (n: number, one: string, more: string) => (n === 1 ? `one ${one}` : `${n} ${more}`);

/**
 * "check assets at the visit: 2 vehicles registered, one business": what the verification found
 * that a household applying for assistance would have to explain (vehicles, business
 * registrations, real estate beyond its home); null when it found none of them. A housing fund is
 * income, not an asset: `verifiedIncome` weighs it.
 */
export function assetCheck(h: HouseholdFacts): AssetCheck | null {
  const v = h.verification;
  if (!v) return null;
  const en: string[] = [];
  const zh: string[] = [];
  if (v.vehicles > 0) {
    const band = v.vehicleBand ? BAND[v.vehicleBand] : null;
    en.push(`${many(v.vehicles, 'vehicle', 'vehicles')} registered${band ? ` (the dearest ${band.en})` : ''}`);
    zh.push(`登记机动车${v.vehicles}辆${band ? `（最高价值${band.zh}）` : ''}`);
  }
  if (v.businesses > 0) {
    // named only as legal representative: often an employee's duty, or a name lent; still asked about
    const representative = v.businessesRepresentativeOnly === v.businesses;
    en.push(`${many(v.businesses, 'business', 'businesses')}${representative ? ' (as legal representative only)' : ''}`);
    zh.push(`工商登记${v.businesses}户${representative ? '（仅为法定代表人）' : ''}`);
  }
  if (v.propertiesBeyondHome > 0) {
    en.push(`${many(v.propertiesBeyondHome, 'property', 'properties')} beyond the home`);
    zh.push(`住房以外房产${v.propertiesBeyondHome}套`);
  }
  if (en.length === 0) return null;
  return { en: `check assets at the visit: ${en.join(', ')}`, zh: `入户时核查财产：${zh.join('，')}` };
}

export interface VerifiedIncome {
  /** the members' housing-fund contributions, yuan a month, and how many members pay them */
  housingFund: { monthly: number; members: number };
  /** the wages they imply: contributions ÷ economic.housingFundRate */
  wages: number;
  /** the members' pensions (人社), yuan a month; 0 when none */
  pensions: number;
  /** wages and pensions: what the household verifiably has a month */
  monthly: number;
}

/**
 * The verified income (housing-fund wages plus pensions) when it is at least
 * economic.verifiedIncomeMultiple times what the roster says, or the roster says nothing; null
 * otherwise. A contribution is a share of a wage paid this month; the wage is the contribution
 * divided by the combined (employee and employer) rate, taken at its legal maximum so that the
 * wage is never overstated. A business registration has no amount and adds nothing here.
 */
export function verifiedIncome(h: HouseholdFacts, cfg: SafetynetConfig): VerifiedIncome | null {
  const fund = h.verification?.housingFund;
  if (!fund || fund.monthly <= 0) return null;
  const wages = fund.monthly / cfg.economic.housingFundRate;
  const pensions = h.pensions?.monthly ?? 0;
  const monthly = wages + pensions;
  if (h.monthlyIncome !== null && monthly < cfg.economic.verifiedIncomeMultiple * h.monthlyIncome) return null;
  return { housingFund: fund, wages, pensions, monthly };
}

/**
 * The economic reason for a verified income far above the roster's: which figure the score uses
 * and why. The score keeps the figure it had (`used`: the roster's, the pensions' where they are
 * higher, or none where income counts as unknown): a verification lowers confidence and sends
 * the visit to check, it does not take a household off the list.
 */
export function verifiedIncomeReason(v: VerifiedIncome, h: HouseholdFacts, used: 'roster' | 'pensions' | 'unknown', cfg: SafetynetConfig): AssetCheck {
  const rate = Math.round(cfg.economic.housingFundRate * 100);
  const multiple = cfg.economic.verifiedIncomeMultiple;
  const payers = v.housingFund.members === 1 ? "a member's" : `${v.housingFund.members} members'`;
  const roster = h.monthlyIncome;
  const kept = { roster: "the roster's figure", pensions: "the members' pensions", unknown: 'income as unknown' }[used];
  const keptZh = { roster: '名册收入', pensions: '成员养老金', unknown: '收入不明' }[used];
  return {
    en:
      `verified income about ${yuan(v.monthly)} a month: ${payers} housing-fund contributions of ${yuan(v.housingFund.monthly)} a month (核对) ` +
      `imply wages of about ${yuan(v.wages)} (at a combined rate of ${rate}%)` +
      (v.pensions > 0 ? `, with pensions of ${yuan(v.pensions)} (人社)` : '') +
      (roster === null ? '; the roster has no income on record' : `; the roster says ${wholeYuan(roster)} (${multiple}x that or more asks for a check)`) +
      `: the score keeps ${kept} until the visit verifies income (a verification never takes a household off the list)`,
    zh:
      `核对收入约每月${yuanZh(v.monthly)}：住房公积金月缴存额${yuanZh(v.housingFund.monthly)}（核对），按合计缴存比例${rate}%推算工资约${yuanZh(v.wages)}` +
      (v.pensions > 0 ? `，另有养老金${yuanZh(v.pensions)}（人社）` : '') +
      (roster === null ? '；名册无收入记录' : `；名册为${yuanZh(roster)}，核对收入达其${multiple}倍以上`) +
      `：评分仍按${keptZh}，待入户核实收入（核对信息不会使家庭移出名单）`,
  };
}

/** The route's confidence: low when the verification flagged assets or an income far above the roster's. */
export function routeConfidence(h: HouseholdFacts, cfg: SafetynetConfig): 'high' | 'low' {
  return assetCheck(h) !== null || verifiedIncome(h, cfg) !== null ? 'low' : 'high';
}
