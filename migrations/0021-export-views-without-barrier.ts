import { type Kysely, sql } from 'kysely';

/**
 * The masked views of `safetynet_export` that read one table and filter nothing lose their
 * `security_barrier`, so that the planner sees the tables' statistics through them.
 *
 * PostgreSQL does not look through a security-barrier view at its columns' statistics, so every
 * export joined the views on default guesses: the list's join of 44,000 scores with 263,000
 * households was estimated at 57 million rows, sorted and merged, and the audit visits' join of
 * a few hundred rows read both tables whole (measured at 250,000 households: the list export
 * 2.4 → 1.8 s and the audit visits 1.2 → 0.2 s of the database's time).
 *
 * The barrier protected nothing in these views. It keeps a view's own WHERE from being ordered
 * after a caller's leaky function; these views have no WHERE. Which rows a reader sees is decided
 * by the tables' row-security policies, which PostgreSQL applies before any condition of the
 * caller's that is not leakproof, barrier or not. What a reader sees of a row is the view's select
 * list: a caller's condition on `head_name` is a condition on the masked expression, so it only
 * ever sees the masked value. A test holds both (test/integration/row-security.test.ts).
 *
 * `safetynet_export.identity_rescue_link` keeps its barrier: it reads `public.identity_rescue_link`,
 * a view with a WHERE of its own (migration 0003).
 */
export const UNFILTERED_VIEWS = [
  'household', 'household_score', 'urgent_warning', 'member', 'disability', 'diagnosis',
  'household_asset_check', 'audit_frame', 'audit_sample',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const view of UNFILTERED_VIEWS) {
    await sql`alter view ${sql.table(`safetynet_export.${view}`)} reset (security_barrier)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const view of UNFILTERED_VIEWS) {
    await sql`alter view ${sql.table(`safetynet_export.${view}`)} set (security_barrier)`.execute(db);
  }
}
