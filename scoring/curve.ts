import { z } from 'zod';
import { points } from './dimension.js';

/**
 * Points that move with need: a dimension's measure (dependants per earner, say) read on a
 * piecewise-linear curve through a few anchors of the config, instead of steps at thresholds, so
 * that a household a little past a threshold scores a little more, not a step more.
 */
export interface Anchor {
  /** the measure */
  at: number;
  points: number;
}

/**
 * Anchors as a config writes them (`{ "at": 2, "points": 40 }`): sorted by `at`, and points that
 * never fall as the measure rises, so that more of what a dimension measures never scores less.
 */
export const anchors = z
  .array(z.strictObject({ at: z.number().min(0), points }))
  .min(1)
  .refine((a) => a.every((p, i) => i === 0 || (p.at > a[i - 1]!.at && p.points >= a[i - 1]!.points)), 'anchors must be listed by `at`, increasing, with points that never fall');

/**
 * Linear between the anchors, from 0 points at 0 of the measure (unless the first anchor says
 * otherwise there) to the first anchor; the last anchor's points after it.
 */
export function interpolate(curve: readonly Anchor[], x: number): number {
  const from = curve[0]!.at > 0 ? [{ at: 0, points: 0 }, ...curve] : curve;
  if (x <= from[0]!.at) return from[0]!.points;
  for (let i = 1; i < from.length; i++) {
    const a = from[i - 1]!;
    const b = from[i]!;
    if (x <= b.at) return a.points + ((b.points - a.points) * (x - a.at)) / (b.at - a.at);
  }
  return from[from.length - 1]!.points;
}
