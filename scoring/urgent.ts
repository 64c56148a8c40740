import type { SafetynetConfig } from '../src/config/schema.js';
import { mainEarnerDiedReason, yuan, yuanZh, type HouseholdFacts } from './household-facts.js';

/**
 * Urgent warnings from one night's events (pure): what the departments that send daily
 * deliveries brought that night about a household's members (a bill settled, a death, a birth,
 * a move, a disaster), each judged on the household assessed again with them:
 * - an inpatient bill whose out-of-pocket cost is urgent.severeEventIncomeMultiple times the
 *   household's monthly income or more (`severe_event`);
 * - the death of the household's main earner, in a low-income household (`main_earner_died`);
 * - a disaster whose loss is that many months of income, or that damaged the house (`disaster_loss`);
 * - whatever the events, the household pushed over the warning threshold (`crossed_threshold`).
 * One warning per household and event: the database keeps it from being raised twice.
 */
export type DayEvent =
  | { kind: 'bill'; key: string; on: string; inpatient: boolean; outOfPocket: number }
  | { kind: 'death' | 'birth' | 'move_out' | 'move_in'; key: string; on: string }
  | { kind: 'disaster'; key: string; on: string; event: string; loss: number; houseDamaged: boolean };

export type UrgentKind = 'crossed_threshold' | 'severe_event' | 'main_earner_died' | 'disaster_loss';

export interface UrgentWarning {
  /** the event it is about (DayEvent.key) */
  key: string;
  kind: UrgentKind;
  reason: string;
  reason_zh: string;
}

export interface UrgentInput {
  /** the household's facts at the night, its events counted in */
  facts: HouseholdFacts;
  /** the household's total in the base period, null if it was not scored then */
  previousTotal: number | null;
  /** the total with the night's events */
  total: number;
  /** the night's assessment lists it: over the threshold, and not kept off by a visit's cool-down */
  onList: boolean;
  covered: boolean;
  events: DayEvent[];
  /** an earlier night already warned that this household crossed the threshold since the base period */
  alreadyCrossed?: boolean;
}

/** How the night says what pushed a household over the line, by the event that did. */
function pushedBy(e: DayEvent): { en: string; zh: string } {
  switch (e.kind) {
    case 'bill':
      return { en: `with the claims settled ${e.on}`, zh: `计入${e.on}结算的医疗费后` };
    case 'death':
      return { en: `with a member's death on ${e.on} (公安)`, zh: `${e.on}家庭成员去世（公安）后` };
    case 'birth':
      return { en: `with a child born on ${e.on} (公安)`, zh: `${e.on}新生儿出生（公安）后` };
    case 'move_out':
      return { en: `with a member's move out of the jurisdiction on ${e.on} (公安)`, zh: `${e.on}家庭成员迁出（公安）后` };
    case 'move_in':
      return { en: `with a member's move back on ${e.on} (公安)`, zh: `${e.on}家庭成员迁入（公安）后` };
    case 'disaster':
      return { en: `with the disaster ${e.event} on ${e.on} (应急)`, zh: `${e.on}受灾（${e.event}，应急）后` };
  }
}

/** The event named when a household crosses the line: the largest bill, else a death, a disaster, then the rest. */
function crossingEvent(events: DayEvent[]): DayEvent | undefined {
  const order: DayEvent['kind'][] = ['bill', 'death', 'disaster', 'birth', 'move_out', 'move_in'];
  const amount = (e: DayEvent) => (e.kind === 'bill' ? e.outOfPocket : e.kind === 'disaster' ? e.loss : 0);
  return [...events].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || amount(b) - amount(a) || a.key.localeCompare(b.key))[0];
}

/**
 * Low-income before the death: per person, the roster's income counted over the members it was
 * declared for (the deceased included), under urgent.lowIncomeMultiple times the standard; or
 * no income on record; or assisted already.
 */
function lowIncome(h: HouseholdFacts, covered: boolean, cfg: SafetynetConfig): boolean {
  if (covered || h.monthlyIncome === null) return true;
  const declaredFor = Math.max(1, h.members + h.membership.died);
  return h.monthlyIncome / declaredFor < cfg.urgent.lowIncomeMultiple * h.dibaoStandard;
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
  const severe = cfg.urgent.severeEventIncomeMultiple * monthly;
  const out: UrgentWarning[] = [];
  const seen = new Set<string>();
  for (const e of u.events) {
    if (seen.has(e.key)) continue;
    if (e.kind === 'bill') {
      if (!e.inpatient || e.outOfPocket <= 0 || e.outOfPocket < severe) continue;
      seen.add(e.key);
      const times = (e.outOfPocket / monthly).toFixed(1);
      out.push({
        key: e.key,
        kind: 'severe_event',
        reason: `inpatient bill settled ${e.on}: ${yuan(e.outOfPocket)} out of pocket, ${times}x ${basis}${covered}`,
        reason_zh: `${e.on}住院结算：个人自付${yuanZh(e.outOfPocket)}，为${basisZh}的${times}倍${coveredZh}`,
      });
    } else if (e.kind === 'death') {
      // the facts name the main earner only when the death of the best-placed earner is recent
      const died = h.membership.mainEarnerDied;
      if (!died || died.on !== e.on || !lowIncome(h, u.covered, cfg)) continue;
      seen.add(e.key);
      const said = mainEarnerDiedReason(died);
      const income = h.monthlyIncome === null ? 'no income on record' : `the roster's ${yuan(h.monthlyIncome)} a month was declared with them`;
      const incomeZh = h.monthlyIncome === null ? '无收入记录' : `民政名册登记的家庭月收入${yuanZh(h.monthlyIncome)}含其收入`;
      const left = h.members === 0 || h.membership.everyoneLeft ? '' : `, ${h.members} member${h.members === 1 ? '' : 's'} left`;
      const leftZh = h.members === 0 || h.membership.everyoneLeft ? '' : `，现有成员${h.members}人`;
      out.push({
        key: e.key,
        kind: 'main_earner_died',
        reason: `${said.en}: a low-income household (${income}${left})${u.covered ? ' (covered: check the assistance still fits)' : ''}`,
        reason_zh: `${said.zh}：低收入家庭（${incomeZh}${leftZh}）${u.covered ? '（已享受救助：请核查救助是否仍相符）' : ''}`,
      });
    } else if (e.kind === 'disaster') {
      // one disaster, several members registered for it: the household's warning is its larger row
      const same = u.events.filter((o): o is Extract<DayEvent, { kind: 'disaster' }> => o.kind === 'disaster' && o.key === e.key);
      const loss = Math.max(...same.map((o) => o.loss));
      const damaged = same.some((o) => o.houseDamaged);
      if (!damaged && (loss <= 0 || loss < severe)) continue;
      seen.add(e.key);
      const times = loss > 0 ? `, ${(loss / monthly).toFixed(1)}x ${basis}` : '';
      const timesZh = loss > 0 ? `，为${basisZh}的${(loss / monthly).toFixed(1)}倍` : '';
      out.push({
        key: e.key,
        kind: 'disaster_loss',
        reason: `disaster (应急): ${e.event} on ${e.on}, loss ${yuan(loss)}${times}${damaged ? ', house damaged' : ''}`,
        reason_zh: `受灾（应急）：${e.event}（${e.on}），损失${yuanZh(loss)}${timesZh}${damaged ? '，房屋受损' : ''}`,
      });
    }
  }
  // crossing is one event per household and base period, however many events follow it
  const crossed = !u.covered && !u.alreadyCrossed && u.onList && (u.previousTotal === null || u.previousTotal < cfg.warningThreshold);
  const by = crossed ? crossingEvent(u.events) : undefined;
  if (by) {
    const was = u.previousTotal === null ? 'not scored' : u.previousTotal.toFixed(1);
    const pushed = pushedBy(by);
    const text = `score ${was} → ${u.total.toFixed(1)} ${pushed.en}: over the warning threshold of ${cfg.warningThreshold}`;
    const textZh = `${pushed.zh}，得分由${was}升至${u.total.toFixed(1)}，超过预警线${cfg.warningThreshold}`;
    const same = out.find((w) => w.key === by.key);
    if (same) {
      same.reason += `; ${text}`;
      same.reason_zh += `；${textZh}`;
    } else out.push({ key: by.key, kind: 'crossed_threshold', reason: text, reason_zh: textZh });
  }
  return out;
}
