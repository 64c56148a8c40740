import type { SafetynetConfig } from '../src/config/schema.js';
import { plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

/** Labour capacity: working-age members able to earn against those who depend on them. */
export function scoreLabourCapacity(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.labourCapacity;
  const r = new Reasons();
  const dependants = h.members - h.ableEarners;
  if (h.ableEarners === 0) {
    if (dependants > 1) {
      r.add(`no able earner among ${plural(h.members, 'member')}`, `${h.members}名成员中无有劳动能力者`);
      return r.result(c.noAbleEarnerWithDependants);
    }
    r.add('no able earner', '无有劳动能力者');
    return r.result(c.noAbleEarner);
  }
  const ratio = dependants / h.ableEarners;
  // steps are checked from the highest ratio down, whatever order the config lists them in
  const step = [...c.dependantsPerEarner].sort((a, b) => b.atLeast - a.atLeast).find((s) => ratio >= s.atLeast);
  if (!step) return r.result(0);
  r.add(`${plural(h.ableEarners, 'able earner')} for ${plural(dependants, 'dependant')}`, `${h.ableEarners}名有劳动能力者负担${dependants}人`);
  return r.result(step.points);
}
