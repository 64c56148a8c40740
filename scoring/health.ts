import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, plural, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Health status: severe illness, severe mental disorder, chronic illness, hospital stays in 12 months. */
export function scoreHealth(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.health;
  const reasons: string[] = [];
  let points = 0;
  if (h.severeIllness > 0) {
    points += h.severeIllness * c.perSevereIllness;
    reasons.push(`${plural(h.severeIllness, 'member')} with a severe illness`);
  }
  if (h.severeMentalDisorder > 0) {
    points += h.severeMentalDisorder * c.perSevereMentalDisorder;
    reasons.push(`${plural(h.severeMentalDisorder, 'member')} with a severe mental disorder`);
  }
  if (h.chronicIllness > 0) {
    points += h.chronicIllness * c.perChronicIllness;
    reasons.push(`${plural(h.chronicIllness, 'member')} with a chronic illness`);
  }
  if (h.inpatientStays12m > 0) {
    points += Math.min(c.inpatientCap, h.inpatientStays12m * c.perInpatientStay);
    reasons.push(`${plural(h.inpatientStays12m, 'inpatient stay')} in 12 months`);
  }
  return { score: clamp100(points), reasons };
}
