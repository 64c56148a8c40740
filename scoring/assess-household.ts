import type { SafetynetConfig } from '../src/config/schema.js';
import { assetCheck, type AssetCheck } from './asset-check.js';
import { scoreHousehold, type HouseholdScore } from './combine.js';
import type { HouseholdFacts } from './household-facts.js';
import { isCovered, reviewReasons, suggestRoute, type ReviewReason, type RouteSuggestion } from './route.js';
import { applyVisits, type VisitEffect } from './visit-outcome.js';

/**
 * Everything Safetynet decides about one household in one period (pure, no database): the
 * score, what the visits change (cool-down, a programme granted at the door), coverage, the
 * route and the review. The monthly run, `diff` and the nightly run all call this, so that a
 * rule (a visit's cool-down, say) cannot hold in one of them and be forgotten in another.
 */
export interface HouseholdAssessment extends HouseholdScore {
  /** over the warning line and not kept off the list by a "not eligible" visit's cool-down */
  onList: boolean;
  /** dibao or tekun, by the roster or by a visit the roster does not show yet */
  covered: boolean;
  visit: VisitEffect;
  /** the programme to check at the door: only where someone will knock (listed or flagged for review) */
  route: RouteSuggestion | null;
  /** why the household should be reviewed, beyond a score change (which needs the previous period's score) */
  review: ReviewReason[];
  /** what to check at the visit that the verification (核对) found: vehicles, businesses, property beyond the home; never a reason to drop it */
  assetCheck: AssetCheck | null;
}

export function assessHousehold(facts: HouseholdFacts, period: string, cfg: SafetynetConfig): HouseholdAssessment {
  const score = scoreHousehold(facts, cfg);
  // a household all of whose members died or moved away (公安) has nobody to visit: not warned
  const visit = applyVisits(facts, period, score.total, score.onList && !facts.membership.everyoneLeft, isCovered(facts.assistance), cfg);
  // a programme granted at the door counts as the roster's own would
  const effective = visit.coveredByVisit ? { ...facts, assistance: visit.coveredByVisit } : facts;
  const covered = isCovered(effective.assistance);
  // a household the visit found not eligible is not brought back by a review flag during its cool-down
  const review = visit.cooledDown && !covered ? [] : reviewReasons(effective, score.total, cfg);
  // a city has a million households nobody will visit: they need no route
  const route = visit.onList || review.length > 0 ? suggestRoute(effective, score.total, cfg) : null;
  // the score's fields named, not spread: a spread of it cost a city's month about a second
  return {
    householdId: score.householdId, dimensions: score.dimensions, total: score.total, tier: score.tier, reasons: score.reasons,
    lowConfidence: score.lowConfidence, onList: visit.onList, covered, visit, route, review, assetCheck: assetCheck(facts),
  };
}
