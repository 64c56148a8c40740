import type { SafetynetConfig } from '../src/config/schema.js';
import { Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Disability: the most severe grade, how many are disabled, intellectual or mental disability. */
export function scoreDisability(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.disability;
  const r = new Reasons();
  if (h.mostSevereGrade === null || h.disabledMembers === 0) return r.result(0);
  let points = [c.grade1, c.grade2, c.grade3, c.grade4][h.mostSevereGrade - 1] ?? 0;
  r.add(`most severe disability grade ${h.mostSevereGrade}`, `最重残疾等级${h.mostSevereGrade}级`);
  if (h.disabledMembers > 1) {
    points += (h.disabledMembers - 1) * c.perAdditionalDisabledMember;
    r.add(`${h.disabledMembers} disabled members`, `${h.disabledMembers}名残疾成员`);
  }
  if (h.intellectualOrMentalDisabled > 0) {
    points += c.intellectualOrMental;
    r.add('intellectual or mental disability', '有智力或精神残疾');
  }
  return r.result(points);
}
