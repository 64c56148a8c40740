import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import { VIEW } from './views.js';

/**
 * Where a household stands on a period's warning list, by the list's own rule: the listed
 * households are those over the threshold (`on_list`) and the covered ones flagged for review,
 * numbered 1, 2, 3… in score-rank order among the listed households the reader sees and the
 * `--region` selects. `household_score.rank` is something else: the place among every scored
 * household, listed or not, which is why a card that showed it said "rank 43" for the tenth
 * household of the list.
 */

/** On the list: over the threshold, or covered and flagged for review (`score`: the household_score alias). */
export const listed = (score = 's'): RawBuilder<boolean> => sql<boolean>`(${sql.ref(`${score}.on_list`)} or ${sql.ref(`${score}.review`)})`;

/** The place on the list, per period, among rows already limited to the listed ones (`score`: the household_score alias). */
export const listRank = (score = 's'): RawBuilder<number> =>
  sql<number>`row_number() over (partition by ${sql.ref(`${score}.period`)} order by ${sql.ref(`${score}.rank`)})`;

/** The same place among rows of one period that come already in rank order: nothing to partition or sort. */
export const listRankInOrder = (score = 's'): RawBuilder<number> => sql<number>`row_number() over (order by ${sql.ref(`${score}.rank`)})`;

/** A region selection as the list applies it: a 12-digit community exactly, a shorter code as a prefix. */
export function inRegion(region: string | undefined, column = 'h.region_code'): RawBuilder<boolean> {
  if (region === undefined) return sql<boolean>`true`;
  return region.length === 12 ? sql<boolean>`${sql.ref(column)} = ${region}` : sql<boolean>`${sql.ref(column)} like ${`${region}%`}`;
}

export interface ListPlace {
  period: string;
  household_id: string;
  /** 1 for the first household of the list */
  rank: number;
  /** how many households the list holds */
  of: number;
}

/**
 * The listed households of a period (or of one household's periods up to `period`), each with
 * its rank on the list and the list's length, read through the masked views so that row
 * security gives the reader the list it would export. In list order.
 */
export async function listPlaces(
  db: Kysely<Database>,
  opts: {
    period: string;
    region?: string;
    household?: string;
    history?: boolean;
    /** a further condition on the listed household (`household_id`), which leaves ranks as they are */
    where?: RawBuilder<boolean>;
  },
): Promise<ListPlace[]> {
  if (opts.history) {
    // one period at a time: with the period a value, the households' view reads that period's
    // versions only (given through a join, it would build every period's households)
    const { rows: scored } = await sql<{ period: string }>`
      select period from ${sql.table(VIEW.household_score)} where household_id = ${opts.household ?? ''} and period <= ${opts.period} order by period`.execute(db);
    const places: ListPlace[] = [];
    for (const { period } of scored) places.push(...(await listPlaces(db, { ...opts, period, history: false })));
    return places;
  }
  const periods = sql`s.period = ${opts.period}`;
  const { rows } = await sql<ListPlace>`
    select period, household_id, rank::int as rank, "of"::int as "of" from (
      select s.period, s.household_id, ${listRank()} as rank, count(*) over (partition by s.period) as "of"
      from ${sql.table(VIEW.household_score)} s
      join ${sql.table(VIEW.household)} h on h.period = s.period and h.household_id = s.household_id
      where ${periods} and ${listed()} and ${inRegion(opts.region)}
    ) l
    where ${opts.household === undefined ? sql`true` : sql`household_id = ${opts.household}`} and ${opts.where ?? sql`true`}
    order by period, rank
  `.execute(db);
  return rows;
}

/** How many households a period's list holds for this reader and region. */
export async function listLength(db: Kysely<Database>, opts: { period: string; region?: string }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n
    from ${sql.table(VIEW.household_score)} s
    join ${sql.table(VIEW.household)} h on h.period = s.period and h.household_id = s.household_id
    where s.period = ${opts.period} and ${listed()} and ${inRegion(opts.region)}
  `.execute(db);
  return rows[0]?.n ?? 0;
}
