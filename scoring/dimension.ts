import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import type { DimensionScore, HouseholdFacts } from './household-facts.js';

/**
 * An extract a dimension's facts come from, as the household card names it: the period's own
 * extract, the claims window of medical-insurance extracts (12 months up to the period), or a
 * reference table that has no month.
 */
export interface DimensionSource {
  from: string;
  months: 'period' | 'claims-window' | 'reference';
  /** what is taken from it, when its name does not say */
  note?: string;
}

/**
 * One scoring dimension, declared once: the config schema composes its weight and its section
 * from this, the combiner scores it, and every export, card, report and calibration lists it.
 */
export interface Dimension<Id extends string = string, Section extends string = string, Schema extends z.ZodType = z.ZodType> {
  /** the column name of the list exports and the key of the config's weights */
  readonly id: Id;
  readonly labels: { readonly en: string; readonly zh: string };
  /** the default weight in the total; the weights of the model add up to 1 */
  readonly weight: number;
  /** why the default weight is what it is, in one line */
  readonly weightWhy: string;
  /** the key of its constants in the config file (camelCase, as config files have always spelt it) */
  readonly section: Section;
  /** its constants' schema: a section-wide rule goes in a refine here, so that it is checked with the rest */
  readonly schema: Schema;
  /** its constants' defaults, each with a one-line why where it is written */
  readonly defaults: z.output<Schema>;
  /** the household facts it reads (what src/score/household-facts.sql.ts must aggregate for it) */
  readonly facts: readonly (keyof HouseholdFacts)[];
  /** where those facts come from, for the household card */
  readonly sources: readonly DimensionSource[];
  /**
   * 0-100 and the facts behind it, in English and Chinese. Pure: no database, no clock. `own` is
   * its config section; `cfg` the whole config, for what it shares (ages, another dimension's floor).
   */
  score(h: HouseholdFacts, cfg: SafetynetConfig, own: z.output<Schema>): DimensionScore;
}

/** Any declaration, whatever its section's type: what the combiner and the readers iterate. */
export type AnyDimension = Dimension<string, string, z.ZodType>;

/** Points on a dimension's 0-100 scale. */
export const points = z.number().min(0).max(100);
/** A share of a whole, 0-1. */
export const share = z.number().min(0).max(1);
