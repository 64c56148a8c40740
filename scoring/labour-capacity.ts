import type { SafetynetConfig } from '../src/config/schema.js';
import { clamp100, plural, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Labour capacity: working-age members able to earn against those who depend on them. */
export function scoreLabourCapacity(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.labourCapacity;
  const dependants = h.members - h.ableEarners;
  if (h.ableEarners === 0) {
    return dependants > 1
      ? { score: clamp100(c.noAbleEarnerWithDependants), reasons: [`no able earner among ${plural(h.members, 'member')}`] }
      : { score: clamp100(c.noAbleEarner), reasons: ['no able earner'] };
  }
  const ratio = dependants / h.ableEarners;
  // steps are checked from the highest ratio down, whatever order the config lists them in
  const step = [...c.dependantsPerEarner].sort((a, b) => b.atLeast - a.atLeast).find((s) => ratio >= s.atLeast);
  if (!step) return { score: 0, reasons: [] };
  return {
    score: clamp100(step.points),
    reasons: [`${plural(h.ableEarners, 'able earner')} for ${plural(dependants, 'dependant')}`],
  };
}
