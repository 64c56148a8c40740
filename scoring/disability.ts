import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, type Dimension } from './dimension.js';
import { Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z.strictObject({
  grade1: points,
  grade2: points,
  grade3: points,
  grade4: points,
  perAdditionalDisabledMember: points,
  intellectualOrMental: points,
});

/** Disability: the most severe grade, how many are disabled, intellectual or mental disability. */
export function scoreDisability(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.disability;
  const r = new Reasons();
  if (h.mostSevereGrade === null || h.disabledMembers === 0) return r.result(0);
  let points = [c.grade1, c.grade2, c.grade3, c.grade4][h.mostSevereGrade - 1] ?? 0;
  r.add(`most severe disability grade ${h.mostSevereGrade}`, `残疾等级最高为${['一', '二', '三', '四'][h.mostSevereGrade - 1] ?? h.mostSevereGrade}级`, ['disability']);
  if (h.disabledMembers > 1) {
    points += (h.disabledMembers - 1) * c.perAdditionalDisabledMember;
    r.add(`${h.disabledMembers} disabled members`, `${h.disabledMembers}名残疾成员`, ['disability']);
  }
  if (h.intellectualOrMentalDisabled > 0) {
    points += c.intellectualOrMental;
    r.add('intellectual or mental disability', '有智力或精神残疾', ['disability']);
  }
  return r.result(points);
}

export const disability: Dimension<'disability', 'disability', typeof schema> = {
  id: 'disability',
  labels: { en: 'disability', zh: '残疾状况' },
  weight: 0.1,
  weightWhy: 'The other four explain and rank more than they decide: together they can still lift a household in the middle of the dibao edge band (1.25x: 0.35 x 43 = 15) over the line.',
  section: 'disability',
  schema,
  defaults: {
    // Grade 1 is the most severe: usually needs full-time care by a family member.
    grade1: 60,
    grade2: 45,
    grade3: 25,
    grade4: 15,
    perAdditionalDisabledMember: 20,
    // Intellectual and mental disabilities weigh on carers longest and earn the least support.
    intellectualOrMental: 20,
  },
  facts: ['mostSevereGrade', 'disabledMembers', 'intellectualOrMentalDisabled'],
  sources: [{ from: 'disability', months: 'period' }],
  score: scoreDisability,
};
