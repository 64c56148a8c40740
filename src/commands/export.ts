import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { writeFileAtomically } from '../export/output-file.js';
import { writeWarningList, type ExportOptions } from '../export/warning-list.js';

export interface ExportCommandOptions extends GlobalOptions, ExportOptions {
  format: string;
  /** a file path, or - for stdout */
  out: string;
}

/** `safetynet export`: the ranked warning list of a period that has been run. */
export async function exportCommand(opts: ExportCommandOptions, log: Logger): Promise<{ rows: number; file: string }> {
  if (opts.format !== 'csv') throw new UsageError(`--format ${opts.format} is not supported yet (csv)`);
  const database = await openMigrated(opts, log);
  try {
    if (opts.out === '-') {
      const rows = await writeWarningList(database.db, opts, process.stdout, log);
      if (rows === 0) log.warn({ period: opts.period, region: opts.region }, 'no household matches: the list is empty');
      return { rows, file: '-' };
    }
    const file = resolve(opts.out);
    const rows = await writeFileAtomically(file, (out) => writeWarningList(database.db, opts, out, log));
    if (rows === 0) log.warn({ period: opts.period, region: opts.region }, 'no household matches: the list is empty');
    log.info({ period: opts.period, rows, file }, 'warning list written');
    return { rows, file };
  } finally {
    await database.close();
  }
}
