import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { fileAccess, openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { calendarDay } from '../period.js';
import { auditedExport, type ListWriter } from '../export/audited-export.js';
import { assertWritableTarget } from '../export/output-file.js';
import { exportFormat, exportFormats } from '../export/formats.js';
import type { ExportOptions } from '../export/warning-list.js';
import { beyondCapacityByStreet, capacityCuts, logCapacityCuts, requiredStreetCapacity, type StreetCut } from '../export/street-capacity.js';

export interface ExportCommandOptions extends GlobalOptions, Omit<ExportOptions, 'capacity'> {
  format: string;
  /** cut each street's list at its configured visits a month (visits.capacity, visits.capacityFile) */
  capacity?: boolean;
  /** a file path, or - for stdout */
  out: string;
  operator?: string;
  purpose?: string;
}

/** `safetynet export`: the ranked warning list of a period that has been run, audited. */
export async function exportCommand(
  opts: ExportCommandOptions,
  log: Logger,
  stdout: { isTTY?: boolean } = process.stdout,
): Promise<{ rows: number; file: string; beyond_capacity?: Record<string, number> }> {
  opts = { ...opts, lang: outputLang(opts) };
  if (opts.capacity && opts.urgent) throw new UsageError('--capacity cuts a period\'s list; the urgent warnings are not cut');
  if (opts.urgent) {
    if (!opts.since || !calendarDay(opts.since)) {
      throw new UsageError(`--urgent needs --since YYYY-MM-DD, a day of the calendar${opts.since ? ` (got "${opts.since}")` : ''}`);
    }
    // the audit log files urgent lists under the month they start in
    opts = { ...opts, period: opts.period ?? opts.since.slice(0, 7) };
  } else if (!opts.period) throw new UsageError('--period YYYY-MM is required (or --urgent --since YYYY-MM-DD)');
  const format = exportFormat(opts.format);
  const load = opts.urgent ? format?.urgent : format?.list;
  if (!format || !load) {
    const offered = exportFormats.filter((f) => !opts.urgent || f.urgent).map((f) => f.id);
    throw new UsageError(`--format ${opts.format} is not one of ${offered.join(', ')}${opts.urgent ? ' for --urgent' : ''}`);
  }
  const target = opts.out === '-' ? '-' : resolve(opts.out);
  // a workbook is a zip: on a terminal it is noise that can leave the terminal in a bad state
  if (target === '-' && format.binary && stdout.isTTY) {
    throw new UsageError(`--format ${format.id} writes a binary workbook: give --out FILE.${format.id} (or pipe stdout into a file)`);
  }
  const capacity = opts.capacity ? requiredStreetCapacity(resolveConfig(opts)) : undefined;
  const writeList: ListWriter = await load();
  let cuts: StreetCut[] = [];
  // the cut counted in the export's own transaction, as the reader sees the list
  const writer: ListWriter = capacity
    ? async (db, o, out, l) => {
        const rows = await writeList(db, o, out, l);
        cuts = await capacityCuts(db, capacity, { period: o.period, region: o.region });
        return rows;
      }
    : writeList;
  // before the database is opened: nothing read, nothing audited for a file that cannot be written
  if (target !== '-') await assertWritableTarget(target);
  const fileAccessFor = await fileAccess(resolveConfig(opts));
  const database = await openMigrated(opts, log);
  try {
    const result = await auditedExport(
      database.pool,
      { ...opts, capacity },
      { operator: opts.operator, purpose: opts.purpose, format: opts.format, fileAccess: fileAccessFor },
      target,
      writer,
      log,
    );
    if (result.rows === 0) log.warn({ period: opts.period, region: opts.region }, 'no household matches: the list is empty');
    logCapacityCuts(log, opts.period, cuts, 'not on this list');
    log.info({ period: opts.period, rows: result.rows, file: target, sha256: result.sha256 }, 'warning list written');
    return capacity ? { ...result, beyond_capacity: beyondCapacityByStreet(cuts) } : result;
  } finally {
    await database.close();
  }
}
