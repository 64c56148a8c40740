import { sql, type Kysely, type RawBuilder } from 'kysely';
import { crashPoint } from '../crash-point.js';
import type { Tx } from './transaction.js';

/**
 * A table kept as versions valid from one period to another instead of a copy a period: a row
 * is written when its key first appears or its content changes, and ended when it changes again
 * or the key leaves. Between two months of a city only about 5% of the roster really changes, so
 * a month writes that 5% and not the city again.
 *
 * A version holds for the loaded periods in [valid_from, valid_until): `valid_until` is the first
 * loaded period (a row of `periods`) it no longer holds, null while it still does. Periods
 * compare as text (YYYY-MM). What a period's readers see is `asOf`: the versions in force then.
 *
 * A period can be written again (a rerun) or first written before periods already there (a late
 * month): `writeVersions` then splits the versions around it and joins equal neighbours again,
 * so the versions are always the same as if every period had been written once, in order.
 */
export interface Versioned {
  /** the versions: `key`, valid_from, valid_until, then `columns` */
  table: string;
  /** the periods it holds, one row each (column `period`) */
  periods: string;
  key: readonly string[];
  /** what a version holds; a change in any of them is a new version */
  columns: readonly string[];
}

/** Whether the version (columns of `alias`, or unqualified) holds in `period` (a value or a column). */
const holdsIn = (period: RawBuilder<unknown>, alias?: string) => {
  const col = (c: string) => sql.ref(alias ? `${alias}.${c}` : c);
  return sql`${col('valid_from')} <= ${period} and (${col('valid_until')} is null or ${col('valid_until')} > ${period})`;
};

/**
 * The versions of `v` in force in `period`, as a parenthesised select to alias (`from ${asOf(v, p)} as r`):
 * none for a period not loaded (null, one never written, or one purged), as for the view over them.
 */
export function asOf(v: Versioned, period: string | null): RawBuilder<unknown> {
  return sql`(
    select * from ${sql.table(v.table)}
    where ${holdsIn(sql`${period}::text`)} and exists (select 1 from ${sql.table(v.periods)} where period = ${period}::text)
  )`;
}

/** Every loaded period before `before` with the versions of `v` in force in it (`period` and the versions' columns), to alias. */
export function periodsBefore(v: Versioned, before: string): RawBuilder<unknown> {
  return sql`(
    select q.period, t.* from ${sql.table(v.periods)} q join ${sql.table(v.table)} t on ${holdsIn(sql.ref('q.period'), 't')}
    where q.period < ${before}
  )`;
}

const refs = (cols: readonly string[], alias: string) => sql.join(cols.map((c) => sql.ref(`${alias}.${c}`)));
const sameKey = (key: readonly string[], a: string, b: string) => sql.join(key.map((k) => sql`${sql.ref(`${a}.${k}`)} = ${sql.ref(`${b}.${k}`)}`), sql` and `);

/**
 * Makes `rows` (a select of `key` and `columns`, one row per key) the period's content of `v`.
 * Only the keys whose content differs from the versions in force are written; the rest keep
 * their version untouched. Runs inside the caller's transaction: a failure leaves the versions
 * as they were. Returns how many keys the period wrote a version for (new or changed).
 *
 * `only: 'given'` writes the period's content of the people `rows` names (the key's first
 * column) and leaves everyone else's as it is: the identity rescue adds a few rows to a period
 * the ingest has written.
 */
export async function writeVersions(
  tx: Pick<Tx, 'db'>,
  v: Versioned,
  period: string,
  rows: RawBuilder<unknown>,
  opts: { only?: 'given' } = {},
): Promise<number> {
  const db = tx.db;
  const t = sql.table(v.table);
  const key = sql.join(v.key.map((k) => sql.ref(k)));
  const cols = sql.join(v.columns.map((c) => sql.ref(c)));
  // one period's writer at a time (two months run at once would each split the versions as the
  // other had not): held to the commit; readers are not kept waiting
  await sql`lock table ${t} in share row exclusive mode`.execute(db);
  await sql`insert into ${sql.table(v.periods)} (period) values (${period}) on conflict do nothing`.execute(db);
  const { rows: nextRows } = await sql<{ next: string | null }>`select min(period) as next from ${sql.table(v.periods)} where period > ${period}`.execute(db);
  // the first later period already written: what held there must go on holding
  const next = nextRows[0]?.next ?? null;

  const { rows: held } = await sql<{ any: boolean }>`select exists (select 1 from ${t}) as any`.execute(db);
  if (!held[0]?.any) {
    // the first period written: every row is new, and goes in key order, so that the primary
    // key fills its pages one after the other instead of all over the index
    const first = await sql`
      insert into ${t} (${key}, valid_from, valid_until, ${cols})
      select ${key}, ${period}::text, ${next}::text, ${cols} from (${rows}) as n order by ${key}
    `.execute(db);
    return Number(first.numAffectedRows ?? 0);
  }

  await sql`drop table if exists version_new, version_changed`.execute(db);
  await sql`create temp table version_new on commit drop as ${rows}`.execute(db);
  await sql`analyze version_new`.execute(db);
  // the keys whose content in the period is not the version in force: new, changed or gone;
  // with the version in force, if any
  await sql`
    create temp table version_changed on commit drop as
    select ${sql.join(v.key.map((k) => sql`coalesce(${sql.ref(`n.${k}`)}, ${sql.ref(`o.${k}`)}) as ${sql.ref(k)}`))},
           o.valid_from, o.valid_until
    from version_new n
    full join ${opts.only === 'given' ? sql`(
      select * from ${asOf(v, period)} as g where ${sql.ref(`g.${v.key[0]!}`)} in (select ${sql.ref(v.key[0]!)} from version_new)
    )` : asOf(v, period)} as o on ${sameKey(v.key, 'n', 'o')}
    where ${sql.ref(`n.${v.key[0]!}`)} is null or ${sql.ref(`o.${v.key[0]!}`)} is null or (${refs(v.columns, 'n')}) is distinct from (${refs(v.columns, 'o')})
  `.execute(db);
  await sql`analyze version_changed`.execute(db);

  if (next !== null) {
    // a changed version that held after the period too goes on from the next period
    await sql`
      insert into ${t} (${key}, valid_from, valid_until, ${cols})
      select ${refs(v.key, 't')}, ${next}::text, t.valid_until, ${refs(v.columns, 't')}
      from ${t} t join version_changed c on ${sameKey(v.key, 't', 'c')} and t.valid_from = c.valid_from
      where t.valid_until is null or t.valid_until > ${next}::text
    `.execute(db);
  }
  // and ends before it; one that began with it goes
  await sql`
    delete from ${t} t using version_changed c
    where ${sameKey(v.key, 't', 'c')} and t.valid_from = c.valid_from and c.valid_from = ${period}::text
  `.execute(db);
  await sql`
    update ${t} t set valid_until = ${period}::text from version_changed c
    where ${sameKey(v.key, 't', 'c')} and t.valid_from = c.valid_from and c.valid_from < ${period}::text
  `.execute(db);
  // the versions split, the period's not written yet
  crashPoint('mid-versions');
  const written = await sql`
    insert into ${t} (${key}, valid_from, valid_until, ${cols})
    select ${refs(v.key, 'n')}, ${period}::text, ${next}::text, ${refs(v.columns, 'n')}
    from version_new n join version_changed c on ${sameKey(v.key, 'n', 'c')}
  `.execute(db);
  // a version equal to the one before or after it is one version: join them again
  for (const boundary of next === null ? [period] : [period, next]) {
    await sql`
      with pair as (
        -- from the changed keys, through the primary key: the rest of the table is not read
        select ${refs(v.key, 'c')}, a.valid_from as a_from, b.valid_from as b_from, b.valid_until as b_until
        from version_changed c
        join ${t} a on ${sameKey(v.key, 'a', 'c')} and a.valid_until = ${boundary}::text
        join ${t} b on ${sameKey(v.key, 'b', 'c')} and b.valid_from = ${boundary}::text
        where (${refs(v.columns, 'a')}) is not distinct from (${refs(v.columns, 'b')})
      ), joined as (
        delete from ${t} t using pair p where ${sameKey(v.key, 't', 'p')} and t.valid_from = p.b_from
      )
      update ${t} t set valid_until = p.b_until from pair p where ${sameKey(v.key, 't', 'p')} and t.valid_from = p.a_from
    `.execute(db);
  }
  return Number(written.numAffectedRows ?? 0);
}

/**
 * Takes `period` out of the periods `v` holds, as if it had never been written: a rerun of a
 * month in which an optional department does not deliver again reads it in its latest extract,
 * so what the earlier run wrote for the period must not stay. What held in it ends there; what
 * began with it and held after it goes on from the next period.
 */
export async function forgetPeriod(tx: Pick<Tx, 'db'>, v: Versioned, period: string): Promise<void> {
  const { rows } = await sql<{ loaded: boolean }>`select exists (select 1 from ${sql.table(v.periods)} where period = ${period}) as loaded`.execute(tx.db);
  if (!rows[0]?.loaded) return;
  const nothing = sql`select ${sql.join([...v.key, ...v.columns].map((c) => sql.ref(c)))} from ${sql.table(v.table)} where false`;
  await writeVersions(tx, v, period, nothing);
  await sql`delete from ${sql.table(v.periods)} where period = ${period}`.execute(tx.db);
}

/**
 * Forgets the periods before `before`: what only they held is deleted, what also holds later
 * begins with the first period kept. Returns the rows the purged periods held, as `asOf` read
 * them; `dryRun` counts and changes nothing.
 */
export async function purgeVersions(db: Kysely<any>, v: Versioned, before: string, dryRun: boolean): Promise<number> {
  const t = sql.table(v.table);
  const p = sql.table(v.periods);
  const { rows } = await sql<{ first_kept: string | null; period_rows: number }>`
    select (select min(period) from ${p} where period >= ${before}) as first_kept,
           (select count(*)::int from ${periodsBefore(v, before)} as v) as period_rows
  `.execute(db);
  const { first_kept: firstKept, period_rows: periodRows } = rows[0]!;
  if (!dryRun) {
    await sql`
      delete from ${t} where valid_from < ${before}
        and (${firstKept}::text is null or (valid_until is not null and valid_until <= ${firstKept}::text))
    `.execute(db);
    if (firstKept !== null) await sql`update ${t} set valid_from = ${firstKept}::text where valid_from < ${before}`.execute(db);
    await sql`delete from ${p} where period < ${before}`.execute(db);
  }
  return periodRows;
}
