import { UsageError } from './errors.js';

/** A period is a calendar month, `YYYY-MM`. */
export const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function assertPeriod(p: string): string {
  if (!PERIOD.test(p)) throw new UsageError(`period "${p}" is not a month written YYYY-MM`);
  return p;
}

/** A calendar day as YYYY-MM-DD that exists (not 2026-13-01, not 2026-02-30), or null. */
export function calendarDay(d: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return null;
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d ? d : null;
}

/** The last day of the period (UTC), the date every age and 12-month window is measured at. */
export function periodEnd(p: string): Date {
  const [, y, m] = PERIOD.exec(assertPeriod(p))!;
  return new Date(Date.UTC(Number(y), Number(m), 0));
}

export const isoDate = (d: Date): string => d.toISOString().slice(0, 10);

/** The month `n` months after the period (before it when `n` is negative). */
export function addMonths(p: string, n: number): string {
  const [, y, m] = PERIOD.exec(assertPeriod(p))!;
  return new Date(Date.UTC(Number(y), Number(m) - 1 + n, 1)).toISOString().slice(0, 7);
}

export function previousPeriod(p: string): string {
  return addMonths(p, -1);
}

/** First day of the 12 calendar months ending with the period (2026-10 → 2025-11-01): the claims window. */
export function claimsWindowStart(p: string): string {
  return `${addMonths(p, -11)}-01`;
}
