import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * A rejected row's reason class, over rejected_row's `reason` and `column_name`: the text after
 * the "column: " prefix, up to the first '(' or ':' (or '; ' when a row had several problems);
 * quoted values and digits are blanked, so that no value from a row leaves the database this way
 * and equal problems group together. The monthly report's table and a refused period's message
 * both group by it.
 */
export const reasonClass = sql<string>`coalesce(nullif(btrim(regexp_replace(regexp_replace(substring(
  case when column_name is not null then regexp_replace(reason, '^[^:]*:\\s*', '') else reason end
  from '^[^(:;]*'), '"[^"]*"', '…', 'g'), '[0-9]+', 'N', 'g')), ''), 'other')`;

export interface ReasonCount {
  /** the column as the file's header names it; null for a problem of the whole row */
  column: string | null;
  reason: string;
  rows: number;
}

/** A department's commonest reasons of the period, by column and class, most rows first. */
export async function commonestReasons(db: Kysely<Database>, period: string, source: string, limit: number): Promise<ReasonCount[]> {
  const { rows } = await sql<ReasonCount>`
    select column_name as column, ${reasonClass} as reason, count(*)::int as rows
    from rejected_row where period = ${period} and source = ${source}
    group by 1, 2 order by 3 desc, 1 nulls first, 2 limit ${limit}
  `.execute(db);
  return rows;
}
