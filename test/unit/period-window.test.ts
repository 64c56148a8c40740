import { describe, expect, it } from 'vitest';
import { windowOfRun } from '../../src/db/runs.js';
import { periodWindow } from '../../src/period.js';

/** The one value a month is measured by: its last day, its 12-month claims window, the month it is compared with. */

describe('the window of a period', () => {
  it('ends on the last day of the month, leap Februaries and 30-day months included', () => {
    expect(periodWindow('2026-10', '2026-09')).toEqual({
      period: '2026-10',
      end: new Date(Date.UTC(2026, 9, 31)),
      endDay: '2026-10-31',
      claimsFrom: '2025-11-01',
      claimsFromPeriod: '2025-11',
      previous: '2026-09',
      notDelivered: {},
    });
    expect(periodWindow('2028-02', null).endDay).toBe('2028-02-29');
    expect(periodWindow('2026-02', null).endDay).toBe('2026-02-28');
    expect(periodWindow('2026-09', null).endDay).toBe('2026-09-30');
  });

  it('counts claims from the first day of the 12 calendar months that end with the period, across a year', () => {
    expect(periodWindow('2026-12', null)).toMatchObject({ claimsFrom: '2026-01-01', claimsFromPeriod: '2026-01', endDay: '2026-12-31' });
    expect(periodWindow('2027-01', null)).toMatchObject({ claimsFrom: '2026-02-01', claimsFromPeriod: '2026-02', endDay: '2027-01-31' });
  });

  it('has no previous period for the first month run, and keeps a gap when months were skipped', () => {
    expect(periodWindow('2026-09', null).previous).toBeNull();
    expect(periodWindow('2026-10', '2026-07').previous).toBe('2026-07');
  });

  it('refuses a period that is no month', () => {
    expect(() => periodWindow('2026-13', null)).toThrow('period "2026-13" is not a month written YYYY-MM');
  });
});

describe('the window a run recorded', () => {
  it('is read back from the run ledger as the run measured it, not as the ledger stands now', () => {
    // 2026-10 ran when 2026-08 was the latest success; 2026-09 was run after it
    const run = { period: '2026-10', summary: { households_scored: 45, previous_period: '2026-08' } };
    expect(windowOfRun(run)).toEqual(periodWindow('2026-10', '2026-08'));
  });

  it('has no previous period when the run had none, or recorded no summary', () => {
    expect(windowOfRun({ period: '2026-09', summary: { previous_period: null } }).previous).toBeNull();
    expect(windowOfRun({ period: '2026-09', summary: null }).previous).toBeNull();
  });
});
