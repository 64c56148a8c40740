import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, type Dimension } from './dimension.js';
import { plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

// A member's chronic illness counts only until a severe one is on record: a severe illness
// worth less would lower the points of a household whose member fell severely ill.
const schema = z
  .strictObject({
    perSevereIllness: points,
    perSevereMentalDisorder: points,
    perChronicIllness: points,
    perInpatientStay: points,
    inpatientCap: points,
  })
  .refine((c) => c.perSevereIllness >= c.perChronicIllness, 'a severe illness must count at least as much as a chronic one (perSevereIllness >= perChronicIllness)');

/** Health status: severe illness, severe mental disorder, chronic illness, hospital stays in 12 months. */
export function scoreHealth(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.health;
  const r = new Reasons();
  let points = 0;
  if (h.severeIllness > 0) {
    points += h.severeIllness * c.perSevereIllness;
    r.add(`${plural(h.severeIllness, 'member')} with a severe illness`, `${h.severeIllness}名成员患重特大疾病`, ['health']);
  }
  if (h.severeMentalDisorder > 0) {
    points += h.severeMentalDisorder * c.perSevereMentalDisorder;
    r.add(`${plural(h.severeMentalDisorder, 'member')} with a severe mental disorder`, `${h.severeMentalDisorder}名成员患严重精神障碍`, ['health']);
  }
  if (h.chronicIllness > 0) {
    points += h.chronicIllness * c.perChronicIllness;
    r.add(`${plural(h.chronicIllness, 'member')} with a chronic illness`, `${h.chronicIllness}名成员患慢性病`, ['health']);
  }
  if (h.inpatientStays12m > 0) {
    points += Math.min(c.inpatientCap, h.inpatientStays12m * c.perInpatientStay);
    r.add(`${plural(h.inpatientStays12m, 'inpatient stay')} in 12 months`, `近12个月住院${h.inpatientStays12m}次`, ['medical-insurance']);
  }
  return r.result(points);
}

export const health: Dimension<'health', 'health', typeof schema> = {
  id: 'health',
  labels: { en: 'health', zh: '健康状况' },
  weight: 0.1,
  weightWhy: 'The other four explain and rank more than they decide: together they can still lift a household in the middle of the dibao edge band (1.25x: 0.35 x 43 = 15) over the line.',
  section: 'health',
  schema,
  defaults: {
    perSevereIllness: 40,
    perSevereMentalDisorder: 40,
    perChronicIllness: 15,
    perInpatientStay: 10,
    // Repeated stays say more about cost than about severity: cap their share.
    inpatientCap: 30,
  },
  facts: ['severeIllness', 'severeMentalDisorder', 'chronicIllness', 'inpatientStays12m'],
  sources: [
    { from: 'health', months: 'period' },
    { from: 'medical-insurance', months: 'claims-window' },
  ],
  score: scoreHealth,
};
