import { sql, type Kysely } from 'kysely';
import type { DimensionId } from '../config/schema.js';
import { dimensionIds } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { UsageError } from '../errors.js';

/**
 * Weights proposed from what the visits found, by a method an analyst can follow: an L2-regularised
 * logistic regression of "needed help" (assisted) against "not eligible" on the six dimension
 * scores (each 0-100, scaled to 0-1) the household had when it was listed, fitted by Newton's
 * method. Positive coefficients, normalised to add up to 1, become the proposed weights. Only
 * listed households get visited, so the fit says how to rank among warned households; it is a
 * proposal for `safetynet diff`, never applied by itself.
 */

export interface Sample {
  x: number[];
  y: 0 | 1;
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
  weights: Record<DimensionId, number>;
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

/** Newton's method on the penalised log-likelihood; the intercept is not penalised. */
export function fitLogistic(samples: Sample[], lambda = 1): Fit {
  const k = dimensionIds.length;
  const n = samples.length;
  const positives = samples.filter((s) => s.y === 1).length;
  let beta = new Array<number>(k + 1).fill(0);
  const row = (s: Sample) => [1, ...s.x];
  let iterations = 0;
  let hessian: number[][] = [];
  for (; iterations < 50; iterations++) {
    const grad = new Array<number>(k + 1).fill(0);
    hessian = Array.from({ length: k + 1 }, () => new Array<number>(k + 1).fill(0));
    for (const s of samples) {
      const x = row(s);
      const p = sigmoid(x.reduce((a, v, i) => a + v * beta[i]!, 0));
      for (let i = 0; i <= k; i++) {
        grad[i]! += (s.y - p) * x[i]!;
        for (let j = 0; j <= k; j++) hessian[i]![j]! += p * (1 - p) * x[i]! * x[j]!;
      }
    }
    for (let i = 1; i <= k; i++) {
      grad[i]! -= lambda * beta[i]!;
      hessian[i]![i]! += lambda;
    }
    hessian[0]![0]! += 1e-9; // keeps the system solvable when every sample has the same label
    const step = solve(hessian, grad);
    beta = beta.map((b, i) => b + step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  const cov = invert(hessian);
  const predicted = samples.map((s) => sigmoid(row(s).reduce((a, v, i) => a + v * beta[i]!, 0)));
  const eps = 1e-12;
  const logLoss = -samples.reduce((a, s, i) => a + (s.y ? Math.log(predicted[i]! + eps) : Math.log(1 - predicted[i]! + eps)), 0) / n;
  const base = positives / n;
  const baseLogLoss = -(base > 0 && base < 1 ? base * Math.log(base) + (1 - base) * Math.log(1 - base) : 0);
  const accuracy = samples.filter((s, i) => (predicted[i]! >= 0.5 ? 1 : 0) === s.y).length / n;

  const coefficients = Object.fromEntries(dimensionIds.map((d, i) => [d, beta[i + 1]!])) as Record<DimensionId, number>;
  const standardErrors = Object.fromEntries(dimensionIds.map((d, i) => [d, Math.sqrt(Math.max(0, cov[i + 1]![i + 1]!))])) as Record<DimensionId, number>;
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
    auc: auc(predicted, samples.map((s) => s.y)),
    iterations: iterations + 1,
    weights: proposeWeights(coefficients),
  };
}

/** Positive coefficients normalised to 1, three decimals, the rounding remainder on the largest. */
export function proposeWeights(coefficients: Record<DimensionId, number>): Record<DimensionId, number> {
  const positive = dimensionIds.map((d) => Math.max(0, coefficients[d]));
  const sum = positive.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new UsageError('no dimension separates assisted from not-eligible households in the outcomes so far: no weights to propose');
  const w = positive.map((p) => Math.round((p / sum) * 1000) / 1000);
  const largest = w.indexOf(Math.max(...w));
  w[largest] = Math.round((w[largest]! + 1 - w.reduce((a, b) => a + b, 0)) * 1000) / 1000;
  return Object.fromEntries(dimensionIds.map((d, i) => [d, w[i]!])) as Record<DimensionId, number>;
}

/**
 * One sample per household whose latest visit settled it (assisted or not eligible), with the
 * dimension scores of the last period it was scored in up to the visit's month.
 */
export async function outcomeSamples(db: Kysely<Database>): Promise<Sample[]> {
  const { rows } = await sql<Record<DimensionId, number> & { assisted: boolean }>`
    with settled as (
      select distinct on (household_id) household_id, visited_on, outcome like 'assisted%' as assisted
      from visit where outcome like 'assisted%' or outcome = 'not_eligible'
      order by household_id, visited_on desc, visit_id desc
    )
    select v.assisted, s.age_structure, s.economic, s.health, s.disability, s.medical_burden, s.labour_capacity
    from settled v
    join lateral (
      select * from household_score s
      where s.household_id = v.household_id and s.period <= to_char(v.visited_on, 'YYYY-MM')
      order by s.period desc limit 1
    ) s on true
    order by v.household_id
  `.execute(db);
  return rows.map((r) => ({ x: dimensionIds.map((d) => Number(r[d]) / 100), y: r.assisted ? 1 : 0 }));
}
