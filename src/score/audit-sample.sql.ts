import { sql, type RawBuilder } from 'kysely';

/**
 * The statement of the audit sample (src/score/audit-sample.ts): a whole period's frame and draw.
 *
 * The frame: the period's scored households that the list leaves out and nothing covers: not
 * listed (`on_list`, `review`), not covered (roster or a visit), not cooled down (a visit found
 * them not eligible within visits.coolDownMonths: knocking again is what the cool-down spares
 * them), and placed in a street (people found only in other departments sit in street 000, which
 * no office visits). A street is the region code's 9-digit prefix, as the list's sheets are.
 *
 * The draw: within each street and tier, households in the order of md5(seed:period:household):
 * a hash, not random(), so that the same seed, period and households draw the same sample on any
 * server and any rerun, while a new month draws anew. The first `size` of that order are drawn.
 */
export interface DrawParameters {
  period: string;
  seed: string;
  /** the warning threshold and the near band under it */
  threshold: number;
  nearMargin: number;
  near: number;
  far: number;
}

/**
 * Whether the scored household `s` (scored_household, or its view household_score) of `h`
 * (household) is in the audit frame, by the rule above: the draw and the estimates of what it
 * finds (src/visits/quality-counts.sql.ts) read the same frame.
 */
export const inAuditFrame = sql`not (s.on_list or s.review or s.covered or s.cooled_down) and substr(h.region_code, 7, 3) <> '000'`;

/** The audit tier of a household of the frame scored `total`: near, within nearMargin under the threshold, or far. */
export const auditTier = (total: RawBuilder<unknown>, p: Pick<DrawParameters, 'threshold' | 'nearMargin'>): RawBuilder<'near' | 'far'> =>
  sql`case when ${total} >= ${p.threshold - p.nearMargin}::numeric then 'near' else 'far' end`;

/**
 * Per household of the frame: its street and tier. From the scores' table, not their view: the
 * view's texts are not read here, and its region check per row made the frame twice as slow
 * (1.05 against 0.46 s at 250,000 households, the same rows).
 */
function framed(p: DrawParameters): RawBuilder<unknown> {
  return sql`
    select s.household_id, left(h.region_code, 9) as street, ${auditTier(sql.ref('s.total'), p)} as tier
    from scored_household s
    join household h on h.period = s.period and h.household_id = s.household_id
    where s.period = ${p.period} and ${inAuditFrame}`;
}

const size = (p: DrawParameters) => sql`case tier when 'near' then ${p.near}::int else ${p.far}::int end`;

/**
 * Records each street's and tier's frame and how many it draws (at most the frame), and the
 * drawn households: the first `size` of each stratum's seeded order. One statement over one
 * frame: the join of the period's scores and households is made once for both tables.
 */
export const insertAuditDraw = (p: DrawParameters): RawBuilder<{ strata: number; drawn: number }> => sql`
  with frame as materialized (${framed(p)}),
  strata as (
    insert into audit_frame (period, street, tier, frame_households, sample_size, seed)
    select ${p.period}, street, tier, count(*)::int, least(count(*)::int, ${size(p)}), ${p.seed}
    from frame
    group by street, tier
    returning 1
  ),
  drawn as (
    insert into audit_sample (period, household_id, street, tier, draw_order)
    select ${p.period}, household_id, street, tier, draw_order
    from (
      select f.*,
             row_number() over (
               partition by f.street, f.tier
               order by md5(${p.seed} || ':' || ${p.period} || ':' || f.household_id), f.household_id
             )::int as draw_order
      from frame f
    ) f
    where draw_order <= ${size(p)}
    returning 1
  )
  select (select count(*)::int from strata) as strata, (select count(*)::int from drawn) as drawn`;
