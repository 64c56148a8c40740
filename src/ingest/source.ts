import type { z } from 'zod';
import type { CopyValue } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import type { ParsedIdNumber } from '../identity/id-number.js';

export const sourceIds = ['civil-affairs', 'disability', 'medical-insurance', 'health'] as const;
export type SourceId = (typeof sourceIds)[number];

export interface ColumnSpec {
  /** the contract's English name, also the key of the parsed row */
  name: string;
  /** the Chinese header departments use, and any other spellings seen in the wild */
  headers: string[];
  required: boolean;
}

/** Every row schema yields the checked ID; the rest is the source's own. */
export interface ParsedRow {
  id_number: ParsedIdNumber;
}

/**
 * One department's extract: its columns and aliases, its zod row schema, and how a valid row
 * lands in its table. Adding a department is adding one of these.
 */
export interface SourceDefinition<Row extends ParsedRow = ParsedRow> {
  id: SourceId;
  fileName: string;
  columns: ColumnSpec[];
  /**
   * A period whose file loads no row is refused: the roster alone defines households, and a
   * month without it would turn every family into one-person "not on roster" entries.
   */
  mustLoadRows?: boolean;
  /** `asOf` is the last day of the period: later birth or event dates are errors */
  rowSchema(asOf: Date): z.ZodType<Row>;
  /** the period table a valid row goes to, and its values in that order */
  table: string;
  tableColumns: readonly string[];
  toColumns(row: Row, ctx: { period: string; line: number }): CopyValue[];
  /**
   * Moves the staged rows (temp table `stage`) into the period table. Rows it refuses go to
   * rejected_row; returns how many it refused.
   */
  finalize(tx: Tx, period: string, stage: string): Promise<number>;
}

export const personColumns = (id: ParsedIdNumber): CopyValue[] => [id.birthDate, id.sex];
