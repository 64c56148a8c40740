import type { AuditTier } from '../db/schema.js';
import { isPlaceUnknown } from '../export/region-label.js';
import { GROUPINGS, listingRate, type GroupingId } from './fairness.js';
import { noEstimate, qualityFigures, type ListedCounts, type QualityFigures, type Stratum } from './miss-rate.js';
import type { QualityCell } from './quality-counts.sql.js';

/**
 * The period's precision, miss rate and fairness tables, put together from the counts
 * (quality-counts.sql.ts) and the recorded audit frames; pure, so that `quality`, the report and
 * the tests read the same numbers.
 */
export interface QualityTables {
  period: string;
  minSettledVisits: number;
  minGroupHouseholds: number;
  /** false when no audit sample was recorded for the period: every miss estimate says so */
  audited: boolean;
  /** per street and audit tier: the miss estimate of each stratum */
  strata: { street: string; tier: AuditTier; figures: QualityFigures }[];
  /** per street: precision of its listed households beside the misses of its strata */
  streets: { street: string; figures: QualityFigures }[];
  total: QualityFigures;
  /** fairness: per grouping and key, listing rate, precision and miss estimate with the counts behind them */
  groups: GroupRow[];
}

export interface GroupRow {
  grouping: GroupingId;
  key: string;
  households: number;
  listed: number;
  /** listed / households; null when the group has fewer households than the minimum */
  listingRate: number | null;
  figures: QualityFigures;
}

export interface AuditFrameCounts {
  street: string;
  tier: AuditTier;
  frame: number;
  sampleSize: number;
}

const NO_AUDIT = { reason: 'no_audit_sample' } as const;
const NOT_SAMPLED = { reason: 'not_in_audit_frame' } as const;
const NO_STREET = { reason: 'no_street' } as const;
const BY_STREET = { reason: 'per_street_only' } as const;
const NOT_LISTED_COHORT = { reason: 'not_in_precision' } as const;
const none = noEstimate;

const sumListed = (cells: readonly QualityCell[]): ListedCounts => ({
  listed: cells.reduce((a, c) => a + c.listedUncovered, 0),
  visited: cells.reduce((a, c) => a + c.visited, 0),
  assisted: cells.reduce((a, c) => a + c.assisted, 0),
  notEligible: cells.reduce((a, c) => a + c.notEligible, 0),
  unsettled: cells.reduce((a, c) => a + c.unsettled, 0),
});

export function qualityTables(
  period: string,
  cells: readonly QualityCell[],
  frames: readonly AuditFrameCounts[],
  opts: { minSettledVisits: number; minGroupHouseholds: number },
): QualityTables {
  const min = opts.minSettledVisits;
  const all = cells.filter((c) => c.grouping === 'all');
  const audited = frames.length > 0;
  // each stratum as recorded when its sample was drawn, with what its audit visits found
  const strata: Stratum[] = frames.map((f) => {
    const c = all.find((x) => x.street === f.street && x.tier === f.tier);
    return { street: f.street, tier: f.tier, frame: f.frame, drawn: c?.drawn ?? 0, settled: c?.auditSettled ?? 0, eligible: c?.auditEligible ?? 0, unsettled: c?.auditUnsettled ?? 0 };
  });
  const noListed: ListedCounts = { listed: 0, visited: 0, assisted: 0, notEligible: 0, unsettled: 0 };
  const withoutAudit = (f: QualityFigures): QualityFigures => (audited ? f : { ...f, missed: none(NO_AUDIT), exclusion: none(NO_AUDIT) });

  const streetCodes = [...new Set([...all.map((c) => c.street), ...frames.map((f) => f.street)])].sort();
  const streetFigures = (street: string) => {
    const f = withoutAudit(qualityFigures(sumListed(all.filter((c) => c.street === street)), strata.filter((s) => s.street === street), min));
    // street 000 holds the people only other departments know: never drawn, so nothing is estimated, not 0
    return audited && isPlaceUnknown(street) ? { ...f, missed: none(NO_STREET), exclusion: none(NO_STREET) } : f;
  };

  const groups: GroupRow[] = GROUPINGS.flatMap(({ id }) => {
    const mine = cells.filter((c) => c.grouping === id);
    const keys = [...new Set(mine.map((c) => c.key))].sort();
    return keys.map((key): GroupRow => {
      const of = mine.filter((c) => c.key === key);
      const households = of.reduce((a, c) => a + c.households, 0);
      const listed = of.reduce((a, c) => a + c.listed, 0);
      let figures: QualityFigures;
      if (id === 'street') figures = streetFigures(key);
      else {
        // a domain estimate: the group's audit households weigh as their stratum's, over the stratum's settled visits
        const domain: Stratum[] = strata.map((s) => {
          const c = of.find((x) => x.street === s.street && x.tier === s.tier);
          return { ...s, drawn: c?.drawn ?? 0, eligible: c?.auditEligible ?? 0, unsettled: c?.auditUnsettled ?? 0, domain: { frame: c?.frame ?? 0, settled: c?.auditSettled ?? 0 } };
        });
        figures = withoutAudit(qualityFigures(sumListed(of), domain, min));
      }
      if (id === 'covered' && key === 'yes') figures = { ...figures, precision: none(NOT_LISTED_COHORT), missed: none(NOT_SAMPLED), exclusion: none(NOT_SAMPLED) };
      return { grouping: id, key, households, listed, listingRate: listingRate(listed, households, opts.minGroupHouseholds), figures };
    });
  });

  return {
    period,
    minSettledVisits: min,
    minGroupHouseholds: opts.minGroupHouseholds,
    audited,
    strata: strata.map((s) => {
      const f = withoutAudit(qualityFigures(noListed, [s], min));
      return { street: s.street, tier: s.tier, figures: { ...f, precision: none(BY_STREET), exclusion: none(BY_STREET) } };
    }),
    streets: streetCodes.map((street) => ({ street, figures: streetFigures(street) })),
    total: withoutAudit(qualityFigures(sumListed(all), strata, min)),
    groups,
  };
}
