import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { buildWindowClaims, latestClaims, markSupersededClaims, windowClaims } from '../../src/db/latest-claims.js';
import type { Database } from '../../src/db/schema.js';
import { withTransaction, type Tx } from '../../src/db/transaction.js';
import { claimsWindowStart, isoDate, periodEnd, periodWindow } from '../../src/period.js';
import { useTestDatabase } from '../helpers/database.js';
import { makeId } from '../helpers/inbox.js';

/**
 * `windowClaims(period)` is `latestClaims(period)` with the 12-month window applied, read
 * without sorting any version: the same rows, claim for claim, in every case of corrections,
 * daily deltas and history, for the newest period and earlier ones, as the months' runs keep
 * `claim.superseded_by` (late months and reruns included).
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

const MONTHS = [...new Set(VERSIONS.map((v) => v[1]).filter((r) => r.length === 7))].sort();

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
  // each month's claims in, as each month's run marks what they supersede
  await withTransaction(test.handle.pool, async (tx) => {
    for (const month of MONTHS) await markSupersededClaims(tx, month);
  });
});

type Row = { id18: string; settled_on: string; inpatient: boolean; out_of_pocket: number };
const sorted = (rows: Row[]) => rows.map((r) => `${r.id18} ${r.settled_on} ${r.inpatient} ${r.out_of_pocket}`).sort();

async function both(
  period: string,
  source: typeof windowClaims = windowClaims,
  db: Kysely<Database> = test.handle.db,
): Promise<{ expected: string[]; actual: string[] }> {
  const { rows: expected } = await sql<Row>`
    select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${latestClaims(period)} l
    where settled_on >= ${claimsWindowStart(period)}::date and settled_on <= ${isoDate(periodEnd(period))}::date
  `.execute(db);
  const { rows: actual } = await sql<Row>`
    select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${source(periodWindow(period, null))} w
  `.execute(db);
  return { expected: sorted(expected), actual: sorted(actual) };
}

const ROLLBACK = new Error('rollback');
async function rolledBack(fn: Parameters<typeof withTransaction>[1]): Promise<void> {
  await expect(withTransaction(test.handle.pool, async (tx) => {
    await fn(tx);
    throw ROLLBACK;
  })).rejects.toBe(ROLLBACK);
}

/** A monthly version of `claim` received in `period`. */
const receive = (db: Kysely<Database>, claim: string, period: string, id18: string, settled: string, oop: number) =>
  sql`insert into claim (claim_id, received_period, line, id18, settled_on, inpatient, total_cost, fund_paid, assistance_paid, out_of_pocket, birth_date, sex)
      values (${claim}, ${period}, 1, ${id18}, ${settled}::date, false, ${oop}, 0, 0, ${oop}, '1980-01-01', 'm')`.execute(db);

/** Each version's superseded_by, and what it should be: the received period of the claim's next version. */
async function chain(db: Kysely<Database>): Promise<{ actual: string[]; expected: string[] }> {
  const { rows } = await sql<{ claim_id: string; received_period: string; superseded_by: string | null; next: string | null }>`
    select claim_id, received_period, superseded_by,
           lead(received_period) over (partition by claim_id order by received_period) as next
    from claim order by claim_id, received_period`.execute(db);
  return {
    actual: rows.map((r) => `${r.claim_id} ${r.received_period} → ${r.superseded_by}`),
    expected: rows.map((r) => `${r.claim_id} ${r.received_period} → ${r.next}`),
  };
}

const EVERY_PERIOD = ['2025-10', '2025-12', '2026-01', '2026-03', '2026-04', '2026-05', '2026-09', '2026-10', '2026-11', '2026-12', '2027-02'];

/** The window of every period is the sort's, in `db`. */
async function everyWindowAgrees(db: Kysely<Database>): Promise<void> {
  for (const period of EVERY_PERIOD) {
    const { expected, actual } = await both(period, windowClaims, db);
    expect(actual, period).toEqual(expected);
  }
}

/** Each version superseded by the claim's next one and every period's window the sort's, in `db`: the chain, for what a test adds. */
async function keptRight(db: Kysely<Database>): Promise<string[]> {
  const versions = await chain(db);
  expect(versions.actual).toEqual(versions.expected);
  await everyWindowAgrees(db);
  return versions.actual;
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

describe('each version says which period superseded it (claim.superseded_by), as the months\' runs keep it', () => {
  it("is the received period of the claim's next version, null for the latest", async () => {
    const { actual, expected } = await chain(test.handle.db);
    expect(actual).toEqual(expected);
    expect(actual).toContain('twice 2026-02 → 2026-05');
    expect(actual).toContain('twice 2026-05 → 2026-11');
    expect(actual).toContain('twice 2026-11 → null');
  });

  it('is written only where a version gains a successor: a month of new claims writes none', async () => {
    await rolledBack(async (tx) => {
      for (let i = 0; i < 30; i++) await receive(tx.db, `bulk-${i}`, '2026-12', B, '2026-12-01', i);
      expect(await markSupersededClaims(tx, '2026-12')).toBe(0);
      // and marked again, the month writes nothing
      expect(await markSupersededClaims(tx, '2026-11')).toBe(0);
      await receive(tx.db, 'twice', '2026-12', A, '2026-02-01', 1700);
      expect(await markSupersededClaims(tx, '2026-12')).toBe(1);
      expect((await chain(tx.db)).actual).toContain('twice 2026-11 → 2026-12');
      await everyWindowAgrees(tx.db);
      expect((await both('2026-12', windowClaims, tx.db)).actual).toContain(`${A} 2026-02-01 false 1700`);
    });
  });

  it('stays right through a rerun of a month, sent again changed or without a claim', async () => {
    await rolledBack(async (tx) => {
      // sent again: the correction of "twice" changed, a claim it did not have before
      await sql`delete from claim where received_period = '2026-11'`.execute(tx.db);
      await receive(tx.db, 'twice', '2026-11', A, '2026-02-01', 8888);
      await receive(tx.db, 'new', '2026-11', B, '2026-11-03', 77);
      await markSupersededClaims(tx, '2026-11');
      await keptRight(tx.db);
      expect((await both('2026-11', windowClaims, tx.db)).actual).toContain(`${B} 2026-11-03 false 77`);
      // sent again without "twice": its version of 2026-05 is the latest again, "new" is gone
      await sql`delete from claim where received_period = '2026-11'`.execute(tx.db);
      await receive(tx.db, 'other', '2026-11', B, '2026-11-04', 5);
      await markSupersededClaims(tx, '2026-11');
      expect(await keptRight(tx.db)).toContain('twice 2026-05 → null');
      expect((await both('2026-11', windowClaims, tx.db)).actual).toContain(`${A} 2026-02-01 true 1500`);
    });
  });

  it('stays right when a month is run after the months that follow it', async () => {
    await rolledBack(async (tx) => {
      // 2026-03 arrives late, with a correction of "twice" between its versions of 2026-02 and 2026-05
      await receive(tx.db, 'twice', '2026-03', A, '2026-02-01', 1200);
      expect(await markSupersededClaims(tx, '2026-03')).toBe(2);
      const versions = await keptRight(tx.db);
      expect(versions).toContain('twice 2026-02 → 2026-03');
      expect(versions).toContain('twice 2026-03 → 2026-05');
      expect((await both('2026-04', windowClaims, tx.db)).actual).toContain(`${A} 2026-02-01 false 1200`);
    });
  });

  it('is marked by the run as it keeps the window claims once, for the newest month and an earlier one', async () => {
    await rolledBack(async (tx) => {
      await receive(tx.db, 'twice', '2026-12', A, '2026-02-01', 1600);
      for (const period of ['2026-12', '2026-10']) {
        await sql`drop table if exists window_claims`.execute(tx.db);
        const table = await buildWindowClaims(tx, periodWindow(period, null));
        const { rows } = await sql<Row>`select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${table} t`.execute(tx.db);
        expect(sorted(rows), period).toEqual((await both(period, windowClaims, tx.db)).expected);
      }
      expect((await chain(tx.db)).actual).toContain('twice 2026-11 → 2026-12');
    });
  });
});
