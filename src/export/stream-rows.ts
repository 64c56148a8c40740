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

/**
 * Waits until `stream` takes writes again, or until the pipe behind it has failed (`done`
 * rejects with that failure): a stream that the pipe destroyed (a full disk, a closed reader)
 * never emits 'drain', and waiting for it alone hangs the command with its transaction open.
 */
export async function drained(stream: Writable, done: Promise<unknown>): Promise<void> {
  if (stream.destroyed) {
    await done;
    return;
  }
  const stop = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: stop.signal }), done]);
  } finally {
    stop.abort();
  }
}

/**
 * Ends the entries' query when the file fails: a cursor left open keeps its connection busy, and
 * the rollback queued behind it would never run.
 */
async function closeEntries(entries: AsyncGenerator<unknown>): Promise<void> {
  await entries.return(undefined).catch(() => {});
}

/**
 * An ID-number cell of a CSV as spreadsheets keep it. Excel and LibreOffice read a bare
 * 420106197403123739 as a number and keep 15 significant digits: 420106197403124000, another
 * person's number. ="420106197403123739" is a formula whose result is that text, exact in Excel
 * and in LibreOffice (which evaluates CSV formulas by default; with that switched off the cell
 * shows the digits inside ="…", still whole). A leading tab or apostrophe would be kept as part
 * of the value, so a lookup or a paste would no longer match. Only a run of digits is wrapped:
 * nothing a sender typed can reach the formula, and any other text (a masked number, an X check
 * digit) is already text and goes through the formula neutraliser as every text cell does.
 */
export function idNumberCell(value: string): string {
  return /^\d+$/.test(value) ? `="${value}"` : value;
}

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
      if (!csv.write(record(next.value))) await drained(csv, done);
    }
  } catch (err) {
    csv.destroy(err as Error);
    await closeEntries(entries);
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
      if (!lines.write(`${JSON.stringify(object(next.value))}\n`)) await drained(lines, done);
    }
  } catch (err) {
    lines.destroy(err as Error);
    await closeEntries(entries);
    throw err;
  }
  lines.end();
  await done;
  return rows;
}
