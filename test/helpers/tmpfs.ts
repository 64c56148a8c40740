import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir, statfs } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Small tmpfs mounts for disk-full tests: a real "No space left on device", no disk harmed. */

const run = promisify(execFile);

/** Why tmpfs cannot be mounted here (not root, no permission in this container), or undefined. */
export async function tmpfsUnavailable(): Promise<string | undefined> {
  if (userInfo().uid !== 0) return 'not running as root: mounting a tmpfs needs root';
  const probe = await mkdtemp(join(tmpdir(), 'safetynet-tmpfs-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', probe]);
    await run('umount', [probe]);
    return undefined;
  } catch (err) {
    return `mount -t tmpfs is not permitted here: ${(err as Error).message.trim()}`;
  } finally {
    await rmdir(probe).catch(() => {});
  }
}

/** Mode 755: the embedded PostgreSQL runs as `postgres` and must get through to its data. */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=755`, 'tmpfs', dir]);
}

export async function unmount(dir: string): Promise<void> {
  // lazily: a server that is still shutting down must not keep the mount for ever
  await run('umount', ['-l', dir]).catch(() => {});
}

/** Fills the file system holding `dir` until `leaveBytes` are free; returns the filler's path. */
export async function fill(dir: string, leaveBytes: number): Promise<string> {
  const { bavail, bsize } = await statfs(dir);
  const filler = join(dir, 'filler');
  let left = Math.max(0, bavail * bsize - leaveBytes);
  const chunk = Buffer.alloc(1 << 20);
  const handle = await open(filler, 'w');
  try {
    while (left > 0) {
      const { bytesWritten } = await handle.write(chunk, 0, Math.min(chunk.length, left));
      left -= bytesWritten;
    }
  } catch (err) {
    // full before the count said so (the count is in blocks): full is what we wanted
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await handle.close();
  }
  return filler;
}

export async function removeFiller(filler: string): Promise<void> {
  await rm(filler, { force: true });
}
