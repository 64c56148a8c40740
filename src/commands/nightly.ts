import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { assertDay, dueDays, runDay, type DaySummary } from '../../jobs/run-day.js';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { dailyFileNames } from '../pull/inbox.js';

export interface NightlyOptions extends GlobalOptions {
  inbox?: string;
  day?: string;
  json?: boolean;
}

/** "medical-insurance 3 rows loaded (1 rejected), public-security 1 row loaded" */
const delivered = (s: DaySummary): string =>
  Object.entries(s.departments)
    .map(([id, c]) => `${id} ${c.rows_loaded} row${c.rows_loaded === 1 ? '' : 's'} loaded${c.rows_rejected ? ` (${c.rows_rejected} rejected)` : ''}`)
    .join(', ');

/** `safetynet nightly`: the night run over the daily deltas, raising urgent warnings the same night. */
export async function nightlyCommand(opts: NightlyOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<DaySummary[]> {
  const config = resolveConfig(opts);
  const inbox = opts.inbox ?? config.config.operation.inbox;
  if (!inbox) throw new UsageError(`nightly needs --inbox DIR (with DIR/daily/YYYY-MM-DD/ holding any of ${dailyFileNames().join(', ')}) or operation.inbox in the config`);
  if (opts.day) assertDay(opts.day);
  const database = await openMigrated(opts, log);
  const summaries: DaySummary[] = [];
  try {
    const days = opts.day ? [opts.day] : await dueDays(database, resolve(inbox));
    if (days.length === 0) log.info('no daily delta waiting');
    for (const day of days) {
      const s = await runDay({ database, config, log }, { inbox: resolve(inbox), day });
      summaries.push(s);
      out.write(
        opts.json
          ? `${JSON.stringify(s)}\n`
          : `${day}: ${delivered(s)}, ${s.households_touched} households scored again against ${s.base_period ?? 'no monthly period yet'}, ` +
              `${s.urgent_raised} urgent warning${s.urgent_raised === 1 ? '' : 's'} raised` +
              (s.urgent_already_raised ? ` (${s.urgent_already_raised} raised before)` : '') +
              (s.urgent_raised ? `\n  export them: safetynet export --urgent --since ${day}` : '') +
              '\n',
      );
    }
    return summaries;
  } finally {
    await database.close();
  }
}
