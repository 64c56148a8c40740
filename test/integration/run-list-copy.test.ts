import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readRunList, type RunListCopy } from '../../jobs/period-files.js';
import { runMonth, type MonthSummary } from '../../jobs/run-month.js';
import { parseConfig } from '../../src/config/load-config.js';
import { PRIVATE } from '../../src/export/output-file.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { DISTRICT_A_INBOX } from '../helpers/district-a.js';

/**
 * The month reads its list once: the run hashes it for the ledger and writes the same bytes to
 * the month's list file, beside its target until the commit. A file it cannot write does not
 * fail the run; it is written after the commit, as a period's missing files are.
 */

const reads = vi.hoisted(() => ({ lists: 0 }));
vi.mock('../../src/export/warning-list.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/export/warning-list.js')>();
  return {
    ...real,
    writeWarningList: (...args: Parameters<typeof real.writeWarningList>) => {
      reads.lists++;
      return real.writeWarningList(...args);
    },
  };
});

const test = useTestDatabase();
const config = parseConfig(undefined);
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
beforeEach(() => {
  reads.lists = 0;
});

let september: Promise<MonthSummary> | undefined;
/** 2026-09 of the district fixture, run once for the file with its list file written */
function runSeptember(dir: string): Promise<MonthSummary> {
  september ??= runMonth(
    { database: test.handle, config, log: silentLog, home: dir },
    { period: '2026-09', inbox: DISTRICT_A_INBOX, files: { dir, access: PRIVATE, lang: 'en' } },
  );
  return september;
}

async function exportsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safetynet-list-copy-'));
  dirs.push(dir);
  return dir;
}

describe("the month's list file", () => {
  it('is the list the run read for its hash: read once, audited once, its bytes the ledger\'s hash, no side file left', async () => {
    const dir = await exportsDir();
    const summary = await runSeptember(dir);
    expect(reads.lists).toBe(1);

    const bytes = await readFile(summary.warning_list!);
    const run = await test.handle.db
      .selectFrom('run').select(['output_sha256']).where('period', '=', '2026-09').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    expect(sha256(bytes)).toBe(run.output_sha256);
    const audits = await test.handle.db
      .selectFrom('export_audit').select(['operator', 'purpose', 'format', 'masked', 'rows', 'sha256', 'file']).where('period', '=', '2026-09').execute();
    const households = bytes.toString('utf8').trim().split('\r\n').length - 1;
    expect(audits).toEqual([
      { operator: 'safetynet run', purpose: 'monthly run', format: 'csv', masked: true, rows: households, sha256: run.output_sha256, file: summary.warning_list },
    ]);
    expect((await readdir(dir)).sort()).toEqual(['data-quality-2026-09.csv', 'warning-list-2026-09.csv']);
  });

  it('that cannot be written leaves the run its hash: the copy is dropped, unaudited, and the list is the same bytes', async () => {
    await runSeptember(await exportsDir());
    const sink: Buffer[] = [];
    const hashOnly = await readRunList(test.handle.db, '2026-09', 'en', null, silentLog);
    // a file that fails after its first bytes, as a full disk does
    let placed = false;
    const failing: RunListCopy = {
      lang: 'en',
      side: {
        file: '/nowhere/warning-list-2026-09.csv',
        stream: new Writable({
          write(chunk: Buffer, _enc, cb) {
            sink.push(chunk);
            cb(sink.length > 1 ? Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) : null);
          },
        }),
        place: async () => {
          placed = true;
        },
        discard: async () => {},
      },
    };
    const auditsBefore = await test.handle.db.selectFrom('export_audit').select('audit_id').execute();
    expect(await readRunList(test.handle.db, '2026-09', 'en', failing, silentLog)).toBe(hashOnly);
    expect(failing.written).toBeUndefined();
    expect(placed).toBe(false);
    expect(await test.handle.db.selectFrom('export_audit').select('audit_id').execute()).toEqual(auditsBefore);
  });

  it('in another language than the ledger\'s hash is not written by the run', async () => {
    const dir = await exportsDir();
    await runSeptember(dir);
    const written: Buffer[] = [];
    const copy: RunListCopy = {
      lang: 'zh',
      side: {
        file: join(dir, 'warning-list-2026-09.csv'),
        stream: new Writable({ write: (chunk: Buffer, _enc, cb) => (written.push(chunk), cb()) }),
        place: async () => {},
        discard: async () => {},
      },
    };
    const hash = await readRunList(test.handle.db, '2026-09', 'en', copy, silentLog);
    expect(hash).toBe(await readRunList(test.handle.db, '2026-09', 'en', null, silentLog));
    expect(written).toEqual([]);
    expect(copy.written).toBeUndefined();
  });
});
