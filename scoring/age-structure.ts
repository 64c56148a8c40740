import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, plural, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Age structure: the very old, the young, and how many depend on each working-age adult. */
export function scoreAgeStructure(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.ageStructure;
  const reasons: string[] = [];
  let points = 0;

  const youngOld = h.elderly - h.oldOld;
  if (h.oldOld > 0) {
    points += h.oldOld * c.perOldOld;
    reasons.push(`${plural(h.oldOld, 'member')} aged ${cfg.ages.oldOldFrom}+`);
  }
  if (youngOld > 0) {
    points += youngOld * c.perElderly;
    reasons.push(`${plural(youngOld, 'member')} aged ${cfg.ages.elderlyFrom}-${cfg.ages.oldOldFrom - 1}`);
  }
  if (h.minors > 0) {
    points += h.minors * c.perMinor;
    reasons.push(`${plural(h.minors, 'minor')}`);
  }
  if (h.members === 1 && h.elderly === 1) {
    points += c.elderlyLivingAlone;
    reasons.push(`lives alone at ${h.oldestAge ?? `${cfg.ages.elderlyFrom}+`}`);
  } else if (h.workingAge === 0) {
    // includes a minor registered alone: nobody of working age to raise them
    points += c.noWorkingAgeMember;
    reasons.push('no member of working age');
  } else if (h.workingAge > 0) {
    const ratio = (h.members - h.workingAge) / h.workingAge;
    if (ratio >= c.heavyDependencyRatio) {
      points += c.heavyDependency;
      reasons.push(`${ratio.toFixed(1)} dependants per working-age member`);
    }
  }
  return { score: clamp100(points), reasons };
}
