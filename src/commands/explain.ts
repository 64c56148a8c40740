import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
import { enterExportScope } from '../db/roles.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { formatCard, householdCard } from '../export/household-card.js';
import { configuredRegion, resolveRegionScope } from '../export/region-scope.js';

export interface ExplainOptions extends GlobalOptions {
  householdId: string;
  period: string;
  json?: boolean;
  unmasked?: boolean;
  /** narrows the operator's region scope, or is the scope when none is configured */
  region?: string;
}

/**
 * `safetynet explain`: the household card before a visit. It reads like an export: as the
 * exporter, under row-level security limited to the operator's region scope (where the roles
 * are set up), so a card of another street's household does not exist for this operator.
 */
export async function explainCommand(opts: ExplainOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { scope } = resolveRegionScope(opts.region, configuredRegion(opts.config));
  const database = await openMigrated(opts, log);
  try {
    const card = await withTransaction(database.pool, async (tx) => {
      await tx.client.query('set transaction isolation level repeatable read');
      const secured = await enterExportScope(tx.db, scope);
      try {
        return await householdCard(tx.db, opts.period, opts.householdId, { unmasked: opts.unmasked });
      } catch (err) {
        if (secured && err instanceof UsageError && /was scored/.test(err.message)) {
          throw new UsageError(`${err.message}, or it is outside the region scope ${scope ?? '(none set: --region, access.region or SAFETYNET_REGION)'}`);
        }
        throw err;
      }
    });
    if (opts.unmasked) log.warn({ period: opts.period, household: opts.householdId }, 'UNMASKED household card');
    out.write(opts.json ? `${JSON.stringify(card)}\n` : formatCard(card));
  } finally {
    await database.close();
  }
}
