import type { z } from 'zod';
import { ageStructure } from './age-structure.js';
import type { AnyDimension } from './dimension.js';
import { disability } from './disability.js';
import { economic } from './economic.js';
import { health } from './health.js';
import { labourCapacity } from './labour-capacity.js';
import { medicalBurden } from './medical-burden.js';

/**
 * The scoring model: every dimension, in the contract's order (the list's columns, the config's
 * weights). Adding a dimension is one module declaring it (scoring/dimension.ts) and its line
 * here; docs/dimensions.md lists what else it touches.
 */
export const DIMENSIONS = [ageStructure, economic, health, disability, medicalBurden, labourCapacity] as const;

export type Dimensions = readonly AnyDimension[];
export type DimensionId = (typeof DIMENSIONS)[number]['id'];

/** The weights of a model as its declarations give them: the defaults of the config's `weights`. */
export function defaultWeights<const D extends Dimensions>(dimensions: D): { [K in D[number] as K['id']]: number } {
  return Object.fromEntries(dimensions.map((d) => [d.id, d.weight])) as { [K in D[number] as K['id']]: number };
}

/** The config sections of a model with their defaults, keyed as config files spell them. */
export function defaultSections<const D extends Dimensions>(dimensions: D): { [K in D[number] as K['section']]: z.output<K['schema']> } {
  return Object.fromEntries(dimensions.map((d) => [d.section, d.defaults])) as { [K in D[number] as K['section']]: z.output<K['schema']> };
}

