import { type Kysely, sql } from 'kysely';
import { attachPartition } from './0018-period-partitions.js';

/**
 * Attaching a period's table now also analyses the partitioned table itself, on the columns its
 * indexes hold (period, household_id, id18, rank). A join between two periods of one table
 * (this month's households with last month's, the scores with the previous scores) is estimated
 * from the partitioned table's own statistics, which ANALYZE of a partition does not write:
 * without them the planner took a household's id to repeat 1,300 times in the previous period and
 * looked last month's rows up one by one. On those columns only, it samples in well under a
 * second at 250,000 households a period (measured: 0.1–0.6 s a table).
 */
/** The partitioned table analysed on its indexed columns, after the partition (0022 keeps it). */
export const analyzeParent = sql`
      declare
        keys text;
      begin
        select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into keys
        from pg_attribute a
        where a.attrelid = format('public.%I', tbl)::regclass and a.attnum > 0 and not a.attisdropped
          and exists (select 1 from pg_index i where i.indrelid = a.attrelid and a.attnum = any (i.indkey));
        execute format('analyze public.%I (%s)', tbl, keys);
      end;`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await attachPartition(analyzeParent).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await attachPartition().execute(db);
}
