import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../src/db/connect.js';
import { latestSucceededRun } from '../src/db/runs.js';
import { auditedExport } from '../src/export/audited-export.js';
import { removeLeftoverPartials, writeFileAtomically, type FileAccess } from '../src/export/output-file.js';
import { writeQualityReport } from '../src/export/quality-report.js';
import { writeWarningList } from '../src/export/warning-list.js';

/**
 * A run's two files under SAFETYNET_HOME/exports: the district's warning list and the
 * data-quality report for the departments. They are written after the run's commit, from the
 * tables as committed, so a process killed in between leaves a period the ledger calls
 * succeeded without its files; the next `run` of the period, or the next `schedule` tick,
 * completes them from the same tables (the ledger's list hash says whether the file on disk is
 * the committed list).
 */
export interface ExportsFolder {
  dir: string;
  access: FileAccess;
  /** the config's `lang`: the files' headers, words and reasons (the run's list hash is taken in it too) */
  lang?: 'en' | 'zh';
}

export interface PeriodFiles {
  warning_list: string;
  quality_report: string;
}

export const periodFiles = (folder: ExportsFolder, period: string): PeriodFiles => ({
  warning_list: join(folder.dir, `warning-list-${period}.csv`),
  quality_report: join(folder.dir, `data-quality-${period}.csv`),
});

/** Writes both files of a period that has a successful run, whole or not at all. */
export async function writePeriodFiles(database: DatabaseHandle, folder: ExportsFolder, period: string, log: Logger): Promise<PeriodFiles> {
  const files = periodFiles(folder, period);
  await auditedExport(
    database.pool,
    { period, lang: folder.lang },
    { operator: 'safetynet run', purpose: 'monthly run', format: 'csv', batch: true, fileAccess: folder.access },
    files.warning_list,
    writeWarningList,
    log,
  );
  await writeFileAtomically(files.quality_report, (out) => writeQualityReport(database.db, period, out, folder.lang), folder.access);
  return files;
}

async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file), hash);
    return hash.digest('hex');
  } catch {
    return null; // absent or unreadable: written again
  }
}

/**
 * The periods among `periods` whose latest successful run has no list file, a list file other
 * than the one the ledger hashed, or no data-quality file: written again. Side files left by a
 * killed writer are removed first. Returns the periods completed.
 */
export async function completePeriodFiles(database: DatabaseHandle, folder: ExportsFolder, periods: Iterable<string>, log: Logger): Promise<string[]> {
  const removed = await removeLeftoverPartials(folder.dir);
  if (removed.length > 0) log.info({ files: removed }, 'removed the side files of an interrupted write');
  const completed: string[] = [];
  for (const period of [...new Set(periods)].sort()) {
    const run = await latestSucceededRun(database.db, period);
    if (!run) continue;
    const files = periodFiles(folder, period);
    const list = await sha256Of(files.warning_list);
    const listWhole = list !== null && (run.output_sha256 === null || list === run.output_sha256);
    if (listWhole && (await sha256Of(files.quality_report)) !== null) continue;
    log.warn({ period, run_id: run.run_id }, 'the files of a successful run are missing or not its own (interrupted after the commit): writing them from the database');
    await writePeriodFiles(database, folder, period, log);
    completed.push(period);
  }
  return completed;
}
