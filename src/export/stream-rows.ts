import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';

/**
 * The two streamed text formats every list uses, with backpressure. The first entry is awaited
 * before any byte is written, so a list that cannot be read (a period not run, a bad filter)
 * fails with its own error and leaves no header-only file; a failing query's error is the one
 * reported, never the pipe's.
 */

/** CSV, UTF-8 with BOM (Excel reads Chinese), CRLF: a header row, then one record per entry. */
export async function streamCsv<T>(
  entries: AsyncGenerator<T>,
  header: string[],
  record: (entry: T) => unknown[],
  out: Writable,
): Promise<number> {
  let next = await entries.next();
  const csv = stringify({ bom: true, record_delimiter: 'windows' });
  const done = pipeline(csv, out);
  done.catch(() => {}); // awaited below
  let rows = 0;
  try {
    csv.write(header);
    for (; !next.done; next = await entries.next()) {
      rows++;
      if (!csv.write(record(next.value))) await once(csv, 'drain');
    }
  } catch (err) {
    csv.destroy(err as Error);
    throw err;
  }
  csv.end();
  await done;
  return rows;
}

/** JSON Lines: one object per entry. */
export async function streamJsonLines<T>(entries: AsyncGenerator<T>, object: (entry: T) => unknown, out: Writable): Promise<number> {
  let next = await entries.next();
  const lines = new PassThrough();
  const done = pipeline(lines, out);
  done.catch(() => {}); // awaited below
  let rows = 0;
  try {
    for (; !next.done; next = await entries.next()) {
      rows++;
      if (!lines.write(`${JSON.stringify(object(next.value))}\n`)) await once(lines, 'drain');
    }
  } catch (err) {
    lines.destroy(err as Error);
    throw err;
  }
  lines.end();
  await done;
  return rows;
}
