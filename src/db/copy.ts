import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | null | undefined;

/** One row in PostgreSQL's COPY text format: tab-separated, \N for null, backslash escapes. */
export function copyLine(values: readonly CopyValue[]): string {
  return (
    values
      .map((v) => {
        if (v === null || v === undefined) return '\\N';
        if (typeof v !== 'string') return String(v);
        return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
      })
      .join('\t') + '\n'
  );
}

/** Streams rows into a table with COPY; backpressure comes from the pipeline. */
export async function copyRows(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: AsyncIterable<readonly CopyValue[]> | Iterable<readonly CopyValue[]>,
): Promise<void> {
  const target = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
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
  await pipeline(Readable.from(chunks()), target);
}

/** Streams an already written COPY-format file (or any text stream) into a table. */
export async function copyStream(client: pg.PoolClient, table: string, columns: readonly string[], source: Readable): Promise<void> {
  await pipeline(source, client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
}
