import { z } from 'zod';
import { parseIdNumber, type ParsedIdNumber } from '../identity/id-number.js';

/**
 * Field parsers shared by every department's row schema. Input is the raw CSV text; the
 * contract's rules: empty = missing, money in yuan with up to 2 decimals, dates YYYY-MM-DD or
 * YYYYMMDD, booleans 1/0, Y/N, true/false, 是/否, enums in English or Chinese.
 */

/** NFKC (full-width digits and letters become ASCII), trimmed; '' becomes undefined. */
export function clean(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.normalize('NFKC').trim();
  return v === '' ? undefined : v;
}

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

/** a string whose absence reads as 'value is missing' rather than zod's type jargon */
const str = () => z.string({ error: (iss) => (iss.input === undefined ? 'value is missing' : undefined) });
const text = str();

export const requiredText = z.preprocess(clean, text.max(500, 'longer than 500 characters'));
export const optionalText = z.preprocess(clean, text.max(500, 'longer than 500 characters').optional());

// at most 12 digits before the point: the columns are numeric(14,2), and no household earns more
const MONEY = /^(\d{1,3}(,\d{3}){1,3}|\d{1,12})(\.\d{1,2})?$/;

function money() {
  return str()
    .refine((s) => MONEY.test(s), { message: 'not an amount in yuan (digits, up to 2 decimals)' })
    .transform((s) => Number(s.replaceAll(',', '')));
}
export const requiredMoney = z.preprocess(clean, money());
export const optionalMoney = z.preprocess(clean, money().optional());

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
      ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a date (YYYY-MM-DD or YYYYMMDD)` });
      return z.NEVER;
    }
    return d;
  });
}
export const requiredDate = z.preprocess(clean, date());
export const optionalDate = z.preprocess(clean, date().optional());

const TRUE = new Set(['1', 'y', 'yes', 'true', 't', '是']);
const FALSE = new Set(['0', 'n', 'no', 'false', 'f', '否']);
export const requiredBoolean = z.preprocess(
  clean,
  str().transform((s, ctx) => {
    const v = s.toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a yes/no value (1/0, Y/N, true/false, 是/否)` });
    return z.NEVER;
  }),
);

/** An enum whose values may come in English or as the department's Chinese word. */
export function codeList<const T extends string>(values: Record<string, T>, what: string) {
  const lookup = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  for (const v of Object.values(values)) lookup.set(v.toLowerCase(), v);
  const allowed = [...new Set(Object.values(values))].join(', ');
  return str().transform((s, ctx): T => {
    const v = lookup.get(s.toLowerCase());
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a known ${what} (${allowed})` });
      return z.NEVER;
    }
    return v;
  });
}

/** The ID number, canonical and checked; `asOf` is the period's last day (nobody is born after it). */
export function idNumber(asOf: Date) {
  return z.preprocess(
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
}
