import { open, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { OutputNotWritten, UsageError } from '../errors.js';

/**
 * Writes a file through `write`, beside its target and renamed into place when complete, so a
 * reader never sees half a list and a failure leaves the previous file as it was.
 */
export async function writeFileAtomically<T>(file: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const partial = `${file}.partial`;
  let handle;
  try {
    handle = await open(partial, 'w');
  } catch (cause) {
    throw new UsageError(`cannot write ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    const result = await write(handle.createWriteStream());
    await rename(partial, file);
    return result;
  } catch (err) {
    await rm(partial, { force: true });
    // the machine's fault, not the data's: say which file and what to do, not a stack trace
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EIO') {
      throw new OutputNotWritten(file, (err as Error).message, { cause: err });
    }
    throw err;
  } finally {
    await handle.close().catch(() => {});
  }
}
