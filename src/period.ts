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

/**
 * The dates one month is measured by. Built once, when the month's run starts (the previous
 * period is read from the ledger then), and handed to every stage that measures by it: the
 * claims window, the link, the facts, the ledger. A stage that took the period alone and worked
 * these out again could disagree with the others (another previous period once an earlier month
 * has been run in between), so none does.
 */
export interface PeriodWindow {
  period: string;
  /** the period's last day (UTC midnight): ages are taken and the 12-month window ends on it */
  end: Date;
  /** `end` as YYYY-MM-DD, as SQL compares it */
  endDay: string;
  /** first day of the 12 calendar months ending with the period (2026-10 → 2025-11-01): the claims window */
  claimsFrom: string;
  /** the month of `claimsFrom`, YYYY-MM: extracts received before it hold no claim of the window */
  claimsFromPeriod: string;
  /** the latest earlier period with a successful run, what change is measured against; null for the first month run */
  previous: string | null;
  /**
   * The departments (optional ones) that did not deliver this period, each with the period
   * whose rows stand in for it: its latest delivered extract, or null before its first. A
   * department not named here delivered this period.
   */
  notDelivered: Readonly<Record<string, string | null>>;
}

export function periodWindow(period: string, previous: string | null, notDelivered: Readonly<Record<string, string | null>> = {}): PeriodWindow {
  const end = periodEnd(period);
  const claimsFrom = claimsWindowStart(period);
  return { period, end, endDay: isoDate(end), claimsFrom, claimsFromPeriod: claimsFrom.slice(0, 7), previous, notDelivered };
}

/** The period whose rows of a snapshot department the month uses: its own, or the latest delivered before it (null: none). */
export function rowsPeriod(window: PeriodWindow, department: string): string | null {
  return department in window.notDelivered ? window.notDelivered[department]! : window.period;
}

/** What a month without a department's extract says, for the run summary, the data-quality report and the card. */
export function notDeliveredNote(window: PeriodWindow, department: string, lang: 'en' | 'zh' = 'en'): string | null {
  if (!(department in window.notDelivered)) return null;
  const asOf = window.notDelivered[department];
  if (lang === 'zh') {
    return asOf === null
      ? `${department}：${window.period}未报送，尚无数据`
      : `${department}数据截至${asOf}：${window.period}的数据尚未报送`;
  }
  return asOf === null
    ? `${department}: not delivered; no ${window.period} extract and none before it`
    : `${department} as of ${asOf}: the ${window.period} extract has not arrived`;
}
