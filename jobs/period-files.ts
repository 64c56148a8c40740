import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../src/db/connect.js';
import { latestSucceededRun } from '../src/db/runs.js';
import type { Database } from '../src/db/schema.js';
import { beginAudit, finishAudit } from '../src/export/audit-log.js';
import { auditedExport, listFilters, RUN_COPY } from '../src/export/audited-export.js';
import { openSideFile, removeLeftoverPartials, writeFileAtomically, type FileAccess, type SideFile } from '../src/export/output-file.js';
import { writeQualityReport } from '../src/export/quality-report.js';
import { writeWarningList } from '../src/export/warning-list.js';

/**
 * A run's two files under SAFETYNET_HOME/exports: the district's warning list and the
 * data-quality report for the departments. They are written after the run's commit, from the
 * tables as committed, so a process killed in between leaves a period the ledger calls
 * succeeded without its files; the next `run` of the period, or the next `schedule` tick,
 * completes them from the same tables (the ledger's list hash says whether the file on disk is
 * the committed list). The list itself is read once: the run writes it beside its target as it
 * hashes it for the ledger (`readRunList`), and it is renamed into place after the commit.
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

/**
 * The month's list file as the run writes it: beside its target until the run has committed.
 * `written` says the run wrote and audited it whole; a run that could not write it (a full
 * disk) goes on, and the file is written after the commit as any period's files are.
 */
export interface RunListCopy {
  side: SideFile;
  lang: 'en' | 'zh';
  written?: boolean;
}

/** The month's list file opened beside its target for the run to write; null when it cannot be (said again when written after the commit). */
export async function openRunListCopy(folder: ExportsFolder, period: string): Promise<RunListCopy | null> {
  const side = await openSideFile(periodFiles(folder, period).warning_list, folder.access).catch(() => null);
  return side && { side, lang: folder.lang ?? 'en' };
}

/**
 * The run's list, read once in its transaction: hashed for the ledger and, given a copy in
 * the same language, written to the copy and audited as the batch's export is. Writing the
 * copy cannot fail the run: its bytes are dropped and the hash taken all the same. Returns
 * the list's sha256.
 */
export async function readRunList(db: Kysely<Database>, period: string, lang: 'en' | 'zh', copy: RunListCopy | null, log: Logger): Promise<string> {
  const hash = createHash('sha256');
  const file = copy?.lang === lang ? copy.side.stream : null;
  let failed: unknown = null;
  let resume: (() => void) | null = null;
  const wake = () => {
    const go = resume;
    resume = null;
    go?.();
  };
  file?.on('error', (err) => {
    failed ??= err;
    wake();
  });
  file?.on('drain', wake);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      if (file === null || failed !== null || file.write(chunk)) return cb();
      resume = cb;
    },
    final(cb) {
      if (file === null || failed !== null) return cb();
      // flushed, or failed (the error is the copy's, not the run's): either ends the list
      let done = false;
      const once = () => {
        if (!done) (done = true), cb();
      };
      file.once('error', once);
      file.end(once);
    },
  });
  const opts = { period, lang };
  const rows = await writeWarningList(db, opts, sink, log);
  const sha256 = hash.digest('hex');
  if (copy && file !== null && failed === null) {
    const auditId = await beginAudit(db, { ...RUN_COPY, period, format: 'csv', filters: listFilters(opts, false, null), masked: true, file: copy.side.file });
    await finishAudit(db, auditId, { rows, sha256 });
    copy.written = true;
  } else if (failed !== null) {
    log.warn({ err: failed, file: copy?.side.file }, 'the run could not write its list file; it is written again after the commit');
  }
  return sha256;
}

/**
 * Writes both files of a period that has a successful run, whole or not at all; the list
 * from the run's own copy when the run wrote it (`readRunList`).
 */
export async function writePeriodFiles(database: DatabaseHandle, folder: ExportsFolder, period: string, log: Logger, copy?: RunListCopy | null): Promise<PeriodFiles> {
  const files = periodFiles(folder, period);
  const placed = copy?.written === true && (await copy.side.place().then(() => true, () => false));
  if (!placed) {
    await copy?.side.discard();
    await auditedExport(
      database.pool,
      { period, lang: folder.lang },
      { ...RUN_COPY, format: 'csv', batch: true, fileAccess: folder.access },
      files.warning_list,
      writeWarningList,
      log,
    );
  }
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
