import { writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { dimensionIds } from '../config/schema.js';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { fitLogistic, outcomeSamples, refuseWidenedGaps, Z95, type Fit } from '../visits/calibrate.js';

export interface CalibrateOptions extends GlobalOptions {
  out: string;
  lambda?: number;
  json?: boolean;
}

/** The fewest settled visits, and of each kind, a fit is worth showing on. */
const MIN_SAMPLES = 20;
const MIN_PER_CLASS = 5;

/** `safetynet calibrate --out FILE`: proposes weights from the visit outcomes; never applies them. */
export async function calibrateCommand(opts: CalibrateOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<Fit> {
  const { config } = resolveConfig(opts);
  const current = config.weights;
  const database = await openMigrated(opts, log);
  let fit: Fit;
  try {
    const samples = await outcomeSamples(database.db);
    const positives = samples.filter((s) => s.y === 1).length;
    if (samples.length < MIN_SAMPLES || positives < MIN_PER_CLASS || samples.length - positives < MIN_PER_CLASS) {
      throw new UsageError(
        `not enough settled visits to calibrate on: ${samples.length} (${positives} assisted, ${samples.length - positives} not eligible); ` +
          `need ${MIN_SAMPLES}, and ${MIN_PER_CLASS} of each. Import more visit reports (safetynet visits import FILE)`,
      );
    }
    fit = fitLogistic(samples, current, opts.lambda ?? 1);
    if (fit.changed) await refuseWidenedGaps(database.db, config, current, fit.weights);
  } finally {
    await database.close();
  }
  // the operator's whole config with the weights replaced: `diff --config` then changes nothing but them
  const { operation: _operation, ...rules } = config;
  await writeFile(opts.out, `${JSON.stringify({ ...rules, weights: fit.weights }, null, 2)}\n`);
  if (opts.json) out.write(`${JSON.stringify({ ...fit, out: opts.out })}\n`);
  else out.write(`${formatFit(fit)}\nproposed weights written to ${opts.out}; nothing was applied. See what they would change:\n  safetynet diff --period YYYY-MM --config ${opts.out}\n`);
  return fit;
}

/** The printed fit: the method, the fit's quality, each weight with its 95% interval and why it moved or stayed. */
export function formatFit(fit: Fit): string {
  const lines = [
    `Logistic regression of "assisted" vs "not eligible" on the dimension scores (L2 lambda ${fit.lambda}, ${fit.iterations} Newton steps)`,
    `${fit.n} settled visits, ${fit.positives} assisted. log-loss ${fit.logLoss.toFixed(3)} (base rate alone ${fit.baseLogLoss.toFixed(3)}), accuracy ${(fit.accuracy * 100).toFixed(1)}%, AUC ${fit.auc.toFixed(3)}`,
    '',
    `The current weights map to the coefficients' scale by ${fit.scale.toFixed(3)} (std.err ${fit.scaleStandardError.toFixed(3)}: the fit of the current score alone).`,
    `A weight moves only when its current value lies outside the visits' 95% interval (coef +- ${Z95} std.err, divided by that scale), and only to the interval's nearer edge;`,
    "then all are normalised to add up to 1. The interval column is that interval on the proposed weights' scale (roughly: the other coefficients' and the scale's uncertainty left out).",
    '',
    `${'dimension'.padEnd(16)} ${'coef'.padStart(8)} ${'std.err'.padStart(8)} ${'current'.padStart(8)} ${'proposed'.padStart(9)}  95% interval`,
  ];
  for (const d of dimensionIds) {
    const p = fit.proposal[d];
    lines.push(
      `${d.padEnd(16)} ${fit.coefficients[d].toFixed(3).padStart(8)} ${fit.standardErrors[d].toFixed(3).padStart(8)} ${p.current.toFixed(3).padStart(8)} ${p.proposed.toFixed(3).padStart(9)}  ${p.low.toFixed(3)}..${p.high.toFixed(3)}`,
    );
  }
  lines.push('', ...dimensionIds.map((d) => `${d}: ${fit.proposal[d].reason}`));
  if (!fit.changed) lines.push('', `No weight moved: these ${fit.n} visits cannot support a change; the proposed weights are the current ones.`);
  return `${lines.join('\n')}\n`;
}
