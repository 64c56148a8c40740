import type { DimensionId, SafetynetConfig } from '../src/config/schema.js';
import { scoreAgeStructure } from './age-structure.js';
import { scoreDisability } from './disability.js';
import { scoreEconomic } from './economic.js';
import { scoreHealth } from './health.js';
import { round1, type DimensionScore, type HouseholdFacts } from './household-facts.js';
import { scoreLabourCapacity } from './labour-capacity.js';
import { scoreMedicalBurden } from './medical-burden.js';

export type Tier = 'red' | 'orange' | 'yellow' | 'none';

export interface HouseholdScore {
  householdId: string;
  dimensions: Record<DimensionId, number>;
  total: number;
  tier: Tier;
  onList: boolean;
  /** one entry per dimension that scored, biggest weighted contribution first */
  reasons: { dimension: DimensionId; points: number; text: string; text_zh: string }[];
}

const dimensions: Record<DimensionId, (h: HouseholdFacts, cfg: SafetynetConfig) => DimensionScore> = {
  age_structure: scoreAgeStructure,
  economic: scoreEconomic,
  health: scoreHealth,
  disability: scoreDisability,
  medical_burden: scoreMedicalBurden,
  labour_capacity: scoreLabourCapacity,
};

export function tierFor(total: number, cfg: SafetynetConfig): Tier {
  if (total >= cfg.tiers.red) return 'red';
  if (total >= cfg.tiers.orange) return 'orange';
  if (total >= cfg.warningThreshold) return 'yellow';
  return 'none';
}

/** The weighted total of the six dimensions, with the reasons ranked by what they contributed. */
export function scoreHousehold(h: HouseholdFacts, cfg: SafetynetConfig): HouseholdScore {
  const scores = {} as Record<DimensionId, number>;
  const reasons: HouseholdScore['reasons'] = [];
  let total = 0;
  for (const [id, score] of Object.entries(dimensions) as [DimensionId, (typeof dimensions)[DimensionId]][]) {
    const d = score(h, cfg);
    scores[id] = round1(d.score);
    const contribution = d.score * cfg.weights[id];
    total += contribution;
    if (d.score > 0 && d.reasons.length > 0) {
      reasons.push({ dimension: id, points: round1(contribution), text: d.reasons.join(', '), text_zh: d.reasonsZh.join('，') });
    }
  }
  reasons.sort((a, b) => b.points - a.points || a.dimension.localeCompare(b.dimension));
  const rounded = round1(total);
  const tier = tierFor(rounded, cfg);
  return { householdId: h.householdId, dimensions: scores, total: rounded, tier, onList: tier !== 'none', reasons };
}
