import { sql, type RawBuilder } from 'kysely';
import type { Tx } from './transaction.js';

/**
 * Where a month writes its rows of a table partitioned by period (migration 0018): on the
 * period's first run, a fresh table without indexes, attached when it is full (its indexes then
 * built in bulk: a third of the time of updating them row by row, measured on the roster); on a
 * rerun, the table itself (the period's partition is kept, its rows were deleted). `attach` must
 * run before anything reads the period's rows through the table; it also analyses the period's
 * partition, so the month plans on its own statistics, and the table's key columns across
 * periods, so a join of two periods is planned on them too (migration 0020).
 */
export interface PeriodWrite {
  /** the table to insert into (for FROM and INTO) */
  into: RawBuilder<unknown>;
  attach(): Promise<void>;
}

/** The tables partitioned by period (migration 0018): a month writes them whole (the roster, since migration 0025, as versions, and the members with it since 0027; the scores' explanations, since 0026, once each). */
export const PERIOD_PARTITIONED = ['scored_household'] as const;
export type PeriodPartitioned = (typeof PERIOD_PARTITIONED)[number];
/** A period's own table (partition) of a table partitioned by period: `scored_household_p2026_10`, as migration 0018's functions name it. */
export const partitionOf = (table: PeriodPartitioned, period: string): string => `${table}_p${period.replace('-', '_')}`;
export const isPeriodPartitioned = (table: string): table is PeriodPartitioned => (PERIOD_PARTITIONED as readonly string[]).includes(table);

export async function periodWrite(tx: Pick<Tx, 'db'>, table: PeriodPartitioned, period: string): Promise<PeriodWrite> {
  const { rows } = await sql<{ part: string | null }>`select safetynet_fresh_partition(${table}, ${period}) as part`.execute(tx.db);
  const part = rows[0]?.part ?? null;
  return {
    into: sql.table(part ?? table),
    attach: async () => {
      await sql`select safetynet_attach_partition(${table}, ${period})`.execute(tx.db);
    },
  };
}
