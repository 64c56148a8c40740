import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentPeriod, duePeriods, nightTick, tick, type SchedulerDeps } from '../../jobs/schedule.js';
import { judge } from '../../src/commands/status.js';
import type { Heartbeat, TickBeat } from '../../src/heartbeat.js';
import { parseConfig } from '../../src/config/load-config.js';
import { cli, ROOT, spawnCli } from '../helpers/cli.js';
import { silentLog, useScratchDatabase, useTestDatabase } from '../helpers/database.js';
import { serveFolder, type LoopbackServer } from '../helpers/http-server.js';
import { departmentIds } from '../../src/ingest/departments.js';
import { CLAIMS_HEADER } from '../helpers/inbox.js';

/** Unattended operation: the ledger decides what is due; late, failing and recovering sources. */

const FIXTURE_INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
let server: LoopbackServer;
beforeAll(async () => {
  server = await serveFolder(FIXTURE_INBOX);
});
afterAll(async () => {
  await server.close();
});

const operationOverride = (extra: Record<string, unknown> = {}) => ({
  operation: {
    firstPeriod: '2026-09',
    retries: 2,
    retryDelayMs: 10,
    timeoutMs: 2000,
    sources: Object.fromEntries(
      departmentIds().map((s) => [s, { location: `${server.url}/{period}/${s}.csv` }]).concat([
        ['manifest', { location: `${server.url}/{period}/manifest.json` }],
        ['dibao-standards', { location: `${server.url}/dibao-standards.csv` }],
      ]),
    ),
    ...extra,
  },
});

describe('what is due', () => {
  const op = parseConfig({ operation: { firstPeriod: '2026-09' } }).config.operation;
  it('is every ended month from the first one owed, without a successful run, on the bureau\'s clock', () => {
    const now = new Date('2026-11-05T00:00:00Z');
    expect(duePeriods(op, now, new Set())).toEqual(['2026-09', '2026-10']);
    expect(duePeriods(op, now, new Set(['2026-09']))).toEqual(['2026-10']);
    expect(duePeriods(op, now, new Set(['2026-09', '2026-10']))).toEqual([]);
  });

  it('turns the month at midnight in Asia/Shanghai, not in UTC', () => {
    const shanghaiNovember = new Date('2026-10-31T17:00:00Z'); // 01:00 on 1 November in Shanghai
    expect(currentPeriod(shanghaiNovember, 'Asia/Shanghai')).toBe('2026-11');
    expect(currentPeriod(shanghaiNovember, 'UTC')).toBe('2026-10');
  });

  it('without a first period, owes last month and whatever follows the latest success', () => {
    const noFirst = parseConfig(undefined).config.operation;
    const now = new Date('2026-11-05T00:00:00Z');
    expect(duePeriods(noFirst, now, new Set())).toEqual(['2026-10']);
    expect(duePeriods(noFirst, now, new Set(['2026-07']))).toEqual(['2026-08', '2026-09', '2026-10']);
  });
});

describe('ticks over a department server that is late, fails, and recovers', () => {
  const test = useTestDatabase();
  it('waits, fails with the source named, recovers, and runs each period exactly once', async () => {
    const config = parseConfig(operationOverride());
    const home = await mkdtemp(join(tmpdir(), 'safetynet-tick-'));
    const deps: SchedulerDeps = {
      config,
      log: silentLog,
      home,
      // the handle belongs to the test file: a tick must not close it
      openDatabase: async () => ({ ...test.handle, close: async () => {} }),
      now: () => new Date('2026-11-05T00:00:00Z'),
    };
    server.behaviours.clear();
    server.behaviours.set('/2026-10/health.csv', { kind: 'missing' });
    // a refused row of a month long past retention (24 months back from the latest run)
    await test.handle.db.insertInto('rejected_row').values({ period: '2020-01', source: 'civil-affairs', line: 2, column_name: null, reason: 'old', raw: '{}' }).execute();

    const first = await tick(deps);
    // the run that moves the retention window is followed by the purge `purge` would allow
    expect(first).toEqual({ succeeded: ['2026-09'], waiting: '2026-10', failed: null, purged: { before: '2024-10', rows: 1 } });
    expect(await test.handle.db.selectFrom('rejected_row').select('period').where('period', '<', '2024-10').execute()).toEqual([]);
    const again = await tick(deps);
    expect(again).toEqual({ succeeded: [], waiting: '2026-10', failed: null });

    server.behaviours.delete('/2026-10/health.csv');
    server.behaviours.set('/2026-10/disability.csv', { kind: 'fail', status: 502, times: 3 });
    const down = await tick(deps);
    expect(down.succeeded).toEqual([]);
    expect(down.failed).toEqual({
      period: '2026-10',
      error: `could not fetch disability: ${server.url}/2026-10/disability.csv: HTTP 502 (after 3 tries)`,
      exit_code: 8,
    });

    server.behaviours.clear();
    const recovered = await tick(deps);
    expect(recovered).toEqual({ succeeded: ['2026-10'], waiting: null, failed: null, purged: { before: '2024-11', rows: 0 } });
    expect(await tick(deps)).toEqual({ succeeded: [], waiting: null, failed: null });

    const ledger = await test.handle.db.selectFrom('run').select(['period', 'status']).orderBy('run_id').execute();
    expect(ledger).toEqual([
      { period: '2026-09', status: 'succeeded' },
      { period: '2026-10', status: 'waiting' }, // one row for two waiting ticks
      { period: '2026-10', status: 'failed' },
      { period: '2026-10', status: 'succeeded' },
    ]);
  });
});

describe('ticks over a month refused for its rejected rows', () => {
  const test = useTestDatabase();
  it('are never marked done: each tick tries the month again until the resent file loads', async () => {
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-refused-'));
    await cp(FIXTURE_INBOX, inbox, { recursive: true });
    // the roster's region codes cut to 9 digits (a format change), no manifest to catch it
    const roster = join(inbox, '2026-10', 'civil-affairs.csv');
    await rm(join(inbox, '2026-10', 'manifest.json'));
    const text = await readFile(roster, 'utf8');
    await writeFile(roster, text.replace(/,(\d{9})\d{3},/g, ',$1,'));
    const deps: SchedulerDeps = {
      config: parseConfig({ operation: { firstPeriod: '2026-09', inbox } }),
      log: silentLog,
      home: await mkdtemp(join(tmpdir(), 'safetynet-tick-')),
      openDatabase: async () => ({ ...test.handle, close: async () => {} }),
      now: () => new Date('2026-11-05T00:00:00Z'),
    };
    const first = await tick(deps);
    expect(first.succeeded).toEqual(['2026-09']);
    expect(first.failed?.error).toContain('2026-10/civil-affairs.csv (civil-affairs): no row loaded');
    expect((await tick(deps)).failed?.period).toBe('2026-10');

    await writeFile(roster, text);
    // off: another process decides when raw extracts go
    deps.config = parseConfig({ operation: { firstPeriod: '2026-09', inbox }, privacy: { purgeOnSchedule: false } });
    expect(await tick(deps)).toEqual({ succeeded: ['2026-10'], waiting: null, failed: null });
    const ledger = await test.handle.db.selectFrom('run').select(['period', 'status']).orderBy('run_id').execute();
    expect(ledger).toEqual([
      { period: '2026-09', status: 'succeeded' },
      { period: '2026-10', status: 'refused' },
      { period: '2026-10', status: 'refused' },
      { period: '2026-10', status: 'succeeded' },
    ]);
  });
});

describe('night ticks', () => {
  const test = useTestDatabase();
  it('run every delivered day not yet done, and one bad file holds back no other day', async () => {
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-nights-'));
    const day = async (d: string, text: string) => {
      await mkdir(join(inbox, 'daily', d), { recursive: true });
      await writeFile(join(inbox, 'daily', d, 'medical-insurance.csv'), text);
    };
    await day('2026-11-02', 'claim_id,name\nX,Y\n'); // required columns missing: refused whole
    await day('2026-11-03', `${CLAIMS_HEADER.join(',')}\n`);
    const deps: SchedulerDeps = {
      config: parseConfig({ operation: { inbox } }),
      log: silentLog,
      home: inbox,
      openDatabase: async () => ({ ...test.handle, close: async () => {} }),
    };
    const first = await nightTick(deps);
    expect(first.succeeded).toEqual(['2026-11-03']);
    expect(first.failed?.day).toBe('2026-11-02');
    expect(first.failed?.error).toContain('missing required column(s)');

    await day('2026-11-02', `${CLAIMS_HEADER.join(',')}\n`); // the department sends it again, whole
    expect(await nightTick(deps)).toEqual({ succeeded: ['2026-11-02'], failed: null, urgent_raised: 0 });
    expect(await nightTick(deps)).toEqual({ succeeded: [], failed: null, urgent_raised: 0 });
    const ledger = await test.handle.db.selectFrom('daily_run').select(['status']).orderBy('day').execute();
    expect(ledger.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('safetynet schedule, in the background', () => {
  const db = useScratchDatabase('sched');

  it('produces exactly one successful run per period while sources appear late, fail and recover, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-schedule-'));
    const configFile = join(dir, 'config.json');
    // every second: the tick only asks the ledger what is due
    await writeFile(configFile, JSON.stringify(operationOverride({ schedule: '* * * * * *' })));
    server.behaviours.clear();
    server.behaviours.set('/2026-10/manifest.json', { kind: 'missing' });

    const { child, exited } = spawnCli(['--home', join(dir, 'home'), '--config', configFile, 'schedule'], { DATABASE_URL: db.url }, 'pipe');
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const statuses = async () =>
      (await client.query<{ period: string; status: string }>('select period, status from run order by run_id').catch(() => ({ rows: [] }))).rows;
    const until = async (pred: (rows: { period: string; status: string }[]) => boolean, what: string) => {
      for (let i = 0; i < 120; i++) {
        const rows = await statuses();
        if (pred(rows)) return rows;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`timed out waiting for ${what}; ledger: ${JSON.stringify(await statuses())}\n${stderr.slice(-2000)}`);
    };
    try {
      await until((rows) => rows.some((r) => r.period === '2026-10' && r.status === 'waiting'), 'October to wait');
      // October's manifest arrives, but the department's server fails a few times first
      server.behaviours.clear();
      server.behaviours.set('/2026-10/health.csv', { kind: 'fail', status: 503, times: 4 });
      const rows = await until((r) => r.some((x) => x.period === '2026-10' && x.status === 'succeeded'), 'October to succeed');
      // a few more ticks: nothing is due, nothing is run again
      await new Promise((r) => setTimeout(r, 2500));
      // (the fixture's months only: on a later date the months after them are due too, and wait)
      const ours = (r: { period: string }[]) => r.filter((x) => x.period <= '2026-10');
      const final = await statuses();
      expect(final.filter((r) => r.status === 'succeeded').map((r) => r.period)).toEqual(['2026-09', '2026-10']);
      expect(final.filter((r) => r.status === 'running')).toEqual([]);
      expect(ours(final)).toEqual(ours(rows));
    } finally {
      child.kill('SIGTERM');
      await client.end();
    }
    expect((await exited).code).toBe(143);
    expect(stderr.split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true); // JSON lines with no TTY
  }, 90_000);
});

describe('safetynet schedule --once, under cron', () => {
  const db = useScratchDatabase('once');
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const scratch = async () => {
    const d = await mkdtemp(join(tmpdir(), 'safetynet-once-'));
    dirs.push(d);
    return d;
  };
  const once = async (dir: string, config: unknown, env: Record<string, string> = {}) => {
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    return cli(['--home', join(dir, 'home'), '--config', join(dir, 'config.json'), 'schedule', '--once'], { DATABASE_URL: db.url, ...env });
  };
  const status = (dir: string, ...args: string[]) => cli(['--home', join(dir, 'home'), '--config', join(dir, 'config.json'), 'status', ...args]);
  const beat = async (dir: string) => JSON.parse(await readFile(join(dir, 'home', 'heartbeat.json'), 'utf8')) as Heartbeat;

  it('says what the config lacks with a usage error, before any database or fetch', async () => {
    const dir = await scratch();
    const none = await once(dir, {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('schedule needs operation.sources (where to fetch each file) or operation.inbox in the config file');
    expect(none.stderr).not.toContain('unexpected error');

    const sources = operationOverride().operation.sources as Record<string, { location: string; headers?: Record<string, string> }>;
    sources.health = { ...sources.health!, headers: { Authorization: 'Bearer ${SAFETYNET_TEST_UNSET_TOKEN}' } };
    const token = await once(dir, { operation: { ...operationOverride().operation, sources } });
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('environment variable(s) not set: SAFETYNET_TEST_UNSET_TOKEN (operation.sources.health.headers.Authorization)');
    expect((await beat(dir)).monthly).toMatchObject({ state: 'finished', exit_code: 2 });
  });

  it('exits with the worst outcome of its tick, and the heartbeat and `status` say the same', async () => {
    const dir = await scratch();
    // nothing listens on port 1: the department's server is down
    const down = await once(dir, {
      operation: { firstPeriod: '2026-09', retries: 0, retryDelayMs: 10, timeoutMs: 2000, sources: { ...operationOverride().operation.sources, health: { location: 'http://127.0.0.1:1/{period}/health.csv' } } },
    });
    expect(down.code).toBe(8);
    expect(JSON.parse(down.stdout)).toMatchObject({ succeeded: [], failed: { period: '2026-09', exit_code: 8 }, exit_code: 8 });
    expect(down.stderr).toContain('safetynet: period 2026-09 failed: could not fetch health');
    const heartbeat = await beat(dir);
    expect(heartbeat.monthly).toMatchObject({ state: 'finished', exit_code: 8, time_zone: 'Asia/Shanghai', outcomes: [{ period: '2026-09', outcome: 'failed', exit_code: 8 }] });
    expect(heartbeat.monthly!.started_local).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const sick = await status(dir);
    expect(sick.code).toBe(11);
    expect(sick.stdout).toMatch(/^UNHEALTHY/);
    expect(sick.stdout).toContain('2026-09  failed: could not fetch health');
    expect(sick.stderr).toContain('the last monthly tick');
    expect(sick.stderr).toContain('failed with exit 8');

    // a month refused for its rows: 3, as `run` gives
    const inbox = join(dir, 'inbox');
    await cp(FIXTURE_INBOX, inbox, { recursive: true });
    const roster = join(inbox, '2026-10', 'civil-affairs.csv');
    await rm(join(inbox, '2026-10', 'manifest.json'));
    const text = await readFile(roster, 'utf8');
    await writeFile(roster, text.replace(/,(\d{9})\d{3},/g, ',$1,'));
    const refused = await once(dir, { operation: { firstPeriod: '2026-09', inbox } });
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ succeeded: ['2026-09'], failed: { period: '2026-10', exit_code: 3 } });
    expect((await beat(dir)).monthly!.outcomes.map((o) => [o.period, o.outcome, o.exit_code])).toEqual([
      ['2026-09', 'succeeded', 0],
      ['2026-10', 'failed', 3],
    ]);

    // the resent roster loads; the months after the fixture's have no files yet: waiting, 4
    await writeFile(roster, text);
    const waiting = await once(dir, { operation: { firstPeriod: '2026-09', inbox } });
    expect(waiting.code).toBe(4);
    const report = JSON.parse(waiting.stdout) as { succeeded: string[]; waiting: string; failed: null; exit_code: number };
    expect(report).toMatchObject({ succeeded: ['2026-10'], failed: null, exit_code: 4 });
    expect(report.waiting > '2026-10').toBe(true);
    // waiting for a department is not the scheduler's sickness
    const fine = await status(dir, '--json');
    expect(fine.code).toBe(0);
    const s = JSON.parse(fine.stdout) as { healthy: boolean; problems: string[]; heartbeat: Heartbeat };
    expect(s).toMatchObject({ healthy: true, problems: [], max_age_hours: 26 });
    expect(s.heartbeat.monthly).toMatchObject({ state: 'finished', exit_code: 4 });
    // written by renaming: no side file left beside it
    expect((await readdir(join(dir, 'home'))).filter((f) => f.startsWith('heartbeat'))).toEqual(['heartbeat.json']);
  }, 120_000);
});

describe('status, judged from the heartbeat', () => {
  const at = (iso: string, state: TickBeat['state'] = 'finished', exit_code: number | null = 0): TickBeat => ({
    state,
    started_at: iso,
    started_local: 'local',
    finished_at: state === 'finished' ? iso : null,
    finished_local: state === 'finished' ? 'local' : null,
    time_zone: 'Asia/Shanghai',
    outcomes: [],
    exit_code,
    error: null,
    pid: 1,
  });
  const now = new Date('2026-12-05T00:00:00Z');
  const beat = (monthly: TickBeat | null, night: TickBeat | null = null): Heartbeat => ({ monthly, night });

  it('is healthy after a recent tick that succeeded or waits for files', () => {
    expect(judge(beat(at('2026-12-04T23:00:00Z')), now, 26, 'hb')).toEqual([]);
    expect(judge(beat(at('2026-12-04T23:00:00Z', 'finished', 4)), now, 26, 'hb')).toEqual([]);
    expect(judge(beat(at('2026-12-04T12:00:00Z', 'running', null)), now, 26, 'hb')).toEqual([]);
  });

  it('is not when no tick is recorded, the last failed, none finished in time, or one runs too long', () => {
    expect(judge(null, now, 26, 'hb')[0]).toContain('no tick recorded in hb');
    expect(judge(beat(at('2026-12-04T23:00:00Z', 'finished', 8)), now, 26, 'hb')[0]).toContain('failed with exit 8');
    expect(judge(beat(at('2026-12-04T23:00:00Z'), at('2026-12-04T18:00:00Z', 'finished', 3)), now, 26, 'hb')[0]).toContain('the last night tick');
    expect(judge(beat(at('2026-12-03T21:00:00Z')), now, 26, 'hb')[0]).toContain('no tick since local Asia/Shanghai, over 26 h ago');
    expect(judge(beat(at('2026-12-03T21:00:00Z', 'running', null)), now, 26, 'hb')[0]).toContain('a tick has been running since');
  });
});
