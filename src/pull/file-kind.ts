import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * What stands at a path where a file is expected: a regular file, nothing (not delivered yet),
 * or something else, named for a message. A folder, a FIFO or a device in an extract's place is
 * not a delivery that is late: a FIFO blocks its reader for ever and `/dev/zero` never ends, so
 * those are refused, not waited for. Symbolic links are followed: a link to a regular file is a
 * regular file, a link to `/dev/zero` is a character device.
 */
export type FileKind = { kind: 'file'; size: number } | { kind: 'absent' } | { kind: 'other'; what: string };

export function describeStats(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

export async function fileKind(path: string): Promise<FileKind> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: the period's "folder" is a file, so nothing is in it yet either
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    // a link loop, a folder we may not search: something is there that we cannot read
    return { kind: 'other', what: `something that cannot be read (${code ?? (err as Error).message})` };
  }
  return s.isFile() ? { kind: 'file', size: s.size } : { kind: 'other', what: describeStats(s) };
}

/** The refusal's wording, one for every caller. */
export function notRegular(what: string): string {
  return `not a regular file: ${what} stands where the file should be`;
}
