import { sql } from 'kysely';
import type { Logger } from 'pino';
import { unlessDenied, type Tx } from './transaction.js';

/**
 * ANALYZE of period tables the run has just filled, in the run's transaction, through
 * safetynet_analyze (migration 0005): it runs as the tables' owner, so the batch login gets
 * statistics on every server version, not only where it holds MAINTAIN (PostgreSQL 17+).
 *
 * A table that could not be analysed is logged as a warning, never skipped in silence: the
 * month then runs on the previous month's statistics, which can take hours instead of seconds.
 * A login without the right to call the function (grants not run) warns too and goes on: the
 * savepoint keeps the run's transaction usable.
 */
export async function analyzeTables(tx: Tx, tables: readonly string[], log: Logger): Promise<void> {
  const skipped = await unlessDenied(
    tx,
    'safetynet_analyze',
    async () => (await sql<{ skipped: string[] }>`select safetynet_analyze(${[...tables]}::text[]) as skipped`.execute(tx.db)).rows[0]?.skipped ?? [],
    (err) => {
      log.warn(
        { tables, reason: err.message },
        'ANALYZE could not run, so the planner keeps the previous month\'s statistics and the month may run for hours: ' +
          'run `safetynet migrate --create-roles` as an admin to let the batch login analyse its tables (docs/privacy.md)',
      );
      return null;
    },
  );
  if (skipped === null) return;
  if (skipped.length > 0) {
    log.warn(
      { tables: skipped },
      'ANALYZE could not run on these tables, because safetynet_analyze\'s owner does not own them, so the month may run for hours: ' +
        'run `safetynet migrate --create-roles` as an admin to hand the tables and the function to safetynet_owner (docs/privacy.md)',
    );
  }
}
