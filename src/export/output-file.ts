import { chmod, chown, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import { OutputNotWritten, UsageError } from '../errors.js';
import { processAlive } from '../process-alive.js';

/**
 * Who may read a written file besides its owner: nobody (0600), or the members of one group
 * (0640, `access.exportGroup`). Lists carry names and ID numbers, masked or not; the umask of
 * whoever runs the command is not a policy.
 */
export interface FileAccess {
  /** numeric group id, from `access.exportGroup` (src/context.ts resolves the name) */
  group: number | null;
}

export const PRIVATE: FileAccess = { group: null };

const FILE_MODE = { private: 0o600, group: 0o640 } as const;

const partialOf = (file: string) => `${file}.${process.pid}.partial`;

/**
 * A target that is not a regular file (a folder, a symlink, a FIFO, a device such as /dev/zero)
 * is refused before anything is read or audited: replacing it is never what was meant, and a
 * symlink would put the list wherever it points. Absent is fine: the file is created.
 */
export async function assertWritableTarget(file: string, what = '--out'): Promise<void> {
  const found = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new UsageError(`${what} ${file}: ${err.message}`, { cause: err });
  });
  if (found === null || found.isFile()) return;
  const kind = found.isDirectory()
    ? 'a folder'
    : found.isSymbolicLink()
      ? 'a symbolic link'
      : found.isFIFO()
        ? 'a named pipe (FIFO)'
        : found.isSocket()
          ? 'a socket'
          : 'a device';
  throw new UsageError(`${what} ${file} is ${kind}, not a regular file: give the path of a new file (or of a list to replace); nothing was read or audited`);
}

/**
 * A file being written beside its target: `stream` takes its bytes, `place` renames it into
 * place once complete, `discard` removes it. A reader never sees half a file, and a failure
 * leaves the previous file as it was. The side file is created new (never through a link
 * someone left there), with its final mode from the start.
 */
export interface SideFile {
  readonly file: string;
  readonly stream: Writable;
  place(): Promise<void>;
  discard(): Promise<void>;
}

export async function openSideFile(file: string, access: FileAccess = PRIVATE): Promise<SideFile> {
  await assertWritableTarget(file, 'output');
  const partial = partialOf(file);
  const mode = access.group === null ? FILE_MODE.private : FILE_MODE.group;
  let handle;
  try {
    await rm(partial, { force: true });
    handle = await open(partial, 'wx', mode);
    // open's mode passes through the umask; the group's read bit must not depend on it
    await handle.chmod(mode);
    if (access.group !== null) await handle.chown(-1, access.group);
  } catch (cause) {
    await handle?.close().catch(() => {});
    await rm(partial, { force: true });
    throw new UsageError(`cannot write ${file}: ${(cause as Error).message}`, { cause });
  }
  const opened = handle;
  return {
    file,
    stream: opened.createWriteStream(),
    async place() {
      try {
        await rename(partial, file);
      } finally {
        await opened.close().catch(() => {});
      }
    },
    async discard() {
      await opened.close().catch(() => {});
      await rm(partial, { force: true });
    },
  };
}

/** The machine's fault in writing `file`, not the data's: which file and what to do, not a stack trace. */
function asOutputNotWritten(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EIO'
    ? new OutputNotWritten(file, (err as Error).message, { cause: err })
    : err;
}

/** Writes a file through `write` as a side file, renamed into place when complete (openSideFile). */
export async function writeFileAtomically<T>(file: string, write: (out: Writable) => Promise<T>, access: FileAccess = PRIVATE): Promise<T> {
  const side = await openSideFile(file, access);
  try {
    const result = await write(side.stream);
    await side.place();
    return result;
  } catch (err) {
    await side.discard();
    throw asOutputNotWritten(file, err);
  }
}

/**
 * Removes the side files of writers that died (killed, power cut) in `dir`: each carries its
 * writer's pid, so a live writer's file is left alone. Returns the names removed.
 */
export async function removeLeftoverPartials(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = /\.(?:(\d+)\.)?partial$/.exec(name);
    if (!m) continue;
    // a pid-less name is from before writers signed their side files: nobody writes it now
    if (m[1] !== undefined && (Number(m[1]) === process.pid || processAlive(Number(m[1])))) continue;
    await rm(join(dir, name), { force: true });
    removed.push(basename(name));
  }
  return removed;
}

/** Makes `dir` (created if absent) readable by its owner only, or also by `access.group`. */
export async function secureFolder(dir: string, access: FileAccess): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (access.group !== null) await chown(dir, -1, access.group);
  await chmod(dir, access.group === null ? 0o700 : 0o750);
}
