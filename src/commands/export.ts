import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { fileAccess, openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { calendarDay } from '../period.js';
import { auditedExport, type ListWriter } from '../export/audited-export.js';
import { assertWritableTarget } from '../export/output-file.js';
import { writeWarningList, writeWarningListJson, type ExportOptions } from '../export/warning-list.js';
import { writeWarningListXlsx } from '../export/warning-list-xlsx.js';
import { writeUrgentList, writeUrgentListJson } from '../export/urgent-list.js';

export interface ExportCommandOptions extends GlobalOptions, ExportOptions {
  format: string;
  /** a file path, or - for stdout */
  out: string;
  operator?: string;
  purpose?: string;
}

export const urgentWriters: Record<string, ListWriter> = {
  csv: writeUrgentList,
  json: writeUrgentListJson,
};

export const writers: Record<string, ListWriter> = {
  csv: writeWarningList,
  json: writeWarningListJson,
  xlsx: writeWarningListXlsx,
};

/** `safetynet export`: the ranked warning list of a period that has been run, audited. */
export async function exportCommand(opts: ExportCommandOptions, log: Logger, stdout: { isTTY?: boolean } = process.stdout): Promise<{ rows: number; file: string }> {
  opts = { ...opts, lang: outputLang(opts) };
  if (opts.urgent) {
    if (!opts.since || !calendarDay(opts.since)) {
      throw new UsageError(`--urgent needs --since YYYY-MM-DD, a day of the calendar${opts.since ? ` (got "${opts.since}")` : ''}`);
    }
    // the audit log files urgent lists under the month they start in
    opts = { ...opts, period: opts.period ?? opts.since.slice(0, 7) };
  } else if (!opts.period) throw new UsageError('--period YYYY-MM is required (or --urgent --since YYYY-MM-DD)');
  const table = opts.urgent ? urgentWriters : writers;
  const writer = table[opts.format];
  if (!writer) throw new UsageError(`--format ${opts.format} is not one of ${Object.keys(table).join(', ')}${opts.urgent ? ' for --urgent' : ''}`);
  const target = opts.out === '-' ? '-' : resolve(opts.out);
  // a workbook is a zip: on a terminal it is noise that can leave the terminal in a bad state
  if (target === '-' && opts.format === 'xlsx' && stdout.isTTY) {
    throw new UsageError('--format xlsx writes a binary workbook: give --out FILE.xlsx (or pipe stdout into a file)');
  }
  // before the database is opened: nothing read, nothing audited for a file that cannot be written
  if (target !== '-') await assertWritableTarget(target);
  const fileAccessFor = await fileAccess(resolveConfig(opts));
  const database = await openMigrated(opts, log);
  try {
    const result = await auditedExport(
      database.pool,
      opts,
      { operator: opts.operator, purpose: opts.purpose, format: opts.format, fileAccess: fileAccessFor },
      target,
      writer,
      log,
    );
    if (result.rows === 0) log.warn({ period: opts.period, region: opts.region }, 'no household matches: the list is empty');
    log.info({ period: opts.period, rows: result.rows, file: target, sha256: result.sha256 }, 'warning list written');
    return result;
  } finally {
    await database.close();
  }
}
