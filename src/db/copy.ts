import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | undefined;

const SPECIAL = /[\\\t\n\r]/;
const escape = (c: string) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r');

/** One row in PostgreSQL's COPY text format: tab-separated, \N for null, backslash escapes. */
export function copyLine(values: readonly CopyValue[]): string {
  // a loop and a test before any replace: this runs for every row of every extract
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) line += '\t';
    if (v === null || v === undefined) line += '\\N';
    else if (typeof v !== 'string') line += String(v);
    else line += SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, escape) : v;
  }
  return line + '\n';
}

/** Streams rows into a table with COPY; backpressure comes from the pipeline. */
export async function copyRows(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: AsyncIterable<readonly CopyValue[]> | Iterable<readonly CopyValue[]>,
): Promise<void> {
  // ~64 KiB per COPY message: one socket write per row costs more than the rows themselves
  async function* chunks() {
    let chunk = '';
    for await (const r of rows) {
      chunk += copyLine(r);
      if (chunk.length >= 65536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await copyText(client, table, columns, chunks());
}

/** Streams COPY text, already in chunks of many rows, into a table; backpressure from the pipeline. */
export async function copyText(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string>,
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  await copyInto(client, table, columns, Readable.from({ [Symbol.asyncIterator]: () => iterator }), async () => {
    await iterator.return?.();
  });
}

/** Streams an already written COPY-format file (or any text stream) into a table. */
export async function copyStream(client: pg.PoolClient, table: string, columns: readonly string[], source: Readable): Promise<void> {
  await copyInto(client, table, columns, source, async () => {
    source.destroy();
  });
}

const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * The COPY itself. When the server ends it (a full disk, a lost backend), two things follow at
 * once: the pipe breaks, and the code producing the rows is still inside a batch, writing its
 * side files. So the producer is stopped and waited for before the error leaves (a caller then
 * closes its side files with nothing still writing to them: that race gave "write after end"
 * instead of the server's reason), and the server's own error, with its SQLSTATE, is the one
 * reported rather than the broken pipe it caused.
 */
async function copyInto(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  source: Readable,
  stopSource: () => Promise<void>,
): Promise<void> {
  const copy = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
  let serverError: Error | undefined;
  copy.on('error', (err: Error) => {
    // not the server's reason but its echo of ours: a source that failed (a refused extract)
    // aborts the COPY with its message, and the server answers "COPY from stdin failed: …".
    // Node 24 delivers that answer before the pipeline settles, Node 20 after.
    const echo = sqlState(err) === '57014' && err.message.startsWith('COPY from stdin failed');
    if (sqlState(err) !== undefined && !echo) serverError ??= err;
  });
  try {
    await pipeline(source, copy);
  } catch (err) {
    await stopSource().catch(() => {});
    throw serverError !== undefined && sqlState(err) === undefined ? serverError : err;
  }
}
