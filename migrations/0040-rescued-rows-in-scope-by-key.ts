import type { Kysely } from 'kysely';
import { dropDependents, identityRescueLink, remakeDependents } from './0027-members-from-roster-versions.js';
import { withView } from './0034-score-texts-as-templates-and-figures.js';

/**
 * Whether a rescued row is in a scoped reader's region (`identity_rescue_link`, migrations 0003
 * and 0027) asked of the person's memberships in the twelve periods its card shows, named one by
 * one, not as a range of periods. The check runs once a row (it sits in an OR with the trusted
 * readers' pass, so PostgreSQL cannot turn it into one join), and with a range the members outside
 * the roster (`member_row`, keyed by period, then person) were read over every period of the
 * range to find one person: 8 ms a row, 46 s for one month's 6,027 rescued rows of a
 * 1,000,000-household city, and more than ten minutes for one household's card, which reads a
 * year of them. Twelve periods by name are twelve reads of the key: the same month in 0.25 s, the
 * card's year (71,112 rows) in 2.2 s. The same rows pass: periods are YYYY-MM texts, so the range
 * and the twelve months are the same periods.
 */
const TWELVE_PERIODS = `m.period = any(array(
    select to_char(to_date(r.period, 'YYYY-MM') + make_interval(months => k), 'YYYY-MM') from generate_series(0, 11) k
  )) and m.id18 = r.id18`;

const rescueLink = (def: string) => withView(def, 'public.identity_rescue_link');

export async function up(db: Kysely<unknown>): Promise<void> {
  const dependents = await dropDependents(db, 'identity_rescue', ['identity_rescue']);
  await remakeDependents(db, dependents, { view: rescueLink(identityRescueLink(true, TWELVE_PERIODS)) });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const dependents = await dropDependents(db, 'identity_rescue', ['identity_rescue']);
  await remakeDependents(db, dependents, { view: rescueLink(identityRescueLink(true)) });
}
