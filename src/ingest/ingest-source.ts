import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { copyLine, copyStream, copyText, type CopyValue } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import { crashPoint } from '../crash-point.js';
import { ExtractRejected, ManifestMismatch } from '../errors.js';
import { periodEnd } from '../period.js';
import { makeScratch } from '../scratch.js';
import { compileFastRow } from './fast-row.js';
import { openExtract, type ExtractEncoding } from './read-extract.js';
import { quote } from './values.js';
import type { ParsedIdNumber } from '../identity/id-number.js';
import { columnsWith, headerKey, type ColumnSpec, type Department, type DepartmentSettings } from './department.js';

export interface SourceCounts {
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
}

export interface IngestOptions {
  period: string;
  path: string;
  /** how the file is named in messages */
  file: string;
  sha256: string;
  encoding?: ExtractEncoding;
  /** data rows the manifest promises */
  expectedRows?: number;
  /** the last date events may carry (default: the period's last day); a daily delta passes its day */
  asOf?: Date;
  /** SAFETYNET_HOME: refused rows spill to its tmp/ folder while the valid ones are copied */
  home?: string;
  /** the bureau's header aliases and value maps for this department (config `departments.<id>`) */
  settings?: DepartmentSettings;
  log: Logger;
}

export { headerKey };

export interface HeaderMap {
  /** field position → contract column name */
  positions: { index: number; column: ColumnSpec; header: string }[];
  unknown: string[];
}

/** headers a refusal lists: a data row taken for a header can be very wide */
const HEADERS_SHOWN = 30;

/**
 * Positions the file's header on the columns. `department` names the config section where a
 * bureau adds its own header names, for the message of a file whose header matches too little.
 */
export function mapHeader(header: string[], columns: ColumnSpec[], file: string, department?: string): HeaderMap {
  const byKey = new Map<string, ColumnSpec>();
  for (const c of columns) for (const h of [c.name, ...c.headers]) byKey.set(headerKey(h), c);
  const positions: HeaderMap['positions'] = [];
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  header.forEach((h, index) => {
    const column = byKey.get(headerKey(h));
    if (!column) {
      if (headerKey(h) !== '') unknown.push(h.trim());
      return;
    }
    const earlier = seen.get(column.name);
    if (earlier !== undefined) {
      throw new ExtractRejected({ file, line: 1, column: h.trim() }, `columns "${earlier}" and "${h.trim()}" are both ${column.name}; the file was refused whole`);
    }
    seen.set(column.name, h.trim());
    positions.push({ index, column, header: h.trim() });
  });
  const missing = columns.filter((c) => c.required && !seen.has(c.name));
  if (missing.length > 0) {
    // what was seen and what would have matched: enough to tell a renamed column from a wrong file.
    // A line 1 that names no column at all is most likely a data row (the header left out): its
    // cells are a person's, and a refusal is logged and kept in the run ledger, so they are not shown
    const cells = header.map((h) => h.trim()).filter((h) => h !== '');
    const saw = cells.slice(0, HEADERS_SHOWN).map(quote);
    if (cells.length > saw.length) saw.push(`and ${cells.length - saw.length} more`);
    const seenHeaders = positions.length === 0
      ? 'line 1 names none of the columns (is the header row missing?)'
      : `the header has ${saw.join(', ')}`;
    const accepted = missing.map((c) => `${c.name} as ${[c.name, ...c.headers].map((h) => `"${h}"`).join(', ')}`).join('; ');
    const where = department ? ` (a bureau adds its own names in config: departments.${department}.columns.<column>.aliases)` : '';
    throw new ExtractRejected(
      { file, line: 1 },
      `missing required column(s) ${missing.map((c) => `${c.name} (${c.headers[0]})`).join(', ')}; ` +
        `${seenHeaders}; accepted: ${accepted}${where}; the file was refused whole`,
    );
  }
  return { positions, unknown };
}

/** COPY text sent to PostgreSQL at a time: big enough that the socket writes cost nothing */
const COPY_CHUNK = 256 * 1024;

/** fields past the header's width kept in a refused row's `raw` */
const EXTRA_FIELDS_KEPT = 20;

/**
 * A refused row's problems in the file's own words: the columns as its header names them, and
 * one "column: message" per problem. Every validated import words its rejects this way.
 */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[], header: HeaderMap): { columns: string | null; reason: string } {
  const problems = issues.map((i) => {
    const col = String(i.path[0] ?? '');
    return { column: header.positions.find((p) => p.column.name === col)?.header ?? col, message: i.message };
  });
  return { columns: problems.map((p) => p.column).join(', ') || null, reason: problems.map((p) => `${p.column}: ${p.message}`).join('; ') };
}

/** The key a value map matches a raw field on: as headers are matched (NFKC, trimmed, case-folded). */
const codeKey = headerKey;

/**
 * The header's value maps as one function over a record's fields, null when no column has one:
 * a mapped field is replaced by the value its code stands for, any other is left as sent.
 */
export function valueMaps(header: HeaderMap): ((fields: readonly string[]) => string[]) | null {
  const maps = header.positions
    .filter((p) => p.column.values && Object.keys(p.column.values).length > 0)
    .map((p) => ({ index: p.index, codes: new Map(Object.entries(p.column.values!).map(([code, value]) => [codeKey(code), value])) }));
  if (maps.length === 0) return null;
  return (fields) => {
    const out = fields.slice();
    for (const { index, codes } of maps) {
      const value = codes.get(codeKey(out[index] ?? ''));
      if (value !== undefined) out[index] = value;
    }
    return out;
  };
}

const NUMERIC_ID_REASON =
  "ID number stored as a number in the workbook: Excel keeps only 15 significant digits, so it may be another person's number; store the column as text";

const REJECT_COLUMNS = ['period', 'source', 'line', 'column_name', 'reason', 'raw'] as const;
const ISSUE_COLUMNS = ['period', 'source', 'line', 'kind', 'detail'] as const;

/**
 * Streams one extract into its period table: decode, parse, validate each row with the
 * source's zod schema, COPY the valid rows into a staging table and keep every refused row with
 * its line, column and reason. Runs inside the period's transaction.
 */
export async function ingestSource(tx: Tx, def: Department, opts: IngestOptions): Promise<SourceCounts> {
  const { period, file } = opts;
  const columns = columnsWith(def, opts.settings);
  const schema = def.rowSchema(opts.asOf ?? periodEnd(period));
  const stage = `stage_${def.table}`;
  await sql`create temp table ${sql.table(stage)} (like ${sql.table(def.table)}) on commit drop`.execute(tx.db);

  const extract = await openExtract(opts.path, file, opts.encoding);
  const encodingSaid = opts.encoding ? `${extract.encoding}, as manifest.json declares` : `${extract.encoding}, as detected from the start of the file`;
  let header: HeaderMap;
  try {
    // a header is plain text in any encoding the contract allows: one that does not decode (or
    // holds NULs, as UTF-16 does) says the whole file is in another encoding
    if (extract.header.some((h) => h.includes('\uFFFD') || h.includes('\u0000'))) {
      throw new ExtractRejected(
        { file, line: 1 },
        `the header row does not read as ${encodingSaid}: the file is in another encoding; the file was refused whole`,
      );
    }
    header = mapHeader(extract.header, columns, file, def.id);
  } catch (err) {
    extract.close();
    throw err;
  }

  const scratch = await makeScratch(opts.home);
  // refused rows and warnings go to files while the COPY of valid rows holds the connection
  const rejects = createWriteStream(join(scratch, 'rejects'), { mode: 0o600 });
  const issues = createWriteStream(join(scratch, 'issues'), { mode: 0o600 });
  const write = (stream: NodeJS.WritableStream, values: CopyValue[]) => stream.write(copyLine(values));
  if (header.unknown.length > 0) {
    // a header cell is only a name: a runaway one (a 10 MB line) is shown cut short, and a data
    // row taken for a header does not put its ID number in the report
    const names = header.unknown.slice(0, 50).map(quote);
    if (header.unknown.length > names.length) names.push(`and ${header.unknown.length - names.length} more`);
    write(issues, [period, def.id, 1, 'unknown_columns', `columns ignored: ${names.join(', ')}`]);
    opts.log.warn({ file, columns: names }, 'unknown columns ignored');
  }

  let read = 0;
  let refused = 0;
  let undecodable = 0;
  // one report line per unknown region code, not per row: a retired code can cover thousands
  const unknownRegions = new Map<string, { rows: number; firstLine: number }>();
  const width = extract.header.length;
  // a person watching a city-sized file sees it move: a line every few seconds
  let lastProgress = performance.now();
  const fastRow = compileFastRow(schema, header.positions);
  const coded = valueMaps(header);
  const idField = header.positions.find((p) => p.column.name === def.idColumn);
  const reject = (line: number, fields: string[], column: string | null, reason: string) => {
    refused++;
    // the row as sent, keyed by its own headers, kept for whoever fixes it at the source
    const raw: Record<string, string> = {};
    fields.slice(0, width + EXTRA_FIELDS_KEPT).forEach((f, i) => {
      raw[extract.header[i]?.trim() || `column ${i + 1}`] = f.replaceAll('\u0000', '');
    });
    // a runaway line (millions of commas) is kept as evidence, not as millions of keys
    if (fields.length > width + EXTRA_FIELDS_KEPT) raw['…'] = `${fields.length - width - EXTRA_FIELDS_KEPT} more fields not kept`;
    write(rejects, [period, def.id, line, column, reason, JSON.stringify(raw)]);
  };
  /** The valid rows as COPY text, ~256 KiB a chunk. The hot loop: no zod unless a row needs it. */
  async function* validRows(): AsyncGenerator<string> {
    let chunk = '';
    for await (const batch of extract.batches) {
      for (let b = 0; b < batch.length; b++) {
        const { line, fields, numericCells } = batch[b]!;
        read++;
        if (fields.length !== width) {
          reject(line, fields, null, `row has ${fields.length} fields, the header has ${width}`);
          continue;
        }
        // a workbook's number has lost what Excel could not keep: never rounded into a person
        if (numericCells !== undefined && idField !== undefined && numericCells.includes(idField.index)) {
          reject(line, fields, idField.header, `${idField.header}: ${NUMERIC_ID_REASON}`);
          continue;
        }
        // U+FFFD: bytes the encoding could not decode; NUL: never text, and PostgreSQL refuses it
        let badText = -1;
        for (let f = 0; f < width; f++) {
          if (fields[f]!.includes('\uFFFD') || fields[f]!.includes('\u0000')) {
            badText = f;
            break;
          }
        }
        if (badText >= 0) {
          const undecoded = fields[badText]!.includes('\uFFFD');
          if (fields.some((f) => f.includes('\uFFFD'))) undecodable++;
          reject(
            line,
            fields,
            extract.header[badText]!.trim(),
            undecoded ? `characters that are not valid ${extract.encoding}: the row is garbled` : 'a NUL character, which is never text: the row is garbled',
          );
          continue;
        }
        // the department's own codes, read as the values they stand for; a refused row keeps what was sent
        const values = coded ? coded(fields) : fields;
        let row = fastRow(values);
        if (row === null) {
          // zod has the last word: it accepts what the fast path would not vouch for, or says why not
          const input: Record<string, string> = {};
          for (const p of header.positions) input[p.column.name] = values[p.index]!;
          const parsed = schema.safeParse(input);
          if (!parsed.success) {
            const problem = describeIssues(parsed.error.issues, header);
            reject(line, fields, problem.columns, problem.reason);
            continue;
          }
          row = parsed.data;
        }
        const id = row[def.idColumn] as ParsedIdNumber;
        if (id.warning === 'region_unknown') {
          const seen = unknownRegions.get(id.regionCode);
          if (seen) seen.rows++;
          else unknownRegions.set(id.regionCode, { rows: 1, firstLine: line });
        }
        chunk += copyLine(def.toColumns(row, { period, line }));
      }
      if (chunk.length >= COPY_CHUNK) {
        yield chunk;
        chunk = '';
      }
      if (performance.now() - lastProgress > 5000) {
        lastProgress = performance.now();
        opts.log.info({ file, rows_read: read, rows_rejected: refused }, 'reading');
      }
    }
    if (chunk) yield chunk;
  }

  try {
    try {
      const copyStarted = performance.now();
      await copyText(tx.client, stage, def.tableColumns, validRows());
      opts.log.debug({ file, rows_read: read, seconds: +((performance.now() - copyStarted) / 1000).toFixed(2) }, 'read, checked and copied');
      for (const [code, { rows, firstLine }] of unknownRegions) {
        write(issues, [
          period, def.id, firstLine, 'region_unknown',
          `ID region ${code} is not a current GB/T 2260 code: ${rows} row${rows === 1 ? '' : 's'}, first on line ${firstLine} (kept: retired codes stay valid)`,
        ]);
      }
    } finally {
      rejects.end();
      issues.end();
      await Promise.all([finished(rejects), finished(issues)]);
    }
    crashPoint('mid-ingest');
    if (extract.sha256() !== opts.sha256) {
      throw new ExtractRejected({ file }, 'the file changed between its check and its loading (still being delivered?); the period was refused');
    }
    // a few garbled rows are those rows' fault; most of them, the file's: it is in another
    // encoding than the one it is read in, and what did decode cannot be trusted either
    if (undecodable > 0 && undecodable * 2 > read) {
      throw new ExtractRejected(
        { file },
        `${undecodable} of ${read} data rows do not read as ${encodingSaid}: the file is in another encoding; the file was refused whole`,
      );
    }
    if (opts.expectedRows !== undefined && opts.expectedRows !== read) {
      throw new ManifestMismatch(file, `manifest says ${opts.expectedRows} data rows, the file has ${read}`);
    }
    await copyStream(tx.client, 'rejected_row', REJECT_COLUMNS, createReadStream(join(scratch, 'rejects')));
    await copyStream(tx.client, 'quality_issue', ISSUE_COLUMNS, createReadStream(join(scratch, 'issues')));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const finalizeStarted = performance.now();
  const refusedLater = await def.finalize(tx, period, stage);
  opts.log.debug({ file, seconds: +((performance.now() - finalizeStarted) / 1000).toFixed(2) }, 'moved from staging');
  const counts: SourceCounts = {
    rows_read: read,
    rows_loaded: read - refused - refusedLater,
    rows_rejected: refused + refusedLater,
  };
  await tx.db
    .insertInto('source_load')
    .values({ period, source: def.id, file, sha256: opts.sha256, encoding: extract.encoding, ...counts })
    .execute();
  return counts;
}
