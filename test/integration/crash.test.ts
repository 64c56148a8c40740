import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, spawnCli } from '../helpers/cli.js';
import { createDatabase, dropDatabase, useScratchDatabase } from '../helpers/database.js';

/**
 * A run killed with SIGKILL at any point leaves no half-written period: the next run completes
 * it, and its list is byte-identical to a clean run's.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'safetynet-crash-'));
  await chmod(dir, 0o755);
  return dir;
};

let reference: string;
let referenceDb: { name: string; url: string };

beforeAll(async () => {
  referenceDb = await createDatabase('crashref');
  const env = { DATABASE_URL: referenceDb.url };
  expect((await cli(['run', '--inbox', INBOX, '--no-export'], env)).code).toBe(0);
  const out = join(await scratch(), 'reference.csv');
  expect((await cli(['export', '--period', '2026-10', '--all', '--out', out], env)).code).toBe(0);
  reference = await readFile(out, 'utf8');
});
afterAll(async () => {
  await dropDatabase(referenceDb.name);
});

async function exportAll(env: Record<string, string>): Promise<string> {
  const out = join(await scratch(), 'list.csv');
  const r = await cli(['export', '--period', '2026-10', '--all', '--out', out], env);
  expect(r.code, r.stderr).toBe(0);
  return readFile(out, 'utf8');
}

describe('SIGKILL at named points of a run, on the embedded database', () => {
  it('the next run completes the period, and the list equals a clean run\'s', async () => {
    const home = await scratch();
    const env = { SAFETYNET_HOME: home };
    expect((await cli(['run', '--inbox', INBOX, '--period', '2026-09', '--no-export'], env)).code).toBe(0);
    for (const point of ['after-ingest', 'after-link', 'before-commit', 'after-commit']) {
      const killed = await cli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], { ...env, SAFETYNET_CRASH_AT: point });
      expect(killed.code, `killed ${point}`).not.toBe(0);
      // the server the killed process left behind is taken over, the stale lock too
      const again = await cli(['run', '--inbox', INBOX, '--period', '2026-10', '--no-export'], env);
      expect(again.code, `${point}: ${again.stderr}`).toBe(0);
      expect(await exportAll(env), `list after a kill ${point}`).toBe(reference);
    }
    const runs = await cli(['runs', '--period', '2026-10', '--json'], env);
    const statuses = runs.stdout.trim().split('\n').map((l) => JSON.parse(l).status as string).reverse();
    // killed before the commit: marked failed by the next run; killed after: already succeeded
    expect(statuses).toEqual(['failed', 'succeeded', 'failed', 'succeeded', 'failed', 'succeeded', 'succeeded', 'succeeded']);
  }, 120_000);
});

describe('SIGKILL at timed points of a run, on DATABASE_URL', () => {
  const db = useScratchDatabase('crash');

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
      expect(await exportAll(env), `list after a kill at ${ms} ms`).toBe(reference);
    }
  }, 120_000);
});
