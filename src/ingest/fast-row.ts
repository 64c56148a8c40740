import type { z } from 'zod';
import { fastTwinOf, rowRulesOf, SLOW } from './values.js';

/** A row as the fast path reads it: the schema's output, or null when zod must have the row. */
export type FastRow<R> = (fields: readonly string[]) => R | null;

/**
 * Compiles a source's row schema (a z.object of fields with fast twins, see values.ts) into a
 * plain function over the record's fields, positioned by the file's header. No zod on the hot
 * path; a row it returns null for goes to zod, which accepts it or says why not.
 */
export function compileFastRow<R>(schema: z.ZodType<R>, positions: readonly { index: number; column: { name: string } }[]): FastRow<R> {
  const shape = (schema as unknown as z.ZodObject).shape;
  const columns = Object.entries(shape).map(([name, field]) => {
    const fast = fastTwinOf(field as z.ZodType);
    if (!fast) throw new Error(`column ${name} has no fast twin (values.ts withFast)`);
    return { name, fast, index: positions.find((p) => p.column.name === name)?.index ?? -1 };
  });
  const rules = rowRulesOf(schema);
  return (fields) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!;
      const v = c.fast(c.index < 0 ? undefined : fields[c.index]);
      if (v === SLOW) return null;
      row[c.name] = v;
    }
    for (let i = 0; i < rules.length; i++) if (!rules[i]!.holds(row)) return null;
    return row as R;
  };
}
