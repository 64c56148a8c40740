import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Disability: the most severe grade, how many are disabled, intellectual or mental disability. */
export function scoreDisability(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.disability;
  if (h.mostSevereGrade === null || h.disabledMembers === 0) return { score: 0, reasons: [] };
  const gradePoints = [c.grade1, c.grade2, c.grade3, c.grade4][h.mostSevereGrade - 1] ?? 0;
  const reasons = [`most severe disability grade ${h.mostSevereGrade}`];
  let points = gradePoints;
  if (h.disabledMembers > 1) {
    points += (h.disabledMembers - 1) * c.perAdditionalDisabledMember;
    reasons.push(`${h.disabledMembers} disabled members`);
  }
  if (h.intellectualOrMentalDisabled > 0) {
    points += c.intellectualOrMental;
    reasons.push('intellectual or mental disability');
  }
  return { score: clamp100(points), reasons };
}
