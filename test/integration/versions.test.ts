import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.js';
import { asOf, forgetPeriod, writeVersions, type Versioned } from '../../src/db/versions.js';
import { useTestDatabase } from '../helpers/database.js';

/**
 * `writeVersions` of some people only (`only: 'given'`, the identity rescue's rows added to a
 * period the ingest wrote) and `forgetPeriod` (a rerun without an optional department's
 * extract): every period reads what a clean writing of each period's content gives, and the
 * versions are a clean run's.
 */
const test = useTestDatabase();
const V: Versioned = { table: 'probe_version', periods: 'probe_period', key: ['id18', 'ordinal'], columns: ['grade'] };

// a period's content: person → grades, numbered 1.. in that order
type Content = Record<string, number[]>;
const rows = (c: Content) => {
  const values = Object.entries(c).flatMap(([id18, grades]) => grades.map((g, i) => sql`(${id18}::text, ${i + 1}::int, ${g}::int)`));
  return values.length === 0
    ? sql`select null::text as id18, null::int as ordinal, null::int as grade where false`
    : sql`select * from (values ${sql.join(values)}) as r (id18, ordinal, grade)`;
};

const write = (period: string, c: Content, only?: 'given') =>
  withTransaction(test.handle.pool, (tx) => writeVersions(tx, V, period, rows(c), only ? { only } : {}));

async function read(period: string): Promise<Content> {
  const { rows: got } = await sql<{ id18: string; grade: number }>`select id18, grade from ${asOf(V, period)} as v order by id18, ordinal`.execute(test.handle.db);
  const out: Content = {};
  for (const r of got) (out[r.id18] ??= []).push(r.grade);
  return out;
}

const versions = async () => (await sql`select * from probe_version order by id18, ordinal, valid_from`.execute(test.handle.db)).rows;

async function reset(): Promise<void> {
  await sql`drop table if exists probe_version, probe_period`.execute(test.handle.db);
  await sql`
    create table probe_period (period text primary key);
    create table probe_version (id18 text not null, ordinal int not null, valid_from text not null, valid_until text, grade int, primary key (id18, ordinal, valid_from))
  `.execute(test.handle.db);
}

const MONTHS: Content[] = [
  { a: [1], b: [2, 3] },
  { a: [1], b: [2, 3], c: [4] },
  { a: [1], b: [2], c: [4] },
];

describe('versions written in part, and a period forgotten', () => {
  let clean: unknown[];
  beforeAll(async () => {
    await reset();
    for (const [i, c] of MONTHS.entries()) await write(`2026-0${i + 1}`, c);
    clean = await versions();
  });

  it('writes only the people given, leaving the others as the period had them', async () => {
    await reset();
    await write('2026-01', MONTHS[0]!);
    await write('2026-03', MONTHS[2]!);
    // month 2 written without c, then c added alone, after the month that follows it
    await write('2026-02', { a: [1], b: [2, 3] });
    expect(await read('2026-02')).toEqual({ a: [1], b: [2, 3] });
    await write('2026-02', { c: [4] }, 'given');
    for (const [i, c] of MONTHS.entries()) expect(await read(`2026-0${i + 1}`)).toEqual(c);
    expect(await versions()).toEqual(clean);
  });

  it('a person given is written whole: rows the period had and the content lacks end there', async () => {
    await write('2026-02', { b: [2] }, 'given');
    expect(await read('2026-02')).toEqual({ a: [1], b: [2], c: [4] });
    await write('2026-02', { b: [2, 3] }, 'given');
    expect(await versions()).toEqual(clean);
  });

  it('forgets a period: it reads nothing, the others as before; written again, the versions are a clean run\'s', async () => {
    await withTransaction(test.handle.pool, (tx) => forgetPeriod(tx, V, '2026-02'));
    expect(await read('2026-02')).toEqual({});
    expect(await read('2026-01')).toEqual(MONTHS[0]);
    expect(await read('2026-03')).toEqual(MONTHS[2]);
    // a period never written is forgotten as a no-op
    await withTransaction(test.handle.pool, (tx) => forgetPeriod(tx, V, '2026-07'));
    await write('2026-02', MONTHS[1]!);
    for (const [i, c] of MONTHS.entries()) expect(await read(`2026-0${i + 1}`)).toEqual(c);
    expect(await versions()).toEqual(clean);
  });
});
