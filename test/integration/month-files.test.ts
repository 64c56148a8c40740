import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';
import { useScratchDatabase } from '../helpers/database.js';

/**
 * `run`, `schedule` and `replay` share one month function (jobs/run-month.ts): the same fixture
 * months, run by hand in one home and by a scheduler's tick in another, leave the same files,
 * byte for byte, and the list is the one `replay` holds as expected.
 */

const FIXTURE = join(ROOT, 'fixtures', 'district-a');
const INBOX = join(FIXTURE, 'inbox');

/** Every file under the home's exports folder, by name, with its bytes. */
async function exportedFiles(home: string): Promise<Map<string, Buffer>> {
  const dir = join(home, 'exports');
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as const)));
}

describe('a month run by `run` and by `schedule --once`', () => {
  const byHand = useScratchDatabase('monthrun');
  const bySchedule = useScratchDatabase('monthtick');
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('leaves the same files with the same bytes, and the list replay expects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-month-files-'));
    dirs.push(dir);
    // one config for both: the local inbox, owed from the fixture's first month
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ operation: { inbox: INBOX, firstPeriod: '2026-09' } }));
    const runHome = join(dir, 'run-home');
    const tickHome = join(dir, 'tick-home');

    const run = await cli(['--home', runHome, '--config', config, 'run', '--inbox', INBOX], { DATABASE_URL: byHand.url });
    expect(run.code, run.stderr).toBe(0);
    const tick = await cli(['--home', tickHome, '--config', config, 'schedule', '--once'], { DATABASE_URL: bySchedule.url });
    // the fixture's months run; the months after them have no files yet and wait
    expect(tick.code, tick.stderr).toBe(4);
    expect(JSON.parse(tick.stdout)).toMatchObject({ succeeded: ['2026-09', '2026-10'], failed: null });

    const byRun = await exportedFiles(runHome);
    const byTick = await exportedFiles(tickHome);
    expect([...byRun.keys()]).toEqual(['data-quality-2026-09.csv', 'data-quality-2026-10.csv', 'warning-list-2026-09.csv', 'warning-list-2026-10.csv']);
    expect([...byTick.keys()]).toEqual([...byRun.keys()]);
    for (const [name, bytes] of byRun) expect(byTick.get(name)?.equals(bytes), name).toBe(true);

    // replay compares the same file against its expected list
    for (const period of ['2026-09', '2026-10']) {
      const expected = await readFile(join(FIXTURE, 'expected', `warning-list-${period}.csv`));
      expect(byRun.get(`warning-list-${period}.csv`)?.equals(expected), period).toBe(true);
    }
  });
});
