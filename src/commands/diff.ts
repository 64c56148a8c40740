import type { Logger } from 'pino';
import { loadConfig } from '../config/load-config.js';
import { openMigrated, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { formatWhatIf, whatIf } from '../score/what-if.js';

export interface DiffOptions extends GlobalOptions {
  period: string;
  /** the config to try (`diff --config FILE`) */
  with: string;
  top?: number;
  json?: boolean;
  lang?: 'en' | 'zh';
}

/** `safetynet diff`: what another config would do to a period's list, without touching it. */
export async function diffCommand(opts: DiffOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (!opts.with) throw new UsageError('diff needs --config OTHER.json, the config to try');
  const other = loadConfig(opts.with);
  const database = await openMigrated(opts, log);
  try {
    const report = await whatIf(database.pool, opts.period, other.config, { top: opts.top });
    out.write(opts.json ? `${JSON.stringify(report)}\n` : formatWhatIf(report, opts.lang ?? other.config.lang));
  } finally {
    await database.close();
  }
}
