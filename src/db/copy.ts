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
  await pipeline(Readable.from(chunks), client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
}

/** Streams an already written COPY-format file (or any text stream) into a table. */
export async function copyStream(client: pg.PoolClient, table: string, columns: readonly string[], source: Readable): Promise<void> {
  await pipeline(source, client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
}
