import type { SafetynetConfig } from '../src/config/schema.js';
import { yuan, yuanZh, type HouseholdFacts } from './household-facts.js';

/**
 * Urgent warnings from one night's claims (pure): a household that the day's bills push over the
 * warning threshold, or a single event severe enough on its own (an inpatient bill whose out-of-
 * pocket cost is urgent.severeEventIncomeMultiple times the household's monthly income or more).
 * One warning per household and claim: the database keeps it from being raised twice.
 */
export interface DayClaim {
  claim_id: string;
  settled_on: string;
  inpatient: boolean;
  out_of_pocket: number;
}

export interface UrgentWarning {
  claim_id: string;
  kind: 'crossed_threshold' | 'severe_event';
  reason: string;
  reason_zh: string;
}

export interface UrgentInput {
  facts: HouseholdFacts;
  /** the household's total in the base period, null if it was not scored then */
  previousTotal: number | null;
  /** the total with the night's claims */
  total: number;
  /** the night's assessment lists it: over the threshold, and not kept off by a visit's cool-down */
  onList: boolean;
  covered: boolean;
  claims: DayClaim[];
  /** an earlier night already warned that this household crossed the threshold since the base period */
  alreadyCrossed?: boolean;
}

export function urgentWarnings(u: UrgentInput, cfg: SafetynetConfig): UrgentWarning[] {
  const h = u.facts;
  // no income (or none on record): the household's monthly dibao line is the measure, so that a
  // household with nothing is not "warned" by every small bill
  const byIncome = h.monthlyIncome !== null && h.monthlyIncome > 0;
  const monthly = byIncome ? h.monthlyIncome! : h.dibaoStandard * Math.max(1, h.members);
  const basis = byIncome ? "the household's monthly income" : "the household's monthly dibao line (no income on record)";
  const basisZh = byIncome ? '家庭月收入' : '家庭月低保线（无收入记录）';
  const covered = u.covered ? ' (covered: check medical assistance)' : '';
  const coveredZh = u.covered ? '（已享受救助：请核查医疗救助）' : '';
  const out: UrgentWarning[] = [];
  for (const c of u.claims) {
    if (!c.inpatient || c.out_of_pocket <= 0 || c.out_of_pocket < cfg.urgent.severeEventIncomeMultiple * monthly) continue;
    const times = `${(c.out_of_pocket / monthly).toFixed(1)}x`;
    out.push({
      claim_id: c.claim_id,
      kind: 'severe_event',
      reason: `inpatient bill settled ${c.settled_on}: ${yuan(c.out_of_pocket)} out of pocket, ${times} ${basis}${covered}`,
      reason_zh: `${c.settled_on}住院结算：个人自付${yuanZh(c.out_of_pocket)}，为${basisZh}的${(c.out_of_pocket / monthly).toFixed(1)}倍${coveredZh}`,
    });
  }
  // crossing is one event per household and base period, however many bills follow it
  const crossed = !u.covered && !u.alreadyCrossed && u.onList && (u.previousTotal === null || u.previousTotal < cfg.warningThreshold);
  if (crossed && u.claims.length > 0) {
    const biggest = [...u.claims].sort((a, b) => b.out_of_pocket - a.out_of_pocket || a.claim_id.localeCompare(b.claim_id))[0]!;
    const was = u.previousTotal === null ? 'not scored' : u.previousTotal.toFixed(1);
    const text = `score ${was} → ${u.total.toFixed(1)} with the claims settled ${biggest.settled_on}: over the warning threshold of ${cfg.warningThreshold}`;
    const textZh = `计入${biggest.settled_on}结算的医疗费后，得分由${was}升至${u.total.toFixed(1)}，超过预警线${cfg.warningThreshold}`;
    const same = out.find((w) => w.claim_id === biggest.claim_id);
    if (same) {
      same.reason += `; ${text}`;
      same.reason_zh += `；${textZh}`;
    } else out.push({ claim_id: biggest.claim_id, kind: 'crossed_threshold', reason: text, reason_zh: textZh });
  }
  return out;
}
