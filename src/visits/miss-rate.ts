/**
 * What the visits say about the list, as statistics an analyst can check by hand: the list's
 * precision from the visits to listed households, and the households in need it misses from the
 * visits to the monthly audit sample (unlisted, uncovered households drawn at random per street
 * and tier). Pure: counts in, estimates with their 95% intervals out; the SQL that counts is
 * src/visits/quality-counts.sql.ts.
 *
 * Weighting. A listed household's visit counts once toward the precision of the list it was on.
 * An audit visit stands for its stratum (street x tier): a settled audit visit weighs
 * frame_households / settled visits of its stratum. Refused, not found and moved settle nothing
 * and are left out, which assumes that within a stratum the households that were not settled are
 * in need as often as those that were (missing at random within the stratum); the count of such
 * visits is shown beside every estimate, so a street where many doors stayed shut can be seen.
 * Listed and audit visits are never pooled: they are samples of different populations.
 *
 * Intervals ignore the finite-population correction: where the sample is a large share of its
 * frame they are wider than they need be, never narrower.
 */

/** Two-sided 95% normal quantile. */
export const Z95 = 1.959964;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson's score interval of a proportion x/n: unlike the normal approximation it stays inside
 * 0..1 and does not collapse to a point at 0/n or n/n, which is what small audit samples give.
 */
export function wilson(x: number, n: number, z = Z95): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // exactly 0 and 1 at the ends, where rounding would leave 1e-17 and 0.9999999999999999
  return { low: x <= 0 ? 0 : Math.max(0, centre - half), high: x >= n ? 1 : Math.min(1, centre + half) };
}

/** Why a figure has no estimate: a code with its numbers; words for people in `noEstimateWords`. */
export type NoEstimate =
  /** fewer settled visits than the configured minimum behind it */
  | { reason: 'few_listed_visits' | 'few_audit_visits'; settled: number; min: number }
  /** a stratum with households whose audit visits settled none: nothing stands for it */
  | { reason: 'stratum_unsettled'; strata: string[] }
  | { reason: 'no_audit_sample' | 'not_in_audit_frame' | 'no_street' | 'not_in_precision' | 'per_street_only' };

/** An estimate, or why there is none: the counts behind it are always given beside it. */
export type Estimate =
  | { value: number; low: number; high: number; tooFew?: undefined }
  | { value: null; low: null; high: null; tooFew: NoEstimate };

export const noEstimate = (why: NoEstimate): Estimate => ({ value: null, low: null, high: null, tooFew: why });
const tooFew = noEstimate;

/** Why there is no estimate, in words. */
export function noEstimateWords(n: NoEstimate, lang: 'en' | 'zh'): string {
  const zh = lang === 'zh';
  switch (n.reason) {
    case 'few_listed_visits':
      return zh ? `名单户已核实走访${n.settled}户，少于${n.min}户，样本不足` : `too few to say: ${n.settled} settled visit${n.settled === 1 ? '' : 's'} to listed households, fewer than ${n.min}`;
    case 'few_audit_visits':
      return zh ? `抽查户已核实走访${n.settled}户，少于${n.min}户，样本不足` : `too few to say: ${n.settled} settled audit visit${n.settled === 1 ? '' : 's'}, fewer than ${n.min}`;
    case 'stratum_unsettled':
      return zh ? `${n.strata.join('、')}的抽查走访均未核实，无法估计` : `too few to say: no settled audit visit in ${n.strata.join(', ')}`;
    case 'no_audit_sample':
      return zh ? '本期未抽取抽查样本' : 'no audit sample was drawn for this period';
    case 'not_in_audit_frame':
      return zh ? '已获救助家庭不在抽查范围内' : 'covered households are not in the audit frame';
    case 'no_street':
      return zh ? '仅见于其他部门数据、无街道的人员不在抽查范围内' : 'people known only to other departments, with no street, are not in the audit frame';
    case 'not_in_precision':
      return zh ? '名单上的已获救助家庭走复核程序，不计入准确率' : 'covered households on the list are reviewed, not counted in precision';
    case 'per_street_only':
      return zh ? '名单不分抽查层：准确率与漏报比例按街道计' : 'the list has no audit tiers: precision and exclusion error are per street';
  }
}

/** Visits to listed (uncovered) households: what the list's precision is estimated from. */
export interface ListedCounts {
  listed: number;
  visited: number;
  assisted: number;
  notEligible: number;
  unsettled: number;
}

/** Precision = assisted / (assisted + not eligible) with its Wilson interval; too few below `minSettled` settled visits. */
export function precisionOf(c: ListedCounts, minSettled: number): Estimate {
  const settled = c.assisted + c.notEligible;
  if (settled < Math.min(minSettled, Math.max(1, c.listed))) return tooFew({ reason: 'few_listed_visits', settled, min: minSettled });
  return { value: c.assisted / settled, ...wilson(c.assisted, settled) };
}

/** One audit stratum (street x tier) and, for a domain estimate, the settled audit visits in the domain that found need. */
export interface Stratum {
  street: string;
  tier: 'near' | 'far';
  /** unlisted, uncovered households the sample was drawn from */
  frame: number;
  /** households drawn */
  drawn: number;
  /** settled audit visits of the stratum (all of them, whatever the domain) */
  settled: number;
  /** settled audit visits that found need (assisted); for a domain, those in the domain */
  eligible: number;
  /**
   * For an estimate over a domain (a group of households that the strata were not drawn by,
   * rural households say): the domain's frame households and settled audit visits in the stratum.
   * The estimate still divides by the stratum's settled visits: a domain estimate, not a stratum.
   */
  domain?: { frame: number; settled: number };
  /** drawn households whose visit settled nothing, or that were not visited yet */
  unsettled: number;
}

/**
 * The households in need among the frame of one or more strata, each stratum's share found in
 * need scaled to its frame and summed (the stratified estimator of a total). A stratum whose
 * frame holds households but whose audit visits settled none cannot be estimated: nothing
 * stands for it, so the sum says too few and names it rather than silently treating it as 0.
 *
 * Interval: the single stratum's is its Wilson interval x frame. A sum's is normal, with each
 * stratum's variance frame^2 p~(1-p~)/(settled+4) at Agresti and Coull's p~ = (x+2)/(n+4), so
 * that a stratum where no visit found need (p = 0, the usual case far below the threshold) still
 * contributes its uncertainty; the lower end is held at the households found in need, who are
 * certainly there.
 */
export function missedOf(strata: readonly Stratum[], minSettled: number): Estimate {
  // a domain with no household in a stratum takes nothing from it, not even its uncertainty
  const live = strata.filter((s) => s.frame > 0 && (s.domain === undefined || s.domain.frame > 0));
  if (live.length === 0) return { value: 0, low: 0, high: 0 };
  const bare = live.filter((s) => s.settled === 0);
  if (bare.length > 0) return tooFew({ reason: 'stratum_unsettled', strata: bare.map((s) => `${s.street} ${s.tier}`) });
  const settled = live.reduce((a, s) => a + (s.domain?.settled ?? s.settled), 0);
  const frame = live.reduce((a, s) => a + (s.domain?.frame ?? s.frame), 0);
  // the whole frame visited and settled is a count, not a sample: however few, it is the answer
  if (settled < Math.min(minSettled, frame)) return tooFew({ reason: 'few_audit_visits', settled, min: minSettled });
  const value = live.reduce((a, s) => a + (s.frame * s.eligible) / s.settled, 0);
  // the households the audit visits found in need are there for certain: no lower end below them
  const found = live.reduce((a, s) => a + s.eligible, 0);
  if (live.length === 1 && live[0]!.domain === undefined) {
    const s = live[0]!;
    const w = wilson(s.eligible, s.settled);
    return { value, low: Math.max(found, w.low * s.frame), high: w.high * s.frame };
  }
  const variance = live.reduce((a, s) => {
    const p = (s.eligible + 2) / (s.settled + 4);
    return a + (s.frame * s.frame * p * (1 - p)) / (s.settled + 4);
  }, 0);
  const half = Z95 * Math.sqrt(variance);
  return { value, low: Math.max(found, value - half), high: Math.min(frame, value + half) };
}

/**
 * Exclusion error: of the households in need, the share the list leaves out,
 * missed / (missed + in need on the list), where "in need on the list" is the listed uncovered
 * households x the list's precision. Its interval pairs the ends that make it smallest and
 * largest (fewest missed with the most found on the list, and the reverse): coarse, never narrow.
 */
export function exclusionOf(missed: Estimate, precision: Estimate, listed: number): Estimate {
  if (missed.value === null) return tooFew(missed.tooFew);
  if (precision.value === null && listed > 0) return tooFew(precision.tooFew!);
  const onList = (p: number | null) => (p ?? 0) * listed;
  const share = (m: number, l: number) => (m + l > 0 ? m / (m + l) : 0);
  return {
    value: share(missed.value, onList(precision.value)),
    low: share(missed.low, onList(precision.high)),
    high: share(missed.high, onList(precision.low)),
  };
}

/** The figures of one row of the quality tables: the counts behind each rate beside it. */
export interface QualityFigures {
  listed: ListedCounts;
  precision: Estimate;
  /** audit visits: drawn, settled, found in need (in the row's domain) */
  audit: { drawn: number; settled: number; eligible: number; unsettled: number; frame: number };
  missed: Estimate;
  exclusion: Estimate;
}

/** Precision, missed households and exclusion error of one row (a street, a tier, a group, the total). */
export function qualityFigures(listed: ListedCounts, strata: readonly Stratum[], minSettled: number): QualityFigures {
  const precision = precisionOf(listed, minSettled);
  const missed = missedOf(strata, minSettled);
  return {
    listed,
    precision,
    audit: {
      drawn: strata.reduce((a, s) => a + s.drawn, 0),
      settled: strata.reduce((a, s) => a + (s.domain?.settled ?? s.settled), 0),
      eligible: strata.reduce((a, s) => a + s.eligible, 0),
      unsettled: strata.reduce((a, s) => a + s.unsettled, 0),
      frame: strata.reduce((a, s) => a + (s.domain?.frame ?? s.frame), 0),
    },
    missed,
    exclusion: exclusionOf(missed, precision, listed.listed),
  };
}
