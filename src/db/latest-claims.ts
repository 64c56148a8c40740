import { sql, type RawBuilder } from 'kysely';

/**
 * The claims as a period sees them: the latest version of each claim_id received up to the
 * period (a re-sent claim replaces the earlier one, never adds to it). A subquery for FROM.
 */
export function latestClaims(period: string): RawBuilder<unknown> {
  return sql`(
    select distinct on (claim_id) claim_id, id18, name, birth_date, sex, line, settled_on, inpatient, out_of_pocket
    from claim where received_period <= ${period}
    order by claim_id, received_period desc, line desc
  )`;
}
