import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { lockHome } from '../../src/db/embedded.js';

/**
 * The home's lock decides which of several commands started after a SIGKILL takes over the
 * orphaned embedded server; two holders at once means one stops the server under the other
 * (exit 5). Contenders in one process interleave at every await, which is where a lock file
 * judged stale by its pid was taken by two of them (in about half of the rounds).
 */
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

it('after its holder was killed, contenders that start together take the home one at a time', async () => {
  const home = await mkdtemp(join(tmpdir(), 'safetynet-lock-'));
  dirs.push(home);
  // a pid no process has any more: the command killed while holding the home
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const rounds: number[] = [];
  for (let round = 0; round < 12; round++) {
    await writeFile(join(home, 'safetynet.lock'), String(dead));
    let holding = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        // a turn of the event loop apart each: their checks and removals fall between each other's
        for (let k = 0; k < i; k++) await new Promise((r) => setImmediate(r));
        const unlock = await lockHome(home, pino({ level: 'silent' }));
        most = Math.max(most, ++holding);
        await new Promise((r) => setTimeout(r, 2));
        holding--;
        await unlock();
      }),
    );
    rounds.push(most);
  }
  expect(rounds.filter((most) => most > 1), 'rounds where two contenders held the home at once').toEqual([]);
}, 60_000);
