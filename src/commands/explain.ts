import type { Logger } from 'pino';
import { openMigrated, outputLang, type GlobalOptions } from '../context.js';
import { createHash } from 'node:crypto';
import { enterExportScope, requireScopeGranted } from '../db/roles.js';
import { beginAudit, finishAudit } from '../export/audit-log.js';
import { operatorName } from '../export/audited-export.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { formatCard, householdCard, type CardLang } from '../export/household-card.js';
import { configuredRegion, resolveRegionScope } from '../export/region-scope.js';

export interface ExplainOptions extends GlobalOptions {
  householdId: string;
  period: string;
  json?: boolean;
  unmasked?: boolean;
  /** why the card is needed in clear: required with `unmasked`, kept in the audit log */
  purpose?: string;
  operator?: string;
  /** narrows the operator's region scope, or is the scope when none is configured; the card's rank is on the list of this region */
  region?: string;
  lang?: CardLang;
}

/**
 * `safetynet explain`: the household card before a visit. It reads like an export: as the
 * exporter, under row-level security limited to the operator's region scope (where the roles
 * are set up), so a card of another street's household does not exist for this operator.
 */
export async function explainCommand(opts: ExplainOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (opts.unmasked && !opts.purpose?.trim()) {
    throw new UsageError('--unmasked needs --purpose: why names, ID numbers and diagnosis codes are needed in clear goes into the audit log');
  }
  const lang = outputLang(opts);
  const { scope } = resolveRegionScope(opts.region, configuredRegion(opts.config));
  const database = await openMigrated(opts, log);
  try {
    const card = await withTransaction(database.pool, async (tx) => {
      await tx.client.query('set transaction isolation level repeatable read');
      const secured = await enterExportScope(tx.db, scope);
      const seen = secured ? await requireScopeGranted(tx.db, scope) : null;
      // every card is audited as an export is; an unmasked entry is what opens the views in clear
      const auditId = await beginAudit(tx.db, {
        operator: operatorName(opts.operator),
        purpose: opts.purpose ?? null,
        period: opts.period,
        format: opts.json ? 'card-json' : 'card-text',
        filters: { household: opts.householdId, lang, row_security: secured, scope: seen },
        masked: !opts.unmasked,
        file: '-',
      });
      try {
        const card = await householdCard(tx.db, opts.period, opts.householdId, {
          unmasked: opts.unmasked,
          lang,
          region: opts.region,
          // what the database lets this reader see; without row security, the scope asked for
          readerScope: secured ? seen : scope,
        });
        const text = opts.json ? `${JSON.stringify(card)}\n` : formatCard(card);
        await finishAudit(tx.db, auditId, { rows: 1, sha256: createHash('sha256').update(text).digest('hex') });
        return text;
      } catch (err) {
        if (secured && err instanceof UsageError && /was scored/.test(err.message)) {
          throw new UsageError(`${err.message}, or it is outside the region scope ${scope ?? '(none set: --region, access.region or SAFETYNET_REGION)'}`);
        }
        throw err;
      }
    });
    if (opts.unmasked) log.warn({ period: opts.period, household: opts.householdId, purpose: opts.purpose }, 'UNMASKED household card');
    out.write(card);
  } finally {
    await database.close();
  }
}
