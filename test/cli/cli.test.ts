import { parse } from 'csv-parse/sync';
import { cp, chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load-config.js';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, spawnCli } from '../helpers/cli.js';
import { createDatabase, dropDatabase, useScratchDatabase } from '../helpers/database.js';

/** The command line as users, cron and deployers' CI meet it: exit codes, streams, both databases. */

const FIXTURE = join(ROOT, 'fixtures', 'district-a');
const INBOX = join(FIXTURE, 'inbox');
const scratch = () => mkdtemp(join(tmpdir(), 'safetynet-cli-'));

describe('help', () => {
  for (const command of [[], ['run'], ['export'], ['replay'], ['migrate'], ['schedule'], ['status'], ['runs'], ['audit'], ['explain'], ['cards'], ['diff'], ['report'],
    ['review'], ['visits', 'import'], ['quality'], ['calibrate'], ['nightly'], ['purge'], ['generate'], ['access']]) {
    it(`safetynet ${command.join(' ')} --help explains itself and its exit codes`, async () => {
      const r = await cli([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: safetynet/);
      expect(r.stdout).toContain('Exit codes:');
      expect(r.stdout).toContain('4    extracts missing');
    });
  }

  it('exits 2 on usage errors, with a pointer to --help', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badPeriod = await cli(['run', '--inbox', INBOX, '--period', '2026-13']);
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.stderr).toContain('period "2026-13" is not a month written YYYY-MM');
  });
});

describe('config', () => {
  it('refuses an invalid config at start-up, listing every problem at once (exit 2)', async () => {
    const dir = await scratch();
    const config = join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ weights: { economic: 0.9 }, warningThreshold: -1, tiers: { purple: 3 } }));
    const r = await cli(['--config', config, 'run', '--inbox', INBOX, '--period', '2026-10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config ${config} is not valid:`);
    expect(r.stderr).toContain('warningThreshold: Too small');
    expect(r.stderr).toContain('tiers: Unrecognized key: "purple"');
    expect(r.stderr).toContain('weights: weights must add up to 1, they add up to 1.5500');
  });

  it('reads a config file saved with a byte-order mark, as Notepad saves it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'safetynet-cli-bom-'));
    try {
      const config = join(dir, 'config.json');
      writeFileSync(config, `\uFEFF${JSON.stringify({ warningThreshold: 40 })}`);
      expect(loadConfig(config).config.warningThreshold).toBe(40);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('with DATABASE_URL (any PostgreSQL server)', () => {
  const db = useScratchDatabase('cli');

  it('run --json prints one JSON summary as its last stdout line, logs go to stderr as JSON lines', async () => {
    const home = await scratch();
    const r = await cli(['--home', home, 'run', '--inbox', INBOX, '--period', '2026-09', '--json'], { DATABASE_URL: db.url });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines.at(-1)!);
    expect(summary).toMatchObject({ period: '2026-09', households_scored: 45, warnings: 7 });
    // the four of the contract, and public security's events (the other optional departments first deliver in October)
    expect(Object.keys(summary.sources).sort()).toEqual(['civil-affairs', 'disability', 'health', 'medical-insurance', 'public-security']);
    for (const s of Object.values(summary.sources) as { rows_read: number; rows_loaded: number; rows_rejected: number }[]) {
      expect(s.rows_read).toBe(s.rows_loaded + s.rows_rejected);
    }
    expect(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true);
    expect(r.stderr).toContain('"msg":"run succeeded"');
    // ID numbers and names never reach the log
    expect(r.stderr).not.toMatch(/\d{17}[\dX]/);
  });

  it('export writes the list to a file, filtered by street or community, top N', async () => {
    const dir = await scratch();
    const out = join(dir, 'list.csv');
    const all = await cli(['export', '--period', '2026-09', '--format', 'csv', '--out', out], { DATABASE_URL: db.url });
    expect(all.code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const [header, ...records] = parse(text, { bom: true }) as string[][];
    // the listed households, then the month's audit visits (column visit_kind)
    const kinds = records.map((r) => r[header!.indexOf('visit_kind')]);
    expect(kinds.filter((k) => k === 'listed')).toHaveLength(10);
    expect(kinds.slice(10).every((k) => k === 'audit')).toBe(true);
    expect(kinds.length).toBeGreaterThan(10);

    const street = await cli(['export', '--period', '2026-09', '--format', 'csv', '--out', '-', '--region', '420106002'], { DATABASE_URL: db.url });
    expect(street.code).toBe(0);
    const streetRows = street.stdout.trim().split('\r\n').slice(1);
    expect(streetRows.length).toBeGreaterThan(0);
    expect(streetRows.every((l) => l.split(',')[2]!.startsWith('420106002'))).toBe(true);
    expect(streetRows[0]!.startsWith('1,')).toBe(true);

    const top = await cli(['export', '--period', '2026-09', '--out', '-', '--top', '3', '--all'], { DATABASE_URL: db.url });
    expect(top.stdout.trim().split('\r\n')).toHaveLength(4);

    const nowhere = await cli(['export', '--period', '2026-09', '--out', join(dir, 'no', 'such', 'dir.csv')], { DATABASE_URL: db.url });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(`cannot write ${join(dir, 'no', 'such', 'dir.csv')}`);

    const badRegion = await cli(['export', '--period', '2026-09', '--out', '-', '--region', '4201'], { DATABASE_URL: db.url });
    expect(badRegion.code).toBe(2);
  });

  it('exits 2 for a --since that is no day of the calendar, before touching the database', async () => {
    for (const since of ['2026-13-01', '2026-02-30', '2026-1-1']) {
      const r = await cli(['export', '--urgent', '--since', since, '--out', '-'], { DATABASE_URL: db.url });
      expect(r.code, since).toBe(2);
      expect(r.stderr).toContain(`--urgent needs --since YYYY-MM-DD, a day of the calendar (got "${since}")`);
    }
  });

  it('exits 2 when the period has not been run', async () => {
    const r = await cli(['export', '--period', '2030-01', '--out', '-'], { DATABASE_URL: db.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no successful run for period 2030-01');
    // run from another folder a command opens another home: the message says where it looked
    const elsewhere = await scratch();
    await chmod(elsewhere, 0o755); // the embedded server's own user must reach the home (run as root)
    const empty = await cli(['--home', join(elsewhere, 'home'), 'export', '--period', '2026-10', '--out', '-']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`no successful run for period 2026-10 in embedded PostgreSQL in ${join(elsewhere, 'home')}`);
    expect(empty.stderr).toContain('point SAFETYNET_HOME (--home) at the folder the run used');
  });

  it('exits 3 and loads nothing when a file does not match its manifest', async () => {
    const inbox = await scratch();
    await cp(INBOX, inbox, { recursive: true });
    const file = join(inbox, '2026-10', 'health.csv');
    await writeFile(file, `${await readFile(file, 'utf8')}\n`);
    const r = await cli(['run', '--inbox', inbox, '--period', '2026-10', '--no-export'], { DATABASE_URL: db.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('2026-10/health.csv does not match manifest.json: sha256');
    const after = await cli(['export', '--period', '2026-10', '--out', '-'], { DATABASE_URL: db.url });
    expect(after.code).toBe(2); // October was never loaded
  });

  it('exits 4 when an extract has not arrived', async () => {
    const inbox = await scratch();
    await cp(join(INBOX, '2026-10'), join(inbox, '2026-10'), { recursive: true });
    const { rm } = await import('node:fs/promises');
    await rm(join(inbox, '2026-10', 'medical-insurance.csv'));
    const r = await cli(['run', '--inbox', inbox, '--period', '2026-10'], { DATABASE_URL: db.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('period 2026-10: not delivered yet: medical-insurance.csv');
  });

  it('replay exits 6 with a readable diff when a weight changes', async () => {
    const dir = await scratch();
    const config = join(dir, 'heavier-health.json');
    await writeFile(config, JSON.stringify({ weights: { health: 0.2, age_structure: 0.05, labour_capacity: 0.05 } }));
    const r = await cli(['--config', config, 'replay', FIXTURE], { DATABASE_URL: db.url });
    expect(r.code).toBe(6);
    expect(r.stdout).toContain('2026-09: warning list DIFFERS');
    expect(r.stdout).toMatch(/^--- expected\/warning-list-2026-09\.csv/m);
    expect(r.stdout).toMatch(/^-1,WC001,/m);
    expect(r.stdout).toMatch(/^\+1,WC001,/m);
    expect(r.stderr).toContain('differs from the expected one');
  });
});

describe('exit codes of unattended operation', () => {
  let db: { name: string; url: string };
  beforeAll(async () => {
    db = await createDatabase('codes');
    expect((await cli(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
  });
  afterAll(async () => {
    await dropDatabase(db.name);
  });

  it('exits 7 and writes nothing when another process holds the period', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtext('safetynet:period'), hashtext('2026-10'))`);
      const r = await cli(['run', '--inbox', INBOX, '--period', '2026-10'], { DATABASE_URL: db.url });
      expect(r.code).toBe(7);
      expect(r.stderr).toContain('period 2026-10 is being run by another process; nothing was written');
      const runs = await other.query('select count(*)::int as n from run');
      expect(runs.rows[0].n).toBe(0);
    } finally {
      await other.query('rollback');
      await other.end();
    }
  });

  it('exits 130 on SIGINT mid-run, leaving the period as it was', async () => {
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('begin');
    // the run will wait on this lock when it starts to replace the period's rows
    await blocker.query('lock table household_row in access exclusive mode');
    const { child, exited } = spawnCli(['run', '--inbox', INBOX, '--period', '2026-10'], { DATABASE_URL: db.url });
    try {
      for (let i = 0; i < 80; i++) {
        const waiting = await blocker.query(`select count(*)::int as n from pg_locks where not granted and relation = 'household_row'::regclass`);
        if (waiting.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGINT');
      expect((await exited).code).toBe(130);
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    const r = await cli(['export', '--period', '2026-10', '--out', '-'], { DATABASE_URL: db.url });
    expect(r.code).toBe(2); // never completed: no list
  });

  it('exits 8 with the source named when a source cannot be fetched', async () => {
    const dir = await scratch();
    const config = join(dir, 'config.json');
    const down = (s: string) => ({ location: `http://127.0.0.1:1/{period}/${s}.csv` });
    await writeFile(
      config,
      JSON.stringify({
        operation: {
          retries: 1,
          retryDelayMs: 10,
          sources: { 'civil-affairs': down('civil-affairs'), disability: down('disability'), 'medical-insurance': down('medical-insurance'), health: down('health') },
        },
      }),
    );
    const r = await cli(['--home', dir, '--config', config, 'run', '--period', '2026-10'], { DATABASE_URL: db.url });
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('could not fetch civil-affairs: http://127.0.0.1:1/2026-10/civil-affairs.csv: ECONNREFUSED (after 2 tries)');
  });
});

describe('database unavailable', () => {
  it('exits 5 and names the server without its password', async () => {
    const r = await cli(['run', '--inbox', INBOX, '--period', '2026-10'], { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x' });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('cannot connect to postgres://u:***@127.0.0.1:1/x');
    expect(r.stderr).not.toContain('secret');
  });
});

describe('with no DATABASE_URL: the embedded PostgreSQL under SAFETYNET_HOME', () => {
  it('run starts it, keeps the data, and a later export in another process sees it', async () => {
    const home = await scratch();
    await chmod(home, 0o755);
    const run = await cli(['run', '--inbox', INBOX, '--period', '2026-09'], { SAFETYNET_HOME: home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2026-09: 45 households scored, 7 to visit (score 30+), 3 already covered (listed separately)');
    expect(run.stdout).toContain(`warning list:        ${join(home, 'exports', 'warning-list-2026-09.csv')}`);
    // the data-quality report lists refused rows by line and column, and no values
    const quality = await readFile(join(home, 'exports', 'data-quality-2026-09.csv'), 'utf8');
    expect(quality).toContain('rejected,civil-affairs,53,身份证号,身份证号: invalid ID number (checksum): the check digit does not match the other 17 digits');
    expect(quality).toContain('kept with warning,medical-insurance,11,,out_of_pocket_mismatch');
    expect(quality).not.toMatch(/\d{17}[\dX]/);
    // the server was stopped when the command ended
    await expect(stat(join(home, 'pgdata', 'postmaster.pid'))).rejects.toThrow();

    const out = join(home, 'again.csv');
    const exp = await cli(['export', '--period', '2026-09', '--format', 'csv', '--out', out], { SAFETYNET_HOME: home });
    expect(exp.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(await readFile(join(home, 'exports', 'warning-list-2026-09.csv'), 'utf8'));
  });

  it('a second command on the same SAFETYNET_HOME waits for the first instead of sharing its server', async () => {
    const home = await scratch();
    await chmod(home, 0o755);
    const [first, second] = await Promise.all([
      cli(['run', '--inbox', INBOX, '--period', '2026-09', '--json'], { SAFETYNET_HOME: home }),
      cli(['run', '--inbox', INBOX, '--period', '2026-10', '--json'], { SAFETYNET_HOME: home }),
    ]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(`${first.stderr}${second.stderr}`).toContain('waiting for another safetynet command that is using this SAFETYNET_HOME');
    await expect(stat(join(home, 'safetynet.lock'))).rejects.toThrow();
  });

  it('replay passes on the shipped fixture district, on a throwaway embedded database', async () => {
    const r = await cli(['replay', FIXTURE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2026-09: warning list matches\n2026-10: warning list matches\n');
  });
});
