import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { keepTheExitCode, orUnavailable, provideTemplate } from './global-setup.js';

/**
 * The `system-pg` test project's server: a throwaway cluster of the PostgreSQL that Debian
 * packages (/usr/lib/postgresql/N/bin), which is what a bureau runs, while the database project
 * runs on the embedded server from npm. The role and row-security tests run on both, because
 * privileges differ between versions (MAINTAIN came with 17, the rules on role membership
 * changed in 16). Made with initdb in a temp folder, on a free port of 127.0.0.1 with a unix
 * socket in that folder (not /var/run/postgresql), stopped and removed at the end.
 *
 * Without Debian's server this project fails, saying how to install it (`.ci/run` does), unless
 * SAFETYNET_TEST_SYSTEM_PG=skip leaves the project out (vitest.config.ts).
 */
const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/** The newest Debian server present: /usr/lib/postgresql/<version>/bin with a postgres binary in it. */
async function debianServerBin(): Promise<string | null> {
  const versions = await readdir(PG_ROOT).catch(() => [] as string[]);
  const found: { version: number; bin: string }[] = [];
  for (const v of versions) {
    const bin = join(PG_ROOT, v, 'bin');
    if (await stat(join(bin, 'postgres')).then((s) => s.isFile(), () => false)) found.push({ version: Number(v), bin });
  }
  found.sort((a, b) => b.version - a.version);
  return found[0]?.bin ?? null;
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user that Debian's package creates. */
async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) {
    throw new Error('the system-pg tests run as root, and PostgreSQL then needs the user "postgres", which is missing: `apt-get install postgresql` creates it');
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

/** A server that cannot be had fails this project's files with the reason (orUnavailable), not the run. */
export default async function setup(project: TestProject) {
  keepTheExitCode();
  let stop: (() => Promise<void>) | undefined;
  await orUnavailable(project, async () => {
    stop = await startCluster(project);
  });
  return stop;
}

async function startCluster(project: TestProject): Promise<() => Promise<void>> {
  const bin = await debianServerBin();
  if (!bin) {
    throw new Error(
      `the system-pg tests need Debian's PostgreSQL server (${PG_ROOT}/<version>/bin/postgres), and none is installed: ` +
        'run `apt-get install postgresql` (bash .ci/run does), or set SAFETYNET_TEST_SYSTEM_PG=skip to run the tests on the embedded server only',
    );
  }
  const as = await postgresUser();
  const home = await mkdtemp(join(tmpdir(), 'safetynet-test-syspg-'));
  const data = join(home, 'data');
  const logFile = join(home, 'server.log');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(home, 'password');
  await writeFile(pwfile, password, { mode: 0o600 });
  if (as) {
    await chmod(home, 0o700);
    await chown(home, as.uid, as.gid);
    await chown(pwfile, as.uid, as.gid);
  }
  const pg = (program: string, args: string[]) =>
    run(join(bin, program), args, { cwd: home, ...(as ?? {}), env: { ...process.env, LC_ALL: 'C' }, timeout: 120_000 });

  let started = false;
  const stop = async () => {
    if (started) await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
    await rm(home, { recursive: true, force: true });
  };
  try {
    await pg('initdb', ['-D', data, '-U', 'safetynet', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    // a throwaway cluster trades durability for speed, as the embedded one of the tests does
    const options = [
      `-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories='${home}'`,
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
    ].join(' ');
    started = true;
    await pg('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', options, 'start']);
    const serverUrl = `postgres://safetynet:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    await provideTemplate(project, serverUrl);
  } catch (err) {
    const serverLog = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new Error(`could not start Debian's PostgreSQL from ${bin} for the system-pg tests: ${(err as Error).message}\n${serverLog.slice(-2000)}`, { cause: err });
  }
  return stop;
}
