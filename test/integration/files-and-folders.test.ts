import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { cli, ROOT } from '../helpers/cli.js';
import { onEmbedded, useScratchDirs } from '../helpers/faults.js';

/**
 * What a command leaves on disk, and who can read it: SAFETYNET_HOME private (the embedded
 * server's user may pass through it to its data, nobody else in), lists and reports readable by
 * their owner only (or a configured group), and an `--out` that is not a regular file refused
 * before anything is read or audited.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const scratch = useScratchDirs();
const asRoot = userInfo().uid === 0;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const octal = (mode: number) => mode.toString(8).padStart(4, '0');

let home: string;
let env: Record<string, string>;
const audits = () => onEmbedded(home, (db) => db.selectFrom('export_audit').select('audit_id').execute().then((r) => r.length));

beforeAll(async () => {
  home = join(await scratch('files'), 'home');
  await mkdir(home, { mode: 0o700 });
  await chmod(home, 0o700);
  env = { SAFETYNET_HOME: home };
  const r = await cli(['run', '--inbox', INBOX], env);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('SAFETYNET_HOME', () => {
  it('stays closed to others after every command; run as root, the postgres user may only pass through to its data', async () => {
    const again = await cli(['runs'], env);
    expect(again.code, again.stderr).toBe(0);
    const mode = await modeOf(home);
    expect(octal(mode & 0o007), 'others: nothing').toBe('0000');
    if (asRoot) {
      // search for the server's group, nothing else: it cannot list the home or read its files
      expect(octal(mode)).toBe('0710');
      const postgresGid = Number((await promisify(execFile)('id', ['-g', 'postgres'])).stdout.trim());
      expect((await stat(home)).gid).toBe(postgresGid);
    } else {
      expect(octal(mode)).toBe('0700');
    }
    expect(octal(await modeOf(join(home, 'postgres.json')))).toBe('0600');
  });
});

describe('the files written', () => {
  it('a run\'s list and data-quality report, and an unmasked export: 0600, in a 0700 folder, whatever the umask', async () => {
    expect(octal(await modeOf(join(home, 'exports')))).toBe('0700');
    for (const name of ['warning-list-2026-10.csv', 'data-quality-2026-10.csv']) {
      expect(octal(await modeOf(join(home, 'exports', name))), name).toBe('0600');
    }
    const out = join(await scratch('files-out'), 'unmasked.csv');
    const r = await cli(['export', '--period', '2026-10', '--unmasked', '--purpose', 'file mode test', '--out', out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(octal(await modeOf(out))).toBe('0600');
  });

  it.skipIf(!asRoot)('with access.exportGroup: 0640 and that group, the exports folder 0750', async () => {
    const config = join(await scratch('files-config'), 'config.json');
    // root's own group exists everywhere; the point is the bits and the group set
    await writeFile(config, JSON.stringify({ access: { exportGroup: 'root' } }));
    const groupHome = join(await scratch('files-group'), 'home');
    const genv = { SAFETYNET_HOME: groupHome, SAFETYNET_CONFIG: config };
    const r = await cli(['run', '--inbox', INBOX, '--period', '2026-09'], genv);
    expect(r.code, r.stderr).toBe(0);
    const list = join(groupHome, 'exports', 'warning-list-2026-09.csv');
    expect(octal(await modeOf(list))).toBe('0640');
    expect((await stat(list)).gid).toBe(0);
    expect(octal(await modeOf(join(groupHome, 'exports')))).toBe('0750');
    const out = join(await scratch('files-out'), 'group.csv');
    const e = await cli(['export', '--period', '2026-09', '--out', out], genv);
    expect(e.code, e.stderr).toBe(0);
    expect(octal(await modeOf(out))).toBe('0640');
  });

  it('an unknown access.exportGroup is a usage error that names it', async () => {
    const config = join(await scratch('files-config'), 'config.json');
    await writeFile(config, JSON.stringify({ access: { exportGroup: 'no-such-group-here' } }));
    const r = await cli(['export', '--period', '2026-10', '--out', join(await scratch('files-out'), 'x.csv')], { ...env, SAFETYNET_CONFIG: config });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toMatch(/access\.exportGroup "no-such-group-here" is not a group/);
  });
});

describe('an --out that is not a regular file', () => {
  it('a folder, a symlink, a FIFO, a device: exit 2 before anything is read or audited; the symlink\'s target untouched', async () => {
    const dir = await scratch('files-targets');
    const folder = join(dir, 'folder');
    await mkdir(folder);
    const target = join(dir, 'precious.txt');
    await writeFile(target, 'keep me');
    const link = join(dir, 'link.csv');
    await symlink(target, link);
    const fifo = join(dir, 'fifo.csv');
    await promisify(execFile)('mkfifo', [fifo]);
    const before = await audits();
    for (const [out, kind] of [
      [folder, 'a folder'],
      [link, 'a symbolic link'],
      [fifo, 'a named pipe (FIFO)'],
      ['/dev/zero', 'a device'],
    ] as const) {
      const r = await cli(['export', '--period', '2026-10', '--out', out], env);
      expect(r.code, `${out}: ${r.stderr}`).toBe(ExitCode.usage);
      expect(r.stderr).toContain(`--out ${out} is ${kind}, not a regular file`);
    }
    expect(await audits(), 'no audit row for a file never written').toBe(before);
    expect(await readFile(target, 'utf8')).toBe('keep me');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });
});
