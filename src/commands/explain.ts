import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
import { formatCard, householdCard } from '../export/household-card.js';

export interface ExplainOptions extends GlobalOptions {
  householdId: string;
  period: string;
  json?: boolean;
  unmasked?: boolean;
}

/** `safetynet explain`: the household card before a visit. */
export async function explainCommand(opts: ExplainOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const database = await openMigrated(opts, log);
  try {
    const card = await householdCard(database.db, opts.period, opts.householdId, { unmasked: opts.unmasked });
    if (opts.unmasked) log.warn({ period: opts.period, household: opts.householdId }, 'UNMASKED household card');
    out.write(opts.json ? `${JSON.stringify(card)}\n` : formatCard(card));
  } finally {
    await database.close();
  }
}
