import { z } from 'zod';
import { parseIdNumber, type ParsedIdNumber } from '../identity/id-number.js';

/**
 * Field parsers shared by every department's row schema. Input is the raw CSV text; the
 * contract's rules: empty = missing, money in yuan with up to 2 decimals, dates YYYY-MM-DD or
 * YYYYMMDD, booleans 1/0, Y/N, true/false, 是/否, enums in English or Chinese.
 *
 * Each field's zod schema has a fast twin (`withFast`) for the ingest's hot loop: a plain
 * function that returns the same value zod would, or SLOW for anything it does not vouch for.
 * A row whose every field passes its twin is loaded without zod; any other row is parsed by
 * zod, which accepts it after all or words the reason it is refused. A twin may be stricter
 * than its schema (that only costs time), never looser: test/unit/fast-rows.test.ts holds every
 * source's twins to its schema.
 */

/** A fast twin's answer for a value it leaves to zod. */
export const SLOW: unique symbol = Symbol('slow');
export type Fast<T> = (raw: string | undefined) => T | typeof SLOW;

const fastTwins = new WeakMap<z.ZodType, Fast<unknown>>();

/** Registers the fast twin of a field schema; returns the schema. */
export function withFast<S extends z.ZodType>(schema: S, fast: Fast<z.output<S>>): S {
  fastTwins.set(schema, fast as Fast<unknown>);
  return schema;
}

export function fastTwinOf(schema: z.ZodType): Fast<unknown> | undefined {
  return fastTwins.get(schema);
}

/** A check across the fields of a valid row (a date after the period, say), once for zod and the fast path. */
export interface RowRule<R> {
  column: keyof R & string;
  holds(row: R): boolean;
  message(row: R): string;
}

const rowRules = new WeakMap<z.ZodType, RowRule<any>[]>();

/** The row schema with its cross-field rules: zod reports them as issues, the fast path checks them. */
export function withRules<S extends z.ZodObject, R extends z.output<S>>(schema: S, rules: RowRule<R>[]): S {
  const refined = schema.superRefine((row, ctx) => {
    for (const rule of rules) {
      if (!rule.holds(row as R)) ctx.addIssue({ code: 'custom', path: [rule.column], message: rule.message(row as R) });
    }
  }) as S;
  rowRules.set(refined, rules);
  return refined;
}

export function rowRulesOf(schema: z.ZodType): RowRule<any>[] {
  return rowRules.get(schema) ?? [];
}

/** An optional date column that may not be after the period's last day (`asOf`). */
export function notAfter<R extends Record<string, unknown>>(column: keyof R & string, asOf: Date, verb: string): RowRule<R> {
  const last = asOf.toISOString().slice(0, 10);
  return {
    column,
    holds: (r) => r[column] === undefined || (r[column] as string) <= last,
    message: (r) => `${verb} ${String(r[column])}, after the end of the period`,
  };
}

/** NFKC (full-width digits and letters become ASCII), trimmed; '' becomes undefined. */
export function clean(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // ASCII and the CJK unified ideographs are their own NFKC form: names and addresses skip the
  // normaliser (this runs for every field of every row)
  const v = (NEEDS_NFKC.test(raw) ? raw.normalize('NFKC') : raw).trim();
  return v === '' ? undefined : v;
}
const NEEDS_NFKC = /[^\x00-\x7f\u3400-\u4dbf\u4e00-\u9fff]/;

/**
 * A refused value as a message quotes it: cut to a readable length, and with any run of 9 or
 * more digits (longer than any date: an ID or phone number in the wrong column) starred out,
 * because the data-quality report is sent back to departments and never shows an ID number.
 */
export function quote(value: string): string {
  const masked = value.replace(/\p{Nd}{9,}[xX]?/gu, (run) => '*'.repeat(run.length));
  const chars = [...masked];
  return chars.length > 40 ? `"${chars.slice(0, 40).join('')}…" (${chars.length} characters)` : `"${masked}"`;
}

/**
 * Values that can be shown in a reason: the codes of the contract's bounded lists (registered by
 * `codeList` and the yes/no words), as their lower-cased forms.
 */
const boundedCodes = new Set<string>();
// a date in the contract's separated layouts: digits and dashes in this shape are no name and no
// ID, phone or account number (an 8-digit YYYYMMDD could be a landline: it is not shown)
const DATE_SHAPED = /^[0-9]{4}([-/])[0-9]{1,2}\1[0-9]{1,2}$/;

/**
 * A refused value as a reason shows it. Reasons go back to the departments in the data-quality
 * report (and into the run's refusal message), and a name or a number that lands in a coded
 * column is still a name or a number: only a code of a bounded list (or a date-shaped value) is
 * quoted; anything else is told by its length, which is enough to find it on its line. The
 * monthly report groups reasons by the same wording (src/ingest/reject-reasons.ts).
 */
export function shown(value: string): string {
  if (boundedCodes.has(value.toLowerCase()) || DATE_SHAPED.test(value)) return `"${value}"`;
  const length = [...value].length;
  const digits = /^\p{Nd}+$/u.test(value);
  return `a value of ${length} ${digits ? 'digit' : 'character'}${length === 1 ? '' : 's'}`;
}

/** a string whose absence reads as 'value is missing' rather than zod's type jargon */
const str = () => z.string({ error: (iss) => (iss.input === undefined ? 'value is missing' : undefined) });
const text = str();

/**
 * The required and the optional column of one kind of value, both cleaned first (missing is
 * 'value is missing', or undefined), each with its fast twin built on `fast` for a present value.
 */
function requiredAndOptional<T>(schema: () => z.ZodType<T, string>, fast: (v: string) => T | typeof SLOW) {
  const required = withFast(z.preprocess(clean, schema()), (raw) => {
    const v = clean(raw);
    return v === undefined ? SLOW : fast(v);
  });
  const optional = withFast(z.preprocess(clean, schema().optional()), (raw) => {
    const v = clean(raw);
    return v === undefined ? undefined : fast(v);
  });
  return [required, optional] as const;
}

const MAX_TEXT = 500;
export const [requiredText, optionalText] = requiredAndOptional(
  () => text.max(MAX_TEXT, 'longer than 500 characters'),
  (v) => (v.length > MAX_TEXT ? SLOW : v),
);

// at most 12 digits before the point: the columns are numeric(14,2), and no household earns more
const MONEY = /^(\d{1,3}(,\d{3}){1,3}|\d{1,12})(\.\d{1,2})?$/;

function money() {
  return str()
    .refine((s) => MONEY.test(s), { message: 'not an amount in yuan (digits, up to 2 decimals)' })
    .transform((s) => Number(s.replaceAll(',', '')));
}
const fastMoney = (v: string): number | typeof SLOW => (MONEY.test(v) ? Number(v.includes(',') ? v.replaceAll(',', '') : v) : SLOW);
export const [requiredMoney, optionalMoney] = requiredAndOptional(money, fastMoney);

// a count of things a person holds (properties, vehicles, registrations): a whole number under 1,000
const COUNT = /^\d{1,3}$/;
const count = () =>
  str()
    .refine((s) => COUNT.test(s), { message: 'not a count (a whole number from 0 to 999)' })
    .transform(Number);
export const [requiredCount, optionalCount] = requiredAndOptional(count, (v) => (COUNT.test(v) ? Number(v) : SLOW));

/** A calendar date as YYYY-MM-DD; YYYYMMDD and YYYY/MM/DD (a spreadsheet's habit) are accepted. */
export function parseDate(s: string): string | null {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  const separated = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$/.exec(s);
  const parts = compact ? [compact[1], compact[2], compact[3]] : separated ? [separated[1], separated[3], separated[4]] : null;
  if (!parts) return null;
  const [y, mo, d] = parts.map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || y < 1900) return null;
  return `${parts[0]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function date() {
  return str().transform((s, ctx) => {
    const d = parseDate(s);
    if (d === null) {
      ctx.addIssue({ code: 'custom', message: `${shown(s)} is not a date (YYYY-MM-DD or YYYYMMDD)` });
      return z.NEVER;
    }
    return d;
  });
}
// a month's files hold a few thousand distinct dates in millions of rows
const knownDates = new Map<string, string | null>();
function cachedDate(v: string): string | typeof SLOW {
  let d = knownDates.get(v);
  if (d === undefined) {
    d = parseDate(v);
    if (knownDates.size >= 50_000) knownDates.clear();
    knownDates.set(v, d);
  }
  return d ?? SLOW;
}
export const [requiredDate, optionalDate] = requiredAndOptional(date, cachedDate);

const TRUE = new Set(['1', 'y', 'yes', 'true', 't', '是']);
const FALSE = new Set(['0', 'n', 'no', 'false', 'f', '否']);
for (const word of [...TRUE, ...FALSE]) boundedCodes.add(word);
export const requiredBoolean = withFast(
  z.preprocess(
    clean,
    str().transform((s, ctx) => {
      const v = s.toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${shown(s)} is not a yes/no value (1/0, Y/N, true/false, 是/否)` });
      return z.NEVER;
    }),
  ),
  (raw) => {
    const v = clean(raw)?.toLowerCase();
    return v === undefined ? SLOW : TRUE.has(v) ? true : FALSE.has(v) ? false : SLOW;
  },
);

const codeLookups = new WeakMap<z.ZodType, Map<string, string>>();

/** An enum whose values may come in English or as the department's Chinese word. */
export function codeList<const T extends string>(values: Record<string, T>, what: string) {
  const lookup = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  for (const v of Object.values(values)) lookup.set(v.toLowerCase(), v);
  for (const code of lookup.keys()) boundedCodes.add(code);
  const allowed = [...new Set(Object.values(values))].join(', ');
  const schema = str().transform((s, ctx): T => {
    const v = lookup.get(s.toLowerCase());
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `${shown(s)} is not a known ${what} (${allowed})` });
      return z.NEVER;
    }
    return v;
  });
  codeLookups.set(schema, lookup);
  return schema;
}

function lookupOf(list: z.ZodType): Map<string, string> {
  const lookup = codeLookups.get(list);
  if (!lookup) throw new Error('not a codeList');
  return lookup;
}

/** A required code-list column (cleaned first). */
export function requiredCode<T extends string>(list: z.ZodType<T>) {
  const lookup = lookupOf(list);
  return withFast(z.preprocess(clean, list), (raw) => {
    const v = clean(raw);
    return v === undefined ? SLOW : ((lookup.get(v.toLowerCase()) as T | undefined) ?? SLOW);
  });
}

/** An optional code-list column; a missing value reads as `fallback` when one is given. */
export function optionalCode<T extends string, F extends T | undefined = undefined>(list: z.ZodType<T>, fallback?: F) {
  const lookup = lookupOf(list);
  const schema = z.preprocess(clean, list.optional()).transform((v): T | F => v ?? (fallback as F));
  return withFast(schema, ((raw: string | undefined) => {
    const v = clean(raw);
    return v === undefined ? fallback : (lookup.get(v.toLowerCase()) ?? SLOW);
  }) as Fast<z.output<typeof schema>>);
}

/** A required column that must match a pattern (after cleaning, and upper-casing when asked). */
export function requiredPattern(pattern: RegExp, message: string, opts: { upper?: boolean } = {}) {
  const prepare = (raw: unknown) => {
    const v = clean(raw as string | undefined);
    return opts.upper ? v?.toUpperCase() : v;
  };
  return withFast(z.preprocess(prepare, z.string({ error: 'value is missing' }).regex(pattern, message)), (raw) => {
    const v = prepare(raw);
    return v !== undefined && pattern.test(v) ? v : SLOW;
  });
}

/** The ID number, canonical and checked; `asOf` is the period's last day (nobody is born after it). */
export function idNumber(asOf: Date) {
  const schema = z.preprocess(
    (raw) => (typeof raw === 'string' ? raw : undefined),
    str().transform((s, ctx): ParsedIdNumber => {
      const r = parseIdNumber(s, asOf);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: `invalid ID number (${r.reason}): ${r.message}` });
        return z.NEVER;
      }
      return r;
    }),
  );
  return withFast(schema, (raw) => {
    if (raw === undefined) return SLOW;
    const r = parseIdNumber(raw, asOf);
    return r.ok ? r : SLOW;
  });
}

/** An ID number that may be left empty (a second person a row names: a newborn's parent). */
export function optionalIdNumber(asOf: Date) {
  const required = idNumber(asOf);
  const schema = z.preprocess(clean, required.optional());
  return withFast(schema, (raw) => {
    const v = clean(raw);
    if (v === undefined) return undefined;
    const r = parseIdNumber(v, asOf);
    return r.ok ? r : SLOW;
  });
}

/** A yes/no column that may be left empty: empty reads as no. */
export const optionalBoolean = withFast(
  z.preprocess(clean, requiredBoolean.optional()).transform((v) => v ?? false),
  (raw) => {
    const v = clean(raw)?.toLowerCase();
    return v === undefined ? false : TRUE.has(v) ? true : FALSE.has(v) ? false : SLOW;
  },
);
