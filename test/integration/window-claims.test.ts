import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWindowClaims, latestClaims, windowClaims } from '../../src/db/latest-claims.js';
import { withTransaction } from '../../src/db/transaction.js';
import { claimsWindowStart, isoDate, periodEnd, periodWindow } from '../../src/period.js';
import { useTestDatabase } from '../helpers/database.js';
import { makeId } from '../helpers/inbox.js';

/**
 * `windowClaims(period)` is `latestClaims(period)` with the 12-month window applied, computed
 * without sorting the versions received before the window: the same rows, claim for claim, in
 * every case of corrections, daily deltas and history.
 */
const test = useTestDatabase();
const A = makeId('19800101', 11);
const B = makeId('19820202', 22);

// claim_id, received (a period for the monthly extract, a day for a daily delta), id18, settled_on, inpatient, out_of_pocket
type Version = [string, string, string, string, boolean, number];
const VERSIONS: Version[] = [
  // settled and received long before the window of 2026-10: outside it
  ['old', '2025-06', A, '2025-06-10', false, 100],
  // received before the window, corrected in it with a settlement date moved into the window
  ['moved', '2025-10', A, '2025-10-20', false, 200],
  ['moved', '2026-01', A, '2025-11-02', false, 250],
  // corrected twice: the latest version up to the period counts, once
  ['twice', '2026-02', A, '2026-02-01', true, 1000],
  ['twice', '2026-05', A, '2026-02-01', true, 1500],
  ['twice', '2026-11', A, '2026-02-01', true, 9999],
  // corrected to another person
  ['person', '2026-03', A, '2026-03-03', false, 300],
  ['person', '2026-04', B, '2026-03-03', false, 300],
  // a claim seen at night and again in the month: the monthly version wins
  ['night+month', '2026-10-05', B, '2026-10-05', true, 700],
  ['night+month', '2026-10', B, '2026-10-05', true, 750],
  // a claim seen only at night, corrected the next night: the later night's version
  ['night', '2026-10-20', B, '2026-10-20', false, 40],
  ['night', '2026-10-21', B, '2026-10-20', false, 45],
  // a night after the period's end is not the period's
  ['late night', '2026-11-02', B, '2026-11-01', false, 5],
  // a monthly version received before the window beats a daily one sent in it
  ['old+night', '2025-09', A, '2025-09-09', false, 60],
  ['old+night', '2026-10-09', A, '2026-10-09', false, 65],
];

beforeAll(async () => {
  for (const [claim, received, id18, settled, inpatient, oop] of VERSIONS) {
    const values = [claim, 1, id18, settled, inpatient, oop, oop, 0, oop, '1980-01-01', 'm'];
    if (received.length === 7) {
      await test.handle.pool.query(
        `insert into claim (claim_id, received_period, line, id18, settled_on, inpatient, total_cost, fund_paid, assistance_paid, out_of_pocket, birth_date, sex)
         values ($1, $12, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [...values, received],
      );
    } else {
      await test.handle.pool.query(
        `insert into daily_claim (claim_id, day, line, id18, settled_on, inpatient, total_cost, fund_paid, assistance_paid, out_of_pocket, birth_date, sex)
         values ($1, $12, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [...values, received],
      );
    }
  }
});

type Row = { id18: string; settled_on: string; inpatient: boolean; out_of_pocket: number };
const sorted = (rows: Row[]) => rows.map((r) => `${r.id18} ${r.settled_on} ${r.inpatient} ${r.out_of_pocket}`).sort();

async function both(period: string): Promise<{ expected: string[]; actual: string[] }> {
  const { rows: expected } = await sql<Row>`
    select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${latestClaims(period)} l
    where settled_on >= ${claimsWindowStart(period)}::date and settled_on <= ${isoDate(periodEnd(period))}::date
  `.execute(test.handle.db);
  const { rows: actual } = await sql<Row>`
    select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${windowClaims(periodWindow(period, null))} w
  `.execute(test.handle.db);
  return { expected: sorted(expected), actual: sorted(actual) };
}

describe('the claims of a period window', () => {
  it('are the latest versions up to the period, settled in its 12 months', async () => {
    const { expected, actual } = await both('2026-10');
    expect(actual).toEqual(expected);
    expect(actual).toEqual(
      sorted([
        { id18: A, settled_on: '2025-11-02', inpatient: false, out_of_pocket: 250 },
        { id18: A, settled_on: '2026-02-01', inpatient: true, out_of_pocket: 1500 },
        { id18: B, settled_on: '2026-03-03', inpatient: false, out_of_pocket: 300 },
        { id18: B, settled_on: '2026-10-05', inpatient: true, out_of_pocket: 750 },
        { id18: B, settled_on: '2026-10-20', inpatient: false, out_of_pocket: 45 },
      ]),
    );
  });

  it('agree with the latest versions for every period, earlier ones (reruns) included', async () => {
    for (const period of ['2025-10', '2025-12', '2026-01', '2026-03', '2026-04', '2026-05', '2026-09', '2026-11', '2027-02']) {
      const { expected, actual } = await both(period);
      expect(actual, period).toEqual(expected);
    }
  });

  it('are kept once in the run transaction for the link and the facts', async () => {
    const rows = await withTransaction(test.handle.pool, async (tx) => {
      const table = await buildWindowClaims(tx, periodWindow('2026-10', null));
      return (await sql<Row>`select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${table} t`.execute(tx.db)).rows;
    });
    expect(sorted(rows)).toEqual((await both('2026-10')).expected);
  });
});
