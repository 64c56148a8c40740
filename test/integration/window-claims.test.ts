import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { buildWindowClaims, latestClaims, refreshLatestClaims, windowClaims, windowClaimsFromLatest } from '../../src/db/latest-claims.js';
import type { Database } from '../../src/db/schema.js';
import { withTransaction, type Tx } from '../../src/db/transaction.js';
import { claimsWindowStart, isoDate, periodEnd, periodWindow } from '../../src/period.js';
import { useTestDatabase } from '../helpers/database.js';
import { makeId } from '../helpers/inbox.js';

/**
 * `windowClaims(period)` is `latestClaims(period)` with the 12-month window applied, computed
 * without sorting the versions received before the window: the same rows, claim for claim, in
 * every case of corrections, daily deltas and history. So is `claim_latest` read for the newest
 * period, kept month by month as the runs keep it, reruns included.
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
  // each month's claims in, as each month's run keeps the table
  await withTransaction(test.handle.pool, async (tx) => {
    for (const month of MONTHS) await refreshLatestClaims(tx, month);
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

/** In `tx`, a login of its own with the batch's table rights, not granted claim_latest's build function (migration 0024). */
async function asLoginWithoutBuild(tx: Tx): Promise<void> {
  const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(tx.db);
  await sql`create role safetynet_test_no_build`.execute(tx.db);
  await sql`grant select, insert, update, delete on claim, daily_claim, claim_latest to safetynet_test_no_build`.execute(tx.db);
  await sql`grant temporary on database ${sql.id(rows[0]!.db)} to safetynet_test_no_build`.execute(tx.db);
  await sql`set local role safetynet_test_no_build`.execute(tx.db);
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

describe("each claim's latest version (claim_latest), as the months' runs keep it", () => {
  it('gives the newest period the same window as the sort of every version', async () => {
    const { expected, actual } = await both('2026-11', windowClaimsFromLatest);
    expect(actual).toEqual(expected);
    expect(actual.length).toBeGreaterThan(0);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from claim_latest`.execute(test.handle.db);
    // one row a claim that has a monthly version: the nightly-only ones have none
    expect(rows[0]!.n).toBe(new Set(VERSIONS.filter((v) => v[1].length === 7).map((v) => v[0])).size);
  });

  it('is built whole from every version when empty (the first month), the same as kept month by month', async () => {
    const kept = (await sql`select * from claim_latest order by claim_id`.execute(test.handle.db)).rows;
    await rolledBack(async (tx) => {
      await sql`delete from claim_latest`.execute(tx.db);
      expect(await refreshLatestClaims(tx, '2026-11')).toBe(true);
      expect((await sql`select * from claim_latest order by claim_id`.execute(tx.db)).rows).toEqual(kept);
    });
  });

  it('is built anew, not claim by claim, when a month touches most of it (a rerun of the first month, a year of claims)', async () => {
    await rolledBack(async (tx) => {
      const filenode = async () => (await sql<{ f: string }>`select pg_relation_filenode('claim_latest')::text as f`.execute(tx.db)).rows[0]!.f;
      const before = await filenode();
      // a month that touches a few claims of many is brought up to date claim by claim
      await receive(tx.db, 'twice', '2026-12', A, '2026-02-01', 1700);
      expect(await refreshLatestClaims(tx, '2026-12')).toBe(true);
      expect(await filenode()).toBe(before);
      // sent again with more claims than the table holds: the table is built again whole
      for (let i = 0; i < 30; i++) await receive(tx.db, `bulk-${i}`, '2026-12', B, '2026-12-01', i);
      expect(await refreshLatestClaims(tx, '2026-12')).toBe(true);
      expect(await filenode()).not.toBe(before);
      const { rows: latest } = await sql`select * from claim_latest order by claim_id`.execute(tx.db);
      const { rows: expected } = await sql`
        select distinct on (claim_id) claim_id, received_period, line, id18, name, settled_on, inpatient, out_of_pocket, birth_date, sex
        from claim order by claim_id, received_period desc`.execute(tx.db);
      expect(latest).toEqual(expected);
      const window = await both('2026-12', windowClaimsFromLatest, tx.db);
      expect(window.actual).toEqual(window.expected);
      expect(window.actual).toContain(`${B} 2026-12-01 false 29`);
    });
  });

  it('is kept through its indexes, the same, by a login that may not call the owner function that builds it', async () => {
    const kept = (await sql`select * from claim_latest order by claim_id`.execute(test.handle.db)).rows;
    await rolledBack(async (tx) => {
      await asLoginWithoutBuild(tx);
      await expect(sql`select safetynet_build_latest_claims(false)`.execute(tx.db)).rejects.toMatchObject({ code: '42501' });
    });
    await rolledBack(async (tx) => {
      await asLoginWithoutBuild(tx);
      // empty: built whole through the indexes; then a month that touches most of it, claim by claim
      await sql`delete from claim_latest`.execute(tx.db);
      expect(await refreshLatestClaims(tx, '2026-11')).toBe(true);
      expect((await sql`select * from claim_latest order by claim_id`.execute(tx.db)).rows).toEqual(kept);
      for (let i = 0; i < 30; i++) await receive(tx.db, `bulk-${i}`, '2026-12', B, '2026-12-01', i);
      expect(await refreshLatestClaims(tx, '2026-12')).toBe(true);
      const window = await both('2026-12', windowClaimsFromLatest, tx.db);
      expect(window.actual).toEqual(window.expected);
      expect(window.actual).toContain(`${B} 2026-12-01 false 29`);
    });
  });

  it('answers only for a period no later one was received after: an earlier month is sorted', async () => {
    await rolledBack(async (tx) => {
      expect(await refreshLatestClaims(tx, '2026-10')).toBe(false);
      expect(await refreshLatestClaims(tx, '2026-11')).toBe(true);
    });
  });

  it('stays the latest version through a rerun of the newest month, sent again changed or without a claim', async () => {
    await rolledBack(async (tx) => {
      // sent again: the correction of "twice" changed, a claim it did not have before
      await sql`delete from claim where received_period = '2026-11'`.execute(tx.db);
      await receive(tx.db, 'twice', '2026-11', A, '2026-02-01', 8888);
      await receive(tx.db, 'new', '2026-11', B, '2026-11-03', 77);
      expect(await refreshLatestClaims(tx, '2026-11')).toBe(true);
      let window = await both('2026-11', windowClaimsFromLatest, tx.db);
      expect(window.actual).toEqual(window.expected);
      expect(window.actual).toContain(`${B} 2026-11-03 false 77`);
      // sent again without "twice": its version of 2026-05 is the latest again, "new" is gone
      await sql`delete from claim where received_period = '2026-11'`.execute(tx.db);
      await receive(tx.db, 'other', '2026-11', B, '2026-11-04', 5);
      expect(await refreshLatestClaims(tx, '2026-11')).toBe(true);
      window = await both('2026-11', windowClaimsFromLatest, tx.db);
      expect(window.actual).toEqual(window.expected);
      const { rows } = await sql<{ claim_id: string; received_period: string; out_of_pocket: number }>`
        select claim_id, received_period, out_of_pocket from claim_latest where claim_id in ('twice', 'new') order by 1`.execute(tx.db);
      expect(rows).toEqual([{ claim_id: 'twice', received_period: '2026-05', out_of_pocket: 1500 }]);
      // the next month after the rerun: the table answers for it
      await receive(tx.db, 'twice', '2026-12', A, '2026-02-01', 1600);
      expect(await refreshLatestClaims(tx, '2026-12')).toBe(true);
      window = await both('2026-12', windowClaimsFromLatest, tx.db);
      expect(window.actual).toEqual(window.expected);
      expect(window.actual).toContain(`${A} 2026-02-01 false 1600`);
    });
  });

  it('is what a run reads for its window: the newest month from the table, an earlier one sorted', async () => {
    await rolledBack(async (tx) => {
      for (const period of ['2026-11', '2026-10']) {
        await sql`drop table if exists window_claims`.execute(tx.db);
        const table = await buildWindowClaims(tx, periodWindow(period, null));
        const { rows } = await sql<Row>`select id18, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, out_of_pocket from ${table} t`.execute(tx.db);
        expect(sorted(rows), period).toEqual((await both(period, windowClaims, tx.db)).expected);
      }
    });
  });
});
