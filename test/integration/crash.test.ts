import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { cli, ROOT, spawnCli } from '../helpers/cli.js';
import { createDatabase, dropDatabase, silentLog, useScratchDatabase } from '../helpers/database.js';
import {
  allHouseholdsCsv,
  cliMessage,
  embeddedServer,
  exitOf,
  faultTable,
  installHold,
  onEmbedded,
  periodState,
  startCli,
  useScratchDirs,
  waitForBackend,
  type CliRun,
  type FaultRow,
  type PeriodState,
} from '../helpers/faults.js';
import { serveFolder, type LoopbackServer } from '../helpers/http-server.js';
import { startPgProxy, type PgProxy } from '../helpers/pg-proxy.js';
import { departments } from '../../src/ingest/departments.js';

/**
 * A run killed with SIGKILL at any point leaves no half-written period: the previous results
 * stay until the next run completes it, and its list is byte-identical to a clean run's.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const PERIODS = ['2026-09', '2026-10'] as const;
const scratchDir = useScratchDirs();
const scratch = () => scratchDir('crash');

let reference: string;
let referenceState: PeriodState;
let referenceDb: { name: string; url: string };
const rows: FaultRow[] = [];

beforeAll(async () => {
  referenceDb = await createDatabase('crashref');
  const env = { DATABASE_URL: referenceDb.url };
  expect((await cli(['run', '--inbox', INBOX, '--no-export'], env)).code).toBe(0);
  const out = join(await scratch(), 'reference.csv');
  expect((await cli(['export', '--period', '2026-10', '--all', '--out', out], env)).code).toBe(0);
  reference = await readFile(out, 'utf8');
  const handle = await openDatabase({ databaseUrl: referenceDb.url, home: '', log: silentLog });
  try {
    referenceState = await periodState(handle.db, PERIODS);
  } finally {
    await handle.close();
  }
});
afterAll(async () => {
  await dropDatabase(referenceDb.name);
  console.log(`\n${faultTable('SIGKILL of the safetynet process during a rerun of 2026-10, after clean runs of 2026-09 and 2026-10', rows)}\n`);
});

async function exportAll(env: Record<string, string>): Promise<string> {
  const out = join(await scratch(), 'list.csv');
  const r = await cli(['export', '--period', '2026-10', '--all', '--out', out], env);
  expect(r.code, r.stderr).toBe(0);
  return readFile(out, 'utf8');
}

describe('SIGKILL at each stage of a run, on the embedded database', () => {
  const RUN = ['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'];

  /** Killed while its backend is held in the first insert of the scores: mid-scoring, by no timer. */
  async function killWhileScoring(home: string, env: Record<string, string>): Promise<CliRun> {
    const hold = join(home, 'hold-scoring');
    await onEmbedded(home, (db) => installHold(db, 'scored_household', hold));
    await writeFile(hold, '');
    const run = startCli(RUN, env);
    try {
      await waitForBackend(async () => (await embeddedServer(home))?.url ?? null, `application_name = 'safetynet' and wait_event = 'PgSleep'`, run.done);
    } finally {
      run.child.kill('SIGKILL');
    }
    const killed = await run.done;
    // the orphaned backend ends its statement, finds its client gone and rolls back, lock and all
    await rm(hold);
    return killed;
  }

  it('the previous results stay until the next run completes the period, and the list equals a clean run\'s', async () => {
    const home = await scratch();
    const env = { SAFETYNET_HOME: home };
    expect((await cli(['run', '--inbox', INBOX, '--no-export'], env)).code).toBe(0);
    // in the order of a run: ingest, link, score, the list's hash (taken last), the commit
    const kills: [string, () => Promise<CliRun>][] = [
      ...['mid-versions', 'after-ingest', 'after-link'].map((point) => [point, () => startCli(RUN, { ...env, SAFETYNET_CRASH_AT: point }).done] as [string, () => Promise<CliRun>]),
      ['while scoring', () => killWhileScoring(home, env)],
      ...['before-commit', 'after-commit'].map((point) => [point, () => startCli(RUN, { ...env, SAFETYNET_CRASH_AT: point }).done] as [string, () => Promise<CliRun>]),
    ];
    for (const [point, kill] of kills) {
      const killed = await kill();
      expect(killed.signal, `killed ${point}`).toBe('SIGKILL');
      // the server the killed process left behind is taken over, the stale lock too
      // what `export --all` would print, read in this process (a CLI costs a second or two)
      const previous = await onEmbedded(home, (db) => allHouseholdsCsv(db, '2026-10'));
      const again = await cli(RUN, env);
      rows.push({
        fault: `SIGKILL ${point.replace(/^(after|before)-/, '$1 ')} (embedded)`,
        exit: exitOf(killed),
        message: cliMessage(killed),
        previousIntact: previous === reference,
        rerunClean: again.code === 0, // and its list's hash, checked on the ledger below
      });
      expect(previous, `the list after a kill ${point}, before the next run`).toBe(reference);
      expect(again.code, `${point}: ${again.stderr}`).toBe(0);
    }
    expect(await exportAll(env)).toBe(reference);

    const runs = await cli(['runs', '--json'], env);
    const ledger = runs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { period: string; status: string; output_sha256: string | null }).reverse();
    const of = (period: string) => ledger.filter((r) => r.period === period);
    // killed before the commit: marked failed by the next run; killed after: already succeeded
    const failedThenRedone = ['failed', 'succeeded'];
    expect(of('2026-10').map((r) => r.status)).toEqual([
      'succeeded', // the clean run
      ...failedThenRedone, // mid-versions (the roster's, in its ingest)
      ...failedThenRedone, // after-ingest
      ...failedThenRedone, // after-link
      ...failedThenRedone, // while scoring
      ...failedThenRedone, // before-commit
      'succeeded', 'succeeded', // after-commit: the killed run had committed
    ]);
    const listsClean = of('2026-10').filter((r) => r.status === 'succeeded').every((r) => r.output_sha256 === referenceState.succeeded['2026-10']?.output_sha256);
    const earlier = of('2026-09');
    const earlierIntact = earlier.length === 1 && earlier[0]!.status === 'succeeded' && earlier[0]!.output_sha256 === referenceState.succeeded['2026-09']?.output_sha256;
    for (const row of rows) {
      row.rerunClean &&= listsClean;
      row.previousIntact &&= earlierIntact;
    }
    expect(listsClean, 'every successful run of 2026-10 produced the clean list').toBe(true);
    expect(earlierIntact, '2026-09: its one run, unchanged').toBe(true);
  }, 180_000);
});

describe('SIGKILL while pulling and while writing the list, on DATABASE_URL', () => {
  const db = useScratchDatabase('crashstage');
  let server: LoopbackServer;
  let proxy: PgProxy;
  let home: string;
  let env: Record<string, string>;
  let fetching: Record<string, string>;
  const listFile = () => join(home, 'exports', 'warning-list-2026-10.csv');
  const state = async () => {
    const handle = await openDatabase({ databaseUrl: db.url, home: '', log: silentLog });
    try {
      return await periodState(handle.db, PERIODS);
    } finally {
      await handle.close();
    }
  };

  beforeAll(async () => {
    server = await serveFolder(INBOX);
    proxy = await startPgProxy(db.url);
    home = await scratch();
    env = { DATABASE_URL: proxy.url, SAFETYNET_HOME: home };
    const config = join(home, 'config.json');
    const at = (file: string) => ({ location: `${server.url}/{period}/${file}` });
    const sources = {
      ...Object.fromEntries(departments().map((d) => [d.id, at(`${d.file}.csv`)])),
      manifest: at('manifest.json'),
      'dibao-standards': { location: `${server.url}/dibao-standards.csv` },
    };
    await writeFile(config, JSON.stringify({ operation: { sources, retries: 0, retryDelayMs: 10, timeoutMs: 60_000 } }));
    fetching = { ...env, SAFETYNET_CONFIG: config };
    // the previous good state: both periods run, their lists written
    const r = await cli(['run', '--inbox', INBOX], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  it('killed while the run writes its list (after its commit): the previous file stays whole, the rerun writes the same', async () => {
    const before = await state();
    const previous = await readFile(listFile(), 'utf8');
    // the list is written to a side file, audited, and renamed into place only after that commits
    const auditing = proxy.holdAfter(/^select safetynet_audit_finish\(/i);
    const run = startCli(['run', '--inbox', INBOX, '--period', '2026-10'], env);
    const held = await Promise.race([auditing, run.done.then(() => Promise.reject(new Error('the run ended before writing its list')))]);
    run.child.kill('SIGKILL');
    held.release();
    const killed = await run.done;
    const after = await state();
    const left = await readFile(listFile(), 'utf8');
    const again = await cli(['run', '--inbox', INBOX, '--period', '2026-10'], env);
    const final = await state();
    rows.push({
      fault: 'SIGKILL while the run writes its list (DATABASE_URL)',
      exit: exitOf(killed),
      message: cliMessage(killed),
      previousIntact: left === previous && after.lists['2026-10'] === before.lists['2026-10'],
      rerunClean: again.code === 0 && (await readFile(listFile(), 'utf8')) === previous && final.lists['2026-10'] === referenceState.lists['2026-10'],
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(left, 'the list file of the previous run').toBe(previous);
    // the run's own transaction had committed: the period succeeded, with the clean list
    expect(after.succeeded['2026-10']?.output_sha256).toBe(referenceState.succeeded['2026-10']?.output_sha256);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(listFile(), 'utf8')).toBe(previous);
    expect((await readdir(join(home, 'exports'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(final.lists).toEqual(referenceState.lists);
  });

  it('killed while pulling the extracts over HTTP: nothing of the period changes, the rerun pulls again and completes it', async () => {
    const before = await state();
    const previous = await readFile(listFile(), 'utf8');
    server.behaviours.set('/2026-10/health.csv', { kind: 'slow', ms: 5000 });
    server.requests.length = 0;
    const run = startCli(['run', '--period', '2026-10'], fetching);
    const started = performance.now();
    while (!server.requests.some((r) => r.path === '/2026-10/health.csv') && performance.now() - started < 30_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill('SIGKILL');
    const killed = await run.done;
    server.behaviours.clear();
    const after = await state();
    const again = await cli(['run', '--period', '2026-10'], fetching);
    const final = await state();
    rows.push({
      fault: 'SIGKILL while pulling over HTTP (DATABASE_URL)',
      exit: exitOf(killed),
      message: cliMessage(killed),
      previousIntact: JSON.stringify(after) === JSON.stringify(before) && (await readFile(listFile(), 'utf8')) === previous,
      rerunClean: again.code === 0 && final.lists['2026-10'] === referenceState.lists['2026-10'],
    });
    expect(server.requests.map((r) => r.path), 'killed during the pull').toContain('/2026-10/health.csv');
    expect(killed.signal).toBe('SIGKILL');
    // the database was not even opened: no run recorded, the same results
    expect(after).toEqual(before);
    expect(again.code, again.stderr).toBe(0);
    expect(final.succeeded['2026-10']?.output_sha256).toBe(referenceState.succeeded['2026-10']?.output_sha256);
    expect(final.lists).toEqual(referenceState.lists);
    expect(await readFile(listFile(), 'utf8')).toBe(previous);
  });
});

describe('SIGKILL at timed points of a run, on DATABASE_URL', () => {
  const db = useScratchDatabase('crash');
  const listOf = async (url: string) => {
    const handle = await openDatabase({ databaseUrl: url, home: '', log: silentLog });
    try {
      return await allHouseholdsCsv(handle.db, '2026-10');
    } finally {
      await handle.close();
    }
  };

  it('whenever the kill lands, the next run completes the period with the same list', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await cli(['run', '--inbox', INBOX, '--period', '2026-09', '--no-export'], env)).code).toBe(0);
    // a clean run's length, start-up included, spreads the kills over start-up, ingest, scoring and commit
    const t0 = performance.now();
    expect((await cli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], env)).code).toBe(0);
    const whole = performance.now() - t0;
    for (const ms of [0.55, 0.7, 0.8, 0.9, 0.97].map((f) => Math.round(whole * f))) {
      const { child, exited } = spawnCli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], env);
      setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      const again = await cli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], env);
      expect(again.code, again.stderr).toBe(0);
      expect(await listOf(db.url), `list after a kill at ${ms} ms`).toBe(reference);
    }
    expect(await exportAll(env)).toBe(reference);
  }, 120_000);
});

describe('commands started together on one SAFETYNET_HOME, on the embedded database', () => {
  it('after a SIGKILL, one of them takes over the orphaned server and the others wait: none is cut off', async () => {
    const home = await scratch();
    const env = { SAFETYNET_HOME: home };
    expect((await cli(['run', '--inbox', INBOX, '--no-export'], env)).code).toBe(0);
    for (let trial = 1; trial <= 3; trial++) {
      const killed = await startCli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], { ...env, SAFETYNET_CRASH_AT: 'after-ingest' }).done;
      expect(killed.signal).toBe('SIGKILL');
      expect(await embeddedServer(home), 'the killed run left its server running').not.toBeNull();
      // three CLIs, and three openers in this process, which interleave at every await: where
      // a lock file judged stale by its pid was taken by two of them at once
      const opener = () =>
        onEmbedded(home, async (db) => {
          await sql`select pg_sleep(0.3)`.execute(db);
          return (await db.selectFrom('run').select('run_id').execute()).length > 0;
        }).then(
          () => 'ok',
          (err: Error) => err.message,
        );
      const [together, inProcess] = await Promise.all([
        Promise.all([1, 2, 3].map(() => startCli(['runs', '--json'], env).done)),
        Promise.all([1, 2, 3].map(opener)),
      ]);
      const codes = together.map((r) => r.code);
      const previous = await onEmbedded(home, (db) => allHouseholdsCsv(db, '2026-10'));
      rows.push({
        fault: `SIGKILL, then 3 commands and 3 openers at once (embedded), trial ${trial}`,
        exit: exitOf(killed),
        message: `the commands exited ${codes.join(' ')}; openers: ${inProcess.join(', ')}`,
        previousIntact: previous === reference,
        rerunClean: codes.every((c) => c === 0) && inProcess.every((r) => r === 'ok'),
      });
      expect(codes, together.map((r) => cliMessage({ ...r, signal: r.signal })).join('\n')).toEqual([0, 0, 0]);
      expect(inProcess).toEqual(['ok', 'ok', 'ok']);
      expect(previous).toBe(reference);
    }
    expect(await embeddedServer(home), 'the orphan was stopped').toBeNull();
  }, 180_000);

  it('a second run of a period started meanwhile waits for the first, then runs the period again', async () => {
    const home = await scratch();
    const env = { SAFETYNET_HOME: home };
    const RUN = ['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'];
    const both = await Promise.all([cli(RUN, env), cli(RUN, env)]);
    expect(both.map((r) => r.code), both.map((r) => r.stderr).join('\n')).toEqual([0, 0]);
    expect(both.map((r) => r.stderr).join('')).toContain('waiting for another safetynet command that is using this SAFETYNET_HOME');
    const runs = await cli(['runs', '--json'], env);
    type Row = { status: string; started_at: string; finished_at: string; output_sha256: string };
    const [first, second] = runs.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row).reverse();
    expect([first!.status, second!.status]).toEqual(['succeeded', 'succeeded']);
    // one after the other (not exit 7, as on DATABASE_URL), with the same list
    expect(Date.parse(second!.started_at)).toBeGreaterThanOrEqual(Date.parse(first!.finished_at));
    expect(second!.output_sha256).toBe(first!.output_sha256);
  }, 120_000);
});

describe('SIGKILL mid-ingest, with refused rows spilled to disk, on DATABASE_URL', () => {
  const db = useScratchDatabase('crashspill');

  it('the spill stays under SAFETYNET_HOME/tmp (mode 700), never in TMPDIR, and the next command removes it', async () => {
    const home = await scratch();
    // the system temp folder as the CLI sees it
    const systemTmp = await scratch();
    const env = { DATABASE_URL: db.url, SAFETYNET_HOME: home, TMPDIR: systemTmp };
    const killed = await startCli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], { ...env, SAFETYNET_CRASH_AT: 'mid-ingest' }).done;
    const inSystemTmp = (await readdir(systemTmp)).filter((f) => f.startsWith('safetynet'));
    const root = join(home, 'tmp');
    const left = await readdir(root).catch(() => []);
    const spill = left[0] === undefined ? null : await stat(join(root, left[0], 'rejects')).catch(() => null);
    const rootMode = await stat(root).then((s) => s.mode & 0o777, () => null);
    const next = await cli(['runs'], env);
    const afterNext = await readdir(root).catch(() => []);
    rows.push({
      fault: 'SIGKILL mid-ingest, refused rows spilled (DATABASE_URL)',
      exit: exitOf(killed),
      message: `spill in TMPDIR: ${inSystemTmp.length}, in SAFETYNET_HOME/tmp: ${left.length} (folder ${rootMode?.toString(8) ?? '-'}, file ${spill ? (spill.mode & 0o777).toString(8) : '-'}); after the next command: ${afterNext.length}`,
      previousIntact: inSystemTmp.length === 0,
      rerunClean: next.code === 0 && afterNext.length === 0,
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(inSystemTmp, 'nothing of the ingest in the system temp folder').toEqual([]);
    expect(left, 'the killed ingest\'s spill folder').toHaveLength(1);
    expect(rootMode).toBe(0o700);
    expect(spill && spill.mode & 0o777).toBe(0o600);
    expect(next.code, next.stderr).toBe(0);
    expect(afterNext, 'removed by the next command that opened the home').toEqual([]);
  });
});

describe('SIGTERM mid-run', () => {
  const db = useScratchDatabase('crashterm');
  const RUN = ['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'];

  /** Stopped by SIGTERM while its backend is held in the first insert of the scores. */
  async function terminateWhileScoring(
    where: string,
    env: Record<string, string>,
    open: <T>(fn: (db: Parameters<typeof periodState>[0]) => Promise<T>) => Promise<T>,
    url: () => Promise<string | null>,
  ) {
    expect((await cli(['run', '--inbox', INBOX, '--no-export'], env)).code).toBe(0);
    const hold = join(await scratch(), 'hold-scoring');
    await open((d) => installHold(d, 'scored_household', hold));
    await writeFile(hold, '');
    const before = await open((d) => periodState(d, PERIODS));
    const run = startCli(RUN, env);
    let stopped: CliRun;
    try {
      await waitForBackend(url, `application_name = 'safetynet' and wait_event = 'PgSleep'`, run.done);
      run.child.kill('SIGTERM');
      stopped = await run.done;
    } finally {
      await rm(hold, { force: true });
    }
    const after = await open((d) => periodState(d, PERIODS));
    const last = after.runs.at(-1)!;
    const again = await cli(RUN, env);
    rows.push({
      fault: `SIGTERM while scoring (${where})`,
      exit: exitOf(stopped),
      message: `${cliMessage(stopped)}; ledger: ${last.status}, "${last.error ?? ''}"`,
      previousIntact: JSON.stringify(after.lists) === JSON.stringify(before.lists),
      rerunClean: again.code === 0,
    });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(last).toMatchObject({ period: '2026-10', status: 'failed' });
    expect(last.error).toMatch(/^interrupted by SIGTERM \(exit 143\)/);
    expect(after.runs.filter((r) => r.status === 'running'), 'no run left "running"').toEqual([]);
    expect(after.lists).toEqual(before.lists);
    expect(again.code, again.stderr).toBe(0);
  }

  it('on the embedded database: exit 143, the ledger says interrupted, the period keeps its results', async () => {
    const home = await scratch();
    await terminateWhileScoring('embedded', { SAFETYNET_HOME: home }, (fn) => onEmbedded(home, fn), async () => (await embeddedServer(home))?.url ?? null);
  }, 120_000);

  it('on DATABASE_URL: exit 143, the ledger says interrupted, the period keeps its results', async () => {
    const open = async <T>(fn: (d: Parameters<typeof periodState>[0]) => Promise<T>) => {
      const handle = await openDatabase({ databaseUrl: db.url, home: '', log: silentLog });
      try {
        return await fn(handle.db);
      } finally {
        await handle.close();
      }
    };
    await terminateWhileScoring('DATABASE_URL', { DATABASE_URL: db.url }, open, async () => db.url);
  }, 120_000);
});

describe('SIGKILL after the commit, before the files are written, on DATABASE_URL', () => {
  const db = useScratchDatabase('crashfiles');

  it('the ledger says succeeded and the files are missing: the next schedule tick writes them from the database, the leftover side files go', async () => {
    const home = await scratch();
    const env = { DATABASE_URL: db.url, SAFETYNET_HOME: home };
    const exportsDir = join(home, 'exports');
    const list = join(exportsDir, 'warning-list-2026-10.csv');
    const quality = join(exportsDir, 'data-quality-2026-10.csv');
    expect((await cli(['run', '--inbox', INBOX, '--period', '2026-09'], env)).code).toBe(0);
    const killed = await startCli(['run', '--inbox', INBOX, '--period', '2026-10'], { ...env, SAFETYNET_CRASH_AT: 'after-commit' }).done;
    const left = (await readdir(exportsDir)).sort();
    const after = await (async () => {
      const handle = await openDatabase({ databaseUrl: db.url, home: '', log: silentLog });
      try {
        return await periodState(handle.db, PERIODS);
      } finally {
        await handle.close();
      }
    })();
    // what a writer killed mid-file leaves: its side file, signed with a pid that is gone
    await writeFile(join(exportsDir, 'warning-list-2026-10.csv.999999999.partial'), 'half a list');
    await writeFile(join(exportsDir, 'data-quality-2026-10.csv.partial'), 'half a report');
    // a tick with nothing new to run: 2026-11 is not in the inbox, so it waits
    const config = join(home, 'config.json');
    await writeFile(config, JSON.stringify({ operation: { inbox: INBOX, firstPeriod: '2026-09' } }));
    const tickRun = await cli(['schedule', '--once'], { ...env, SAFETYNET_CONFIG: config });
    const files = (await readdir(exportsDir)).filter((f) => f !== 'config.json').sort();
    const written = await readFile(list, 'utf8').catch(() => '');
    const hash = createHash('sha256').update(await readFile(list).catch(() => Buffer.alloc(0))).digest('hex');
    rows.push({
      fault: 'SIGKILL after the commit, before the files (DATABASE_URL)',
      exit: exitOf(killed),
      message: cliMessage(killed),
      previousIntact: after.succeeded['2026-10']?.output_sha256 === referenceState.succeeded['2026-10']?.output_sha256,
      rerunClean: tickRun.code === 4 && hash === referenceState.succeeded['2026-10']?.output_sha256 && !files.some((f) => f.endsWith('.partial')),
    });
    expect(killed.signal).toBe('SIGKILL');
    // the run writes its list beside the target as it hashes it; killed before the rename, that
    // side file (signed with the dead run's pid) is all it left of 2026-10
    expect(left.filter((f) => !f.endsWith('.partial')), 'killed before placing its files: only 2026-09 has files').toEqual(['data-quality-2026-09.csv', 'warning-list-2026-09.csv']);
    expect(left.filter((f) => f.endsWith('.partial'))).toEqual([expect.stringMatching(/^warning-list-2026-10\.csv\.\d+\.partial$/)]);
    expect(after.succeeded['2026-10']?.output_sha256, 'the killed run had committed').toBe(referenceState.succeeded['2026-10']?.output_sha256);
    expect(tickRun.code, tickRun.stderr).toBe(4); // 2026-11 waits for its files
    expect(files).toEqual(['data-quality-2026-09.csv', 'data-quality-2026-10.csv', 'warning-list-2026-09.csv', 'warning-list-2026-10.csv']);
    // the committed list, as the ledger hashed it, and a whole data-quality report
    expect(hash).toBe(referenceState.succeeded['2026-10']?.output_sha256);
    expect(written.split('\n').length).toBeGreaterThan(2);
    expect((await readFile(quality, 'utf8')).startsWith('\uFEFFstatus,source,line')).toBe(true);
    // a second tick finds them whole and writes nothing
    const again = await cli(['schedule', '--once', '--log-level', 'info'], { ...env, SAFETYNET_CONFIG: config });
    expect(again.stderr).not.toMatch(/files of a successful run are missing/);
  }, 120_000);
});
