import { sql, type Kysely } from 'kysely';
import type { DimensionId, SafetynetConfig } from '../config/schema.js';
import { dimensionIds } from '../config/schema.js';
import { succeededPeriodUpTo } from '../db/runs.js';
import type { Database, HouseholdScoreRow } from '../db/schema.js';
import { UsageError } from '../errors.js';
import { GROUPINGS, groupingLabel, groupKeyLabel, widenedGaps } from './fairness.js';
import { readListingUnderWeights } from './quality-counts.sql.js';

/**
 * Weights proposed from what the visits found, by a method an analyst can follow: an L2-regularised
 * logistic regression of "needed help" (assisted) against "not eligible" on the six dimension
 * scores (each 0-100, scaled to 0-1) the household had when it was listed, fitted by Newton's
 * method. Only listed households get visited, so the fit says how to rank among warned households;
 * it is a proposal for `safetynet diff`, never applied by itself.
 *
 * The proposal starts from the current weights and moves one only as far as the visits support:
 * the current weights are put on the coefficients' scale by a second fit on the current score
 * alone (logit = a + scale x score), and a weight moves only when its current value lies outside
 * the 95% interval of its coefficient (coefficient +- 1.96 standard errors, divided by that
 * scale), and then only to the interval's nearer edge. Twenty-six visits once gave every
 * coefficient a standard error larger than itself, and normalising the positive coefficients
 * proposed weight 0 for three dimensions (46 more households listed): noise must not do that.
 */

export interface Sample {
  x: number[];
  y: 0 | 1;
  /**
   * How many households of the month it stands for (default 1): an audit visit stands for its
   * street and tier's unlisted households (frame / sample drawn), a listed household's visit
   * for itself, so that the fit weighs the visits as the population they were drawn from.
   */
  weight?: number;
}

/** Two-sided 95% normal quantile: a weight moves only when the visits put it outside this band. */
export const Z95 = 1.96;

export interface ProposedWeight {
  current: number;
  proposed: number;
  /** the 95% interval of the coefficient, on the proposed weights' scale (see `weightIntervals`) */
  low: number;
  high: number;
  moved: boolean;
  /** why the weight moved or stayed, in a sentence an analyst can check against the table */
  reason: string;
}

export interface Fit {
  n: number;
  positives: number;
  lambda: number;
  intercept: number;
  coefficients: Record<DimensionId, number>;
  /** standard errors from the inverse Hessian at the optimum */
  standardErrors: Record<DimensionId, number>;
  logLoss: number;
  /** log-loss of always predicting the base rate: the fit should beat it */
  baseLogLoss: number;
  accuracy: number;
  /** area under the ROC curve: how well the fit ranks assisted households above not-eligible ones */
  auc: number;
  iterations: number;
  /** coefficient of the current weighted score (0-1) alone: how the current weights map to the coefficients' scale */
  scale: number;
  scaleStandardError: number;
  /** false when no weight's current value lies outside its interval: the proposal is the current weights */
  changed: boolean;
  weights: Record<DimensionId, number>;
  proposal: Record<DimensionId, ProposedWeight>;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Solves A x = b by Gaussian elimination with partial pivoting (A is small and symmetric positive definite here). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

function invert(a: number[][]): number[][] {
  const n = a.length;
  const cols = Array.from({ length: n }, (_, j) => solve(a, Array.from({ length: n }, (_, i) => (i === j ? 1 : 0))));
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
}

export function auc(scores: number[], labels: (0 | 1)[]): number {
  const idx = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  // rank-sum (Mann-Whitney) with ties sharing their average rank
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (idx[k]![1] === 1) (rankSum += avg), pos++;
    i = j;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? 0.5 : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Newton's method on the penalised, weighted log-likelihood; the intercept (column 0) is not
 * penalised. The weights are scaled to average 1, so that the penalty and the standard errors
 * keep the scale of the number of visits (an approximation: design-based errors would be wider).
 */
function newton(rows: number[][], y: (0 | 1)[], lambda: number, weights?: number[]): { beta: number[]; cov: number[][]; iterations: number } {
  const k = rows[0]!.length;
  const mean = weights ? weights.reduce((a, w) => a + w, 0) / Math.max(1, weights.length) : 1;
  const w = (r: number) => (weights ? weights[r]! / mean : 1);
  let beta = new Array<number>(k).fill(0);
  let iterations = 0;
  let hessian: number[][] = [];
  for (; iterations < 50; iterations++) {
    const grad = new Array<number>(k).fill(0);
    hessian = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    rows.forEach((x, r) => {
      const p = sigmoid(x.reduce((a, v, i) => a + v * beta[i]!, 0));
      for (let i = 0; i < k; i++) {
        grad[i]! += w(r) * (y[r]! - p) * x[i]!;
        for (let j = 0; j < k; j++) hessian[i]![j]! += w(r) * p * (1 - p) * x[i]! * x[j]!;
      }
    });
    for (let i = 1; i < k; i++) {
      grad[i]! -= lambda * beta[i]!;
      hessian[i]![i]! += lambda;
    }
    hessian[0]![0]! += 1e-9; // keeps the system solvable when every sample has the same label
    const step = solve(hessian, grad);
    beta = beta.map((b, i) => b + step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { beta, cov: invert(hessian), iterations: iterations + 1 };
}

/**
 * Fits the six coefficients and proposes weights that start from `current` (see the file's
 * comment). Throws a UsageError, with the reason, when the current score ranks not-eligible
 * households above assisted ones beyond noise: reweighting is then not the answer.
 */
export function fitLogistic(samples: Sample[], current: Record<DimensionId, number>, lambda = 1): Fit {
  const n = samples.length;
  const positives = samples.filter((s) => s.y === 1).length;
  const y = samples.map((s) => s.y);
  const rows = samples.map((s) => [1, ...s.x]);
  // no weight given (every visit stands for itself): the plain fit, exactly as before weights
  const design = samples.some((s) => s.weight !== undefined && s.weight !== 1) ? samples.map((s) => s.weight ?? 1) : undefined;
  const { beta, cov, iterations } = newton(rows, y, lambda, design);
  const predicted = rows.map((x) => sigmoid(x.reduce((a, v, i) => a + v * beta[i]!, 0)));
  const eps = 1e-12;
  const logLoss = -samples.reduce((a, s, i) => a + (s.y ? Math.log(predicted[i]! + eps) : Math.log(1 - predicted[i]! + eps)), 0) / n;
  const base = positives / n;
  const baseLogLoss = -(base > 0 && base < 1 ? base * Math.log(base) + (1 - base) * Math.log(1 - base) : 0);
  const accuracy = samples.filter((s, i) => (predicted[i]! >= 0.5 ? 1 : 0) === s.y).length / n;

  const coefficients = Object.fromEntries(dimensionIds.map((d, i) => [d, beta[i + 1]!])) as Record<DimensionId, number>;
  const standardErrors = Object.fromEntries(dimensionIds.map((d, i) => [d, Math.sqrt(Math.max(0, cov[i + 1]![i + 1]!))])) as Record<DimensionId, number>;

  // the current weights on the coefficients' scale: the fit of the current score alone, with the
  // penalty the six-coefficient fit puts on coefficients in the current ratios (lambda x sum w^2 x
  // scale^2), so that the two fits are shrunk alike and compared like with like
  const scoreLambda = lambda * dimensionIds.reduce((a, d) => a + current[d] ** 2, 0);
  const scoreFit = newton(samples.map((s) => [1, dimensionIds.reduce((a, d, i) => a + current[d] * s.x[i]!, 0)]), y, scoreLambda, design);
  const scale = scoreFit.beta[1]!;
  const scaleStandardError = Math.sqrt(Math.max(0, scoreFit.cov[1]![1]!));
  if (scale + Z95 * scaleStandardError < 0) {
    throw new UsageError(
      `the current score ranks not-eligible households above assisted ones in these ${n} settled visits ` +
        `(its coefficient is ${scale.toFixed(3)}, std.err ${scaleStandardError.toFixed(3)}): reweighting the same six dimensions is not the answer, so no weights are proposed. ` +
        'Check the visit outcomes (safetynet quality --period P) and the scoring rules',
    );
  }
  const { weights, proposal, changed } = proposeWeights(coefficients, standardErrors, { scale, standardError: scaleStandardError }, current);
  return {
    n,
    positives,
    lambda,
    intercept: beta[0]!,
    coefficients,
    standardErrors,
    logLoss,
    baseLogLoss,
    accuracy,
    auc: auc(predicted, y),
    iterations,
    scale,
    scaleStandardError,
    changed,
    weights,
    proposal,
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Each weight stays at its current value unless the 95% interval of its coefficient, divided by
 * `scale`, excludes it; then it moves to the interval's nearer edge (never below 0). The result is
 * normalised to add up to 1, three decimals, the rounding remainder on the largest; the kept
 * weights keep their ratios to one another. A weight reaches 0 only when the visits put its whole
 * interval at or below 0, never because its coefficient happened to come out negative.
 *
 * When the scale's own 95% interval includes 0 the current score does not separate the outcomes
 * beyond noise, nothing can be tested against it, and every weight is kept (interval 0..1).
 *
 * The interval on the weight scale is rough on purpose: (coefficient +- 1.96 SE) / scale / total,
 * clamped to 0..1, where total is what the moved weights were normalised by; it ignores the
 * uncertainty of the scale and of the other coefficients, so it is, if anything, too narrow.
 */
export function proposeWeights(
  coefficients: Record<DimensionId, number>,
  standardErrors: Record<DimensionId, number>,
  { scale, standardError: scaleSE }: { scale: number; standardError: number },
  current: Record<DimensionId, number>,
): { weights: Record<DimensionId, number>; proposal: Record<DimensionId, ProposedWeight>; changed: boolean } {
  if (!(scale - Z95 * scaleSE > 0)) {
    // The current score's own coefficient is within noise of 0: dividing by it would make any
    // weight look supported or none. The visits cannot support a change; every weight could be 0..1.
    const reason = `kept: the current score itself does not separate assisted from not-eligible households beyond noise (its coefficient ${scale.toFixed(2)} +- ${Z95} x ${scaleSE.toFixed(2)} includes 0), so no weight can be tested against it`;
    return {
      weights: Object.fromEntries(dimensionIds.map((d) => [d, current[d]])) as Record<DimensionId, number>,
      proposal: Object.fromEntries(dimensionIds.map((d) => [d, { current: current[d], proposed: current[d], low: 0, high: 1, moved: false, reason } satisfies ProposedWeight])) as Record<DimensionId, ProposedWeight>,
      changed: false,
    };
  }
  const band = dimensionIds.map((d) => ({
    low: (coefficients[d] - Z95 * standardErrors[d]) / scale,
    high: (coefficients[d] + Z95 * standardErrors[d]) / scale,
  }));
  const raw = dimensionIds.map((d, i) => {
    const { low, high } = band[i]!;
    if (current[d] < low) return low;
    if (current[d] > high) return Math.max(0, high);
    return current[d];
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new UsageError('the visits put every dimension\'s weight at 0: no weights to propose. Check the visit outcomes before changing the weights');
  const moved = dimensionIds.map((d, i) => raw[i] !== current[d]);
  const changed = moved.some(Boolean);
  // nothing moved: the current weights exactly, not a renormalised copy with new rounding
  const w = changed ? raw.map((r) => round3(r / total)) : dimensionIds.map((d) => current[d]);
  if (changed) {
    const largest = w.indexOf(Math.max(...w));
    w[largest] = round3(w[largest]! + 1 - w.reduce((a, b) => a + b, 0));
  }
  const norm = changed ? total : 1;
  const proposal = Object.fromEntries(
    dimensionIds.map((d, i) => {
      const low = Math.min(1, Math.max(0, band[i]!.low / norm));
      const high = Math.min(1, Math.max(0, band[i]!.high / norm));
      const pct = (v: number) => v.toFixed(3);
      const reason = !moved[i]
        ? `kept: the current ${pct(current[d])} is inside the visits' 95% interval ${pct(band[i]!.low)}..${pct(band[i]!.high)} on the current weights' scale (coefficient ${coefficients[d].toFixed(2)} +- ${Z95} x ${standardErrors[d].toFixed(2)}, divided by the scale ${scale.toFixed(2)})${changed ? '; normalised with the moved weights' : ''}`
        : `moved: the current ${pct(current[d])} is ${raw[i]! > current[d] ? 'below' : 'above'} the visits' 95% interval ${pct(band[i]!.low)}..${pct(band[i]!.high)} on the current weights' scale; moved to its nearer edge, then normalised`;
      return [d, { current: current[d], proposed: w[i]!, low, high, moved: moved[i]!, reason } satisfies ProposedWeight];
    }),
  ) as Record<DimensionId, ProposedWeight>;
  return { weights: Object.fromEntries(dimensionIds.map((d, i) => [d, w[i]!])) as Record<DimensionId, number>, proposal, changed };
}

/**
 * One sample per household whose latest visit settled it (assisted or not eligible), with the
 * dimension scores of the last period it was scored in up to the visit's month. A household
 * visited because that month's audit drew it (and the list did not carry it) stands for its
 * street and tier's unlisted households: weight frame / drawn (migration 0017). A listed
 * household, or one visited for any other reason, stands for itself: weight 1. The listed are
 * the whole of what the list carries and the audit a random sample of the rest, so the weighted
 * visits reproduce the month's uncovered households, not only the ones the current weights
 * chose (docs/decisions.md).
 */
export async function outcomeSamples(db: Kysely<Database>): Promise<Sample[]> {
  const { rows } = await sql<{ assisted: boolean; dimensions: HouseholdScoreRow['dimensions']; weight: number }>`
    with settled as (
      select distinct on (household_id) household_id, visited_on, outcome like 'assisted%' as assisted
      from visit where outcome like 'assisted%' or outcome = 'not_eligible'
      order by household_id, visited_on desc, visit_id desc
    )
    select v.assisted, s.dimensions,
           coalesce(case when not s.on_list then f.frame_households::float8 / nullif(f.sample_size, 0) end, 1)::float8 as weight
    from settled v
    join lateral (
      select * from household_score s
      where s.household_id = v.household_id and s.period <= to_char(v.visited_on, 'YYYY-MM')
      order by s.period desc limit 1
    ) s on true
    left join audit_sample a on a.period = s.period and a.household_id = v.household_id
    left join audit_frame f on f.period = a.period and f.street = a.street and f.tier = a.tier
    order by v.household_id
  `.execute(db);
  // a household scored before a dimension existed says nothing about that dimension's weight: left out
  return rows.flatMap((r) => {
    const x = dimensionIds.map((d) => r.dimensions[d]);
    return x.every((v) => v !== undefined) ? [{ x: x.map((v) => v / 100), y: r.assisted ? 1 : 0, weight: r.weight }] : [];
  });
}

/**
 * Weights that list one group much more readily than before, against another, are a policy
 * change, not a calibration: on the latest month run, the listing rate of every group (the
 * groupings of src/visits/fairness.ts) under the current and the proposed weights; a grouping
 * whose gap between its highest and lowest rate widens by more than quality.gapTolerance stops
 * the proposal, naming the grouping and its groups. The precision gap is not held against the
 * proposal: only households listed under the current weights were visited, so it cannot be
 * measured for the ones new weights would list.
 */
export async function refuseWidenedGaps(db: Kysely<Database>, config: SafetynetConfig, current: Record<DimensionId, number>, proposed: Record<DimensionId, number>): Promise<void> {
  const period = await succeededPeriodUpTo(db, '9999-12');
  if (period === null) return;
  const rows = await readListingUnderWeights(db, period, config, { current, proposed });
  const widened = widenedGaps(rows, config.quality.gapTolerance, config.quality.minGroupHouseholds);
  if (widened.length === 0) return;
  const points = (v: number) => (v * 100).toFixed(1);
  throw new UsageError(
    `the proposed weights widen the listing-rate gap between groups beyond quality.gapTolerance (${points(config.quality.gapTolerance)} points) on ${period}: ` +
      widened
        .map((w) => `${groupingLabel(w.grouping, 'en')}: ${points(w.current)} to ${points(w.proposed)} points (${groupKeyLabel(w.grouping, w.highest.key, 'en')} ${points(w.highest.rate)}% listed, ${groupKeyLabel(w.grouping, w.lowest.key, 'en')} ${points(w.lowest.rate)}%)`)
        .join('; ') +
      '. Nothing was written. If the change is meant, make it a decision of its own: set the weights in the config and check them with safetynet diff --period YYYY-MM --config FILE',
  );
}
