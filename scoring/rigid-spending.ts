import type { SafetynetConfig } from '../src/config/schema.js';
import { yuan, yuanZh, type HouseholdFacts } from './household-facts.js';

/**
 * Rigid spending (刚性支出), the test of expenditure-type hardship (支出型困难: income minus
 * rigid spending below the standard): 12 months of out-of-pocket medical costs, this school
 * year's tuition and fees of the members in non-compulsory education (at most
 * `rigidSpending.schoolFeesCapPerStudent` each), and 12 months of disaster loss. The economic
 * dimension and the suggested route both measure by it, so they never disagree.
 */
export interface RigidSpending {
  medical: number;
  /** capped per student */
  schoolFees: number;
  /** some student's fees were above the cap */
  capped: boolean;
  disaster: number;
  /** yuan a year */
  total: number;
}

export function rigidSpending(h: HouseholdFacts, cfg: SafetynetConfig): RigidSpending {
  const cap = cfg.rigidSpending.schoolFeesCapPerStudent;
  const medical = Math.max(0, h.outOfPocket12m);
  const schoolFees = h.students.reduce((sum, s) => sum + Math.min(Math.max(0, s.feesPaid), cap), 0);
  const disaster = Math.max(0, h.disasters.loss);
  return { medical, schoolFees, capped: h.students.some((s) => s.feesPaid > cap), disaster, total: medical + schoolFees + disaster };
}

export interface Disposable {
  spending: RigidSpending;
  /** the spending counts: it is at least the medical-burden floor of the household's yearly income */
  material: boolean;
  /** per-capita income a month, after the spending when it is material */
  perCapita: number;
}

/**
 * Per-capita monthly income after a year's rigid spending, when that spending is material (the
 * medical-burden floor of the yearly income, as the medical bills alone were measured before
 * fees and disasters counted): a small bill must not tip a household sitting on the line. More
 * spending never raises the figure.
 */
export function disposablePerCapita(h: HouseholdFacts, income: number, cfg: SafetynetConfig): Disposable {
  const spending = rigidSpending(h, cfg);
  const material = spending.total > 0 && spending.total >= cfg.medicalBurden.floorRatio * income * 12;
  return { spending, material, perCapita: (material ? income - spending.total / 12 : income) / Math.max(1, h.members) };
}

/**
 * Low income as housing assistance (住房救助) reads it, for a household not already covered:
 * income not on record (counted as the edge band until a visit verifies it), or per-capita
 * income after rigid spending under the edge band of the standard.
 */
export function lowIncome(h: HouseholdFacts, income: number | null, cfg: SafetynetConfig): boolean {
  return income === null || disposablePerCapita(h, income, cfg).perCapita < h.dibaoStandard * cfg.economic.edgeBandMultiple;
}

/** The departments whose extracts the non-zero parts come from: claims (医保), school fees (教育), disaster loss (应急). */
export function spendingFrom(s: RigidSpending): string[] {
  return [...(s.medical > 0 ? ['medical-insurance'] : []), ...(s.schoolFees > 0 ? ['education'] : []), ...(s.disaster > 0 ? ['emergency'] : [])];
}

/** Only medical costs: the words the reasons have always used, so that nothing else changes for them. */
const medicalOnly = (s: RigidSpending) => s.schoolFees === 0 && s.disaster === 0;

/** Each non-zero part, in English and Chinese ("school fees 8,000 yuan this school year"). */
export function spendingParts(s: RigidSpending, cfg: SafetynetConfig): { en: string[]; zh: string[] } {
  const cap = cfg.rigidSpending.schoolFeesCapPerStudent;
  const en: string[] = [];
  const zh: string[] = [];
  if (s.medical > 0) {
    en.push(`out-of-pocket medical ${yuan(s.medical)} in 12 months`);
    zh.push(`12个月自付医疗费${yuanZh(s.medical)}`);
  }
  if (s.schoolFees > 0) {
    en.push(`school fees ${yuan(s.schoolFees)} this school year` + (s.capped ? ` (at most ${yuan(cap)} a student)` : ''));
    zh.push(`本学年学杂费${yuanZh(s.schoolFees)}` + (s.capped ? `（每名学生最多计${yuanZh(cap)}）` : ''));
  }
  if (s.disaster > 0) {
    en.push(`disaster loss ${yuan(s.disaster)} in 12 months`);
    zh.push(`12个月灾害损失${yuanZh(s.disaster)}`);
  }
  return { en, zh };
}

/** "out-of-pocket medical spending", or "rigid spending (…each part…)": what income is taken after. */
export function spendingNames(s: RigidSpending, cfg: SafetynetConfig): { en: string; zh: string } {
  if (medicalOnly(s)) return { en: 'out-of-pocket medical spending', zh: '自付医疗费' };
  const parts = spendingParts(s, cfg);
  return { en: `rigid spending (${parts.en.join(', ')})`, zh: `刚性支出（${parts.zh.join('、')}）` };
}

/** The same with the monthly figure: "out-of-pocket medical spending (190 yuan a month)". */
export function spendingMonthly(s: RigidSpending, cfg: SafetynetConfig): { en: string; zh: string } {
  const monthly = s.total / 12;
  if (medicalOnly(s)) return { en: `out-of-pocket medical spending (${yuan(monthly)} a month)`, zh: `自付医疗费（每月${yuanZh(monthly)}）` };
  const parts = spendingParts(s, cfg);
  return {
    en: `rigid spending of ${yuan(monthly)} a month (${parts.en.join(', ')})`,
    zh: `刚性支出（每月${yuanZh(monthly)}：${parts.zh.join('、')}）`,
  };
}
