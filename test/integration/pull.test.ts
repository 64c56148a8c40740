import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { OperationConfig } from '../../src/config/schema.js';
import { ExtractRejected, ManifestMismatch, PullFailed, UsageError } from '../../src/errors.js';
import { departments } from '../../src/ingest/departments.js';
import { pullPeriod } from '../../src/pull/pull-period.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { serveFolder, type LoopbackServer } from '../helpers/http-server.js';

/** Fetching a period's files from a department's HTTP server: a real server on loopback. */

const FIXTURE_INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const test = useTestDatabase();
let server: LoopbackServer;

beforeAll(async () => {
  server = await serveFolder(FIXTURE_INBOX);
});
afterAll(async () => {
  await server.close();
});

function operation(overrides: Partial<OperationConfig> = {}): OperationConfig {
  const base = parseConfig({
    operation: {
      retries: 3,
      retryDelayMs: 10,
      timeoutMs: 300,
      sources: {
        'civil-affairs': { location: `${server.url}/{period}/civil-affairs.csv`, headers: { Authorization: 'Bearer ${SAFETYNET_TEST_TOKEN}' } },
        disability: { location: `${server.url}/{period}/disability.csv` },
        'medical-insurance': { location: `${server.url}/{period}/medical-insurance.csv` },
        health: { location: `${server.url}/{period}/health.csv` },
        // every optional department the fixture has files of, as a bureau that receives them configures it
        ...Object.fromEntries(
          departments()
            .filter((d) => !['civil-affairs', 'disability', 'medical-insurance', 'health'].includes(d.id))
            .map((d) => [d.id, { location: `${server.url}/{period}/${d.file}.csv` }]),
        ),
        manifest: { location: `${server.url}/{period}/manifest.json` },
        'dibao-standards': { location: `${server.url}/dibao-standards.csv` },
      },
    },
  }).config.operation;
  return { ...base, ...overrides };
}

const home = () => mkdtemp(join(tmpdir(), 'safetynet-pull-'));

describe('pulling a period over HTTP', () => {
  beforeAll(() => {
    process.env.SAFETYNET_TEST_TOKEN = 'sekret-token';
  });

  it('streams every file to disk, with the bearer token from the environment, and the run verifies and loads them', async () => {
    server.behaviours.clear();
    const h = await home();
    const pulled = await pullPeriod(operation(), h, '2026-09', silentLog);
    expect(pulled.missing).toEqual([]);
    expect(await readFile(join(pulled.inbox, '2026-09', 'health.csv'))).toEqual(await readFile(join(FIXTURE_INBOX, '2026-09', 'health.csv')));
    expect(server.requests.find((r) => r.path === '/2026-09/civil-affairs.csv')?.authorization).toBe('Bearer sekret-token');
    const summary = await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: pulled.inbox, period: '2026-09' });
    expect(summary.households_scored).toBe(45);
  });

  it('reports a file that is not there yet (404) as not delivered, not as an error', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/health.csv', { kind: 'missing' });
    const pulled = await pullPeriod(operation(), await home(), '2026-10', silentLog);
    expect(pulled.missing).toEqual(['health.csv']);
  });

  it('refuses, as a gap in the config, a manifest listing an optional department the config does not fetch', async () => {
    server.behaviours.clear();
    const op = operation();
    const { 'human-resources': _notFetched, ...sources } = op.sources!;
    // 2026-09 has no human-resources file: the optional department is simply not pulled
    expect((await pullPeriod({ ...op, sources }, await home(), '2026-09', silentLog)).missing).toEqual([]);
    // 2026-10's manifest lists one: waiting for it would wait forever
    const err = await pullPeriod({ ...op, sources }, await home(), '2026-10', silentLog).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'the manifest of 2026-10 lists human-resources.csv, but operation.sources has no location for human-resources: ' +
        'add operation.sources.human-resources to the config (the month would otherwise wait for a file that is never fetched)',
    );
  });

  it('waits for the manifest: without it nothing else is fetched', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/manifest.json', { kind: 'missing' });
    server.requests.length = 0;
    const pulled = await pullPeriod(operation(), await home(), '2026-10', silentLog);
    expect(pulled.missing).toEqual(['manifest.json']);
    expect(server.requests.map((r) => r.path)).toEqual(['/2026-10/manifest.json']);
  });

  it('retries 5xx and truncated bodies with backoff, then succeeds', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/disability.csv', { kind: 'fail', status: 503, times: 2 });
    server.behaviours.set('/2026-10/medical-insurance.csv', { kind: 'truncate', times: 1 });
    server.requests.length = 0;
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const pulled = await pullPeriod(operation(), await home(), '2026-10', log);
    expect(pulled.missing).toEqual([]);
    expect(server.requests.filter((r) => r.path === '/2026-10/disability.csv')).toHaveLength(3);
    expect(server.requests.filter((r) => r.path === '/2026-10/medical-insurance.csv')).toHaveLength(2);
    expect(lines.some((l) => l.includes('HTTP 503'))).toBe(true);
    expect(lines.some((l) => /truncated|broke off|ECONNRESET|aborted/.test(l))).toBe(true);
    expect(await readFile(join(pulled.inbox, '2026-10', 'medical-insurance.csv'))).toEqual(
      await readFile(join(FIXTURE_INBOX, '2026-10', 'medical-insurance.csv')),
    );
    // the token never reaches the log
    expect(lines.join('')).not.toContain('sekret-token');
  });

  it('fails with the source named when a server stays down or too slow', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/health.csv', { kind: 'slow', ms: 1000 });
    const err = await pullPeriod(operation({ retries: 1 }), await home(), '2026-10', silentLog).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullFailed);
    expect((err as Error).message).toBe(`could not fetch health: ${server.url}/2026-10/health.csv: no answer for 300 ms (after 2 tries)`);
    server.behaviours.clear();
    const refused = await pullPeriod(
      operation({ retries: 1, sources: { ...operation().sources!, health: { location: 'http://127.0.0.1:1/{period}/health.csv', headers: {} } } }),
      await home(),
      '2026-10',
      silentLog,
    ).catch((e: unknown) => e);
    expect((refused as Error).message).toBe('could not fetch health: http://127.0.0.1:1/2026-10/health.csv: ECONNREFUSED (after 2 tries)');
  });

  it('refuses a token that is not in the environment rather than sending an empty one', async () => {
    server.behaviours.clear();
    delete process.env.SAFETYNET_TEST_TOKEN;
    const err = await pullPeriod(operation(), await home(), '2026-10', silentLog).catch((e: unknown) => e);
    expect((err as Error).message).toBe('could not fetch civil-affairs: header Authorization needs the environment variable SAFETYNET_TEST_TOKEN, which is not set');
    process.env.SAFETYNET_TEST_TOKEN = 'sekret-token';
  });

  it('a file served with the wrong content fails its manifest hash before anything is loaded', async () => {
    server.behaviours.clear();
    const h = await home();
    const op = operation();
    // the department serves October's health file under September's name
    const wrong = { ...op, sources: { ...op.sources!, health: { location: `${server.url}/2026-10/health.csv`, headers: {} } } };
    const pulled = await pullPeriod(wrong, h, '2026-09', silentLog);
    const err = await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: pulled.inbox, period: '2026-09' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ManifestMismatch);
    expect((err as Error).message).toContain('2026-09/health.csv does not match manifest.json: sha256');
  });

  it('a fetched manifest listing a file no source fetches refuses the period, naming the file', async () => {
    server.behaviours.clear();
    const h = await home();
    const departments = await mkdtemp(join(tmpdir(), 'safetynet-manifest-'));
    const manifest = JSON.parse(await readFile(join(FIXTURE_INBOX, '2026-09', 'manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    manifest.files['civil-affairs-supplement.csv'] = { sha256: 'a'.repeat(64), rows: 3 };
    await mkdir(join(departments, '2026-09'));
    await writeFile(join(departments, '2026-09', 'manifest.json'), JSON.stringify(manifest));
    const op = operation();
    const pulled = await pullPeriod({ ...op, sources: { ...op.sources!, manifest: { location: join(departments, '{period}', 'manifest.json'), headers: {} } } }, h, '2026-09', silentLog);
    expect(pulled.missing).toEqual([]);
    const err = await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: pulled.inbox, period: '2026-09' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as ExtractRejected).exitCode).toBe(3);
    expect((err as Error).message).toContain('2026-09/manifest.json: lists "civil-affairs-supplement.csv" (not in the folder), which the run does not load');
  });

  it('gives up on a server that trickles a byte at a time: each try ends at the deadline, is retried, then fails, and nothing is left on disk', async () => {
    server.behaviours.clear();
    // never silent for the 300 ms timeout, never done within the 400 ms deadline
    server.behaviours.set('/2026-10/health.csv', { kind: 'trickle', everyMs: 50 });
    server.requests.length = 0;
    const h = await home();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const err = await pullPeriod(operation({ retries: 1, fileDeadlineMs: 400 }), h, '2026-10', log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullFailed);
    expect((err as PullFailed).exitCode).toBe(8);
    expect((err as Error).message.replace(/\d+ bytes had/, 'N bytes had')).toBe(
      `could not fetch health: ${server.url}/2026-10/health.csv: not complete within 400 ms, the deadline of one try at a file (operation.fileDeadlineMs): N bytes had arrived (after 2 tries)`,
    );
    expect(server.requests.filter((r) => r.path === '/2026-10/health.csv')).toHaveLength(2);
    expect(lines.some((l) => l.includes('fetch failed, retrying') && l.includes('operation.fileDeadlineMs'))).toBe(true);
    expect((await readdir(join(h, 'pulled', '2026-10'))).filter((n) => n.startsWith('health'))).toEqual([]);
  });

  it('stops an endless body at the size cap, without retrying, and removes what came', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/health.csv', { kind: 'endless' });
    server.requests.length = 0;
    const h = await home();
    const err = await pullPeriod(operation({ maxFileBytes: 256 * 1024 }), h, '2026-10', silentLog).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullFailed);
    expect((err as PullFailed).exitCode).toBe(8);
    expect((err as Error).message.replace(/\d+ bytes had/, 'N bytes had')).toBe(
      `could not fetch health: ${server.url}/2026-10/health.csv: larger than the 256 KiB a file may have (operation.maxFileBytes): N bytes had arrived; ` +
        'the download was stopped and removed. Ask the department whether this is the right file; if its files really are that big, raise operation.maxFileBytes',
    );
    expect(server.requests.filter((r) => r.path === '/2026-10/health.csv')).toHaveLength(1);
    expect((await readdir(join(h, 'pulled', '2026-10'))).filter((n) => n.startsWith('health'))).toEqual([]);
  });

  it('refuses a body announced over the cap before a byte of it is written', async () => {
    server.behaviours.clear();
    server.behaviours.set('/2026-10/health.csv', { kind: 'endless', announce: 10 * 1024 ** 3 });
    const h = await home();
    const err = await pullPeriod(operation(), h, '2026-10', silentLog).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`could not fetch health: ${server.url}/2026-10/health.csv: larger than the 4 GiB a file may have (operation.maxFileBytes): the server announces 10737418240 bytes`);
    expect((await readdir(join(h, 'pulled', '2026-10'))).filter((n) => n.startsWith('health'))).toEqual([]);
  });

  it('refuses a local source that is a folder, or over the cap, instead of waiting for it', async () => {
    server.behaviours.clear();
    const op = operation();
    const folder = join(await home(), 'health.csv');
    await mkdir(folder);
    const asFolder = { ...op, sources: { ...op.sources!, health: { location: folder, headers: {} } } };
    const err = await pullPeriod(asFolder, await home(), '2026-10', silentLog).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullFailed);
    expect((err as Error).message).toBe(`could not fetch health: ${folder}: not a regular file: a folder stands where the file should be`);
    const local = join(FIXTURE_INBOX, '{period}', 'civil-affairs.csv');
    const { manifest: _manifest, ...departmentsOnly } = op.sources!;
    const big = { ...op, maxFileBytes: 100, sources: { ...departmentsOnly, 'civil-affairs': { location: local, headers: {} } } };
    const tooBig = await pullPeriod(big, await home(), '2026-10', silentLog).catch((e: unknown) => e);
    expect((tooBig as Error).message).toContain(
      `could not fetch civil-affairs: ${join(FIXTURE_INBOX, '2026-10', 'civil-affairs.csv')}: larger than the 100 bytes a file may have (operation.maxFileBytes): it has `,
    );
  });
});
