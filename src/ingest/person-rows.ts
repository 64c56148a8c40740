import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/transaction.js';
import { asOf, writeVersions, type Versioned } from '../db/versions.js';
import { foldPersonRows, type DepartmentId } from './department.js';

/**
 * A department that sends its whole register every month, a person on as many rows as they
 * have records (diagnoses, certificates), kept as versions (src/db/versions.ts): a row is keyed
 * by the person and its place among the person's rows in the order of their content
 * (`ordinal`), never by the file's line, which shifts every month. The same records are then the
 * same versions month after month wherever the file lists them, and a new record rewrites that
 * person's rows only.
 *
 * `v.key` is (id18, ordinal); `order` is the content the rows are numbered by (a total order
 * of `v.columns`); the staged rows hold `v.columns` and `id18` (and the line, not kept).
 */
export function personRowVersions(v: Versioned, order: readonly string[]): {
  finalize(tx: Tx, period: string, stage: string): Promise<number>;
  addRescued(tx: Tx, period: string, stage: string): Promise<number[]>;
} {
  const columns = sql.join(v.columns.map((c) => sql.ref(c)));
  const asVersions = (rows: RawBuilder<unknown>) => sql`
    select id18, (row_number() over (partition by id18 order by ${sql.join(order.map((c) => sql.ref(c)))}))::int as ordinal, ${columns}
    from (${rows}) as sent`;
  return {
    async finalize({ db }, period, stage) {
      await writeVersions({ db }, v, period, asVersions(sql`select id18, ${columns} from ${sql.table(stage)}`));
      return 0;
    },
    // a rescued record is one more of the person's: their rows numbered again with it
    async addRescued({ db }, period, stage) {
      await writeVersions({ db }, v, period, asVersions(sql`
        select id18, ${columns} from ${asOf(v, period)} as d where id18 in (select id18 from ${sql.table(stage)})
        union all
        select id18, ${columns} from ${sql.table(stage)}
      `), { only: 'given' });
      const { rows } = await sql<{ line: number }>`select line from ${sql.table(stage)}`.execute(db);
      return rows.map((r) => r.line);
    },
  };
}

/**
 * A department that sends its whole register every month, a person on one row once its ingest
 * has folded the rest (human resources, verification, education), kept as versions keyed by the
 * person. `rows` folds the staged rows (temp table `stage`) into one a person: `id18`, then
 * `v.columns` in their order, grouped by id18; the data-quality report names the lines folded in,
 * saying `keptHow`. A rescued row of a person the file already has a valid line for is not kept:
 * the valid line wins.
 */
export function foldedPersonVersions(
  v: Versioned,
  fold: { source: DepartmentId; keptHow: string; rows: (stage: string) => RawBuilder<unknown> },
): {
  finalize(tx: Tx, period: string, stage: string): Promise<number>;
  addRescued(tx: Tx, period: string, stage: string): Promise<number[]>;
} {
  const columns = sql.join(v.columns.map((c) => sql.ref(c)));
  const folded = sql.table(`folded_${v.table}`);
  const rescued = sql.table(`rescued_${v.table}`);
  return {
    async finalize({ db }, period, stage) {
      await sql`create temp table ${folded} on commit drop as ${fold.rows(stage)} with no data`.execute(db);
      await foldPersonRows(db, { period, source: fold.source, stage, keptHow: fold.keptHow, insert: sql`insert into ${folded} ${fold.rows(stage)}` });
      await writeVersions({ db }, v, period, sql`select id18, ${columns} from ${folded}`);
      await sql`drop table ${folded}`.execute(db);
      return 0;
    },
    async addRescued({ db }, period, stage) {
      await sql`
        create temp table ${rescued} on commit drop as
        select distinct on (id18) line, id18, ${columns} from ${sql.table(stage)} as s
        where not exists (select 1 from ${asOf(v, period)} as h where h.id18 = s.id18)
        order by id18, line
      `.execute(db);
      await writeVersions({ db }, v, period, sql`select id18, ${columns} from ${rescued}`, { only: 'given' });
      const { rows } = await sql<{ line: number }>`select line from ${rescued}`.execute(db);
      await sql`drop table ${rescued}`.execute(db);
      return rows.map((r) => r.line);
    },
  };
}
