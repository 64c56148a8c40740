import type { SafetynetConfig } from '../src/config/schema.js';
import { DIMENSIONS, type DimensionId, type Dimensions } from './dimensions.js';
import { datedReasons, lowConfidence } from './evidence.js';
import { round1, type DimensionScore, type HouseholdFacts } from './household-facts.js';

export type Tier = 'red' | 'orange' | 'yellow' | 'none';

/** One dimension's share of the total and the facts behind it, as the list and the card show them. */
export interface ScoreReason<Id extends string = DimensionId> {
  dimension: Id;
  /** weighted points: the dimension's score x its weight */
  points: number;
  text: string;
  text_zh: string;
}

export interface HouseholdScore<Id extends string = DimensionId> {
  householdId: string;
  /** each dimension's 0-100 score, one decimal, by id */
  dimensions: Record<Id, number>;
  total: number;
  tier: Tier;
  onList: boolean;
  /** one entry per dimension that scored, biggest weighted contribution first */
  reasons: ScoreReason<Id>[];
  /** every dated fact behind the reasons is from an extract `evidence.staleMonths` or more older than the period (evidence.ts) */
  lowConfidence: boolean;
}

export function tierFor(total: number, cfg: SafetynetConfig): Tier {
  if (total >= cfg.tiers.red) return 'red';
  if (total >= cfg.tiers.orange) return 'orange';
  if (total >= cfg.warningThreshold) return 'yellow';
  return 'none';
}

/**
 * The weighted total of the model's dimensions (the registry's, unless a test brings its own),
 * with the reasons ranked by what they contributed. `cfg` holds a weight and a section for each.
 */
export function scoreHousehold(h: HouseholdFacts, cfg: SafetynetConfig): HouseholdScore;
export function scoreHousehold<const D extends Dimensions>(h: HouseholdFacts, cfg: SafetynetConfig, dimensions: D): HouseholdScore<D[number]['id']>;
export function scoreHousehold(h: HouseholdFacts, cfg: SafetynetConfig, dimensions: Dimensions = DIMENSIONS): HouseholdScore<string> {
  const weights: Readonly<Record<string, number>> = cfg.weights;
  const sections: Readonly<Record<string, unknown>> = cfg;
  const scores: Record<string, number> = {};
  const reasons: ScoreReason<string>[] = [];
  const behind: DimensionScore[] = [];
  let total = 0;
  for (const dimension of dimensions) {
    const d = dimension.score(h, cfg, sections[dimension.section]);
    scores[dimension.id] = round1(d.score);
    const contribution = d.score * (weights[dimension.id] ?? 0);
    total += contribution;
    if (d.score > 0 && d.reasons.length > 0) {
      // a fact from an extract older than the period says its month
      const dated = datedReasons(d, h.evidence);
      reasons.push({ dimension: dimension.id, points: round1(contribution), text: dated.en.join(', '), text_zh: dated.zh.join('，') });
      behind.push(d);
    }
  }
  reasons.sort((a, b) => b.points - a.points || a.dimension.localeCompare(b.dimension));
  const rounded = round1(total);
  const tier = tierFor(rounded, cfg);
  return {
    householdId: h.householdId, dimensions: scores, total: rounded, tier, onList: tier !== 'none', reasons,
    lowConfidence: lowConfidence(behind, h.evidence, cfg.evidence.staleMonths),
  };
}
