import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { processAlive } from './process-alive.js';

/**
 * Spill files that hold extract rows in clear (an ingest's refused rows, with names, ID numbers
 * and amounts) live in SAFETYNET_HOME/tmp, mode 700 like the home: a process killed mid-ingest
 * leaves them where the home's permissions, backups and retention apply, not in the system's
 * temp folder, and the next command that opens the home removes them. Each folder is named
 * after its process, so that a command never removes the files of one still running (with
 * DATABASE_URL, commands on one home run side by side).
 */
const PREFIX = 'ingest-';

export const scratchRoot = (home: string): string => join(home, 'tmp');

/**
 * A private folder for one ingest's spill files, to remove when done. Without a home (library
 * use and tests, never the CLI, which always has one) it is made in the system's temp folder.
 */
export async function makeScratch(home: string | undefined): Promise<string> {
  if (!home) return mkdtemp(join(tmpdir(), `safetynet-${PREFIX}`));
  const root = scratchRoot(home);
  await mkdir(root, { recursive: true, mode: 0o700 });
  // made by an older version, or by hand: the rows in it are no less personal
  await chmod(root, 0o700);
  return mkdtemp(join(root, `${PREFIX}${process.pid}-`));
}


/** Removes the spill folders of processes that are gone (killed mid-ingest); returns how many. */
export async function removeScratchLeftovers(home: string, log: Logger): Promise<number> {
  const entries = await readdir(scratchRoot(home)).catch(() => [] as string[]);
  let removed = 0;
  for (const entry of entries) {
    const pid = Number(/^ingest-(\d+)-/.exec(entry)?.[1]);
    if (!(pid > 0) || processAlive(pid)) continue;
    await rm(join(scratchRoot(home), entry), { recursive: true, force: true });
    removed++;
  }
  if (removed > 0) log.info({ folders: removed, in: scratchRoot(home) }, 'removed the spill files of a command that was killed mid-ingest');
  return removed;
}
