import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { ExtractRejected } from '../errors.js';
import { CsvRecords, QuoteNotClosed } from './csv-records.js';
import { openSheetRows, type SheetRow, type XlsxLimits } from './xlsx-records.js';

/**
 * Opens one department's extract as a stream of records, by its extension: an .xlsx as the
 * first worksheet of the workbook (xlsx-records.ts), anything else as CSV: detects the encoding
 * (UTF-8 with or without BOM, else GB18030, which is a superset of GBK and GB2312), decodes it,
 * and parses RFC 4180 with the line each record starts on. Never holds the file in memory.
 */

/** the text encodings a CSV extract may be in (and a manifest may declare) */
export type ExtractEncoding = 'utf-8' | 'gb18030';
export type ExtractFormat = 'csv' | 'xlsx';

export interface ExtractRecord {
  /** 1-based line of the file where the record starts (the header is line 1); a workbook's row number */
  line: number;
  fields: string[];
  /**
   * Workbooks only: the fields whose cell is stored as a number (not a date). Excel keeps 15
   * significant digits of a number, so such a cell's text may not be what was typed.
   */
  numericCells?: number[];
}

export interface OpenedExtract {
  format: ExtractFormat;
  /** what the text was read as, for messages and the load's record: a workbook's XML declares its own ('xlsx') */
  encoding: ExtractEncoding | 'xlsx';
  header: string[];
  /** the records after the header, one by one; or, for the hot loop, as they come, a batch per chunk read (use one or the other) */
  records: AsyncIterable<ExtractRecord>;
  batches: AsyncIterable<ExtractRecord[]>;
  /** sha256 of the file's bytes, complete once `records` is exhausted */
  sha256(): string;
  /** stops reading (idempotent): for callers that give up before the end */
  close(): void;
}

const SAMPLE_BYTES = 256 * 1024;
/** read size: a few hundred records a chunk, each decoded and split in one go */
const READ_BYTES = 256 * 1024;

export function normaliseEncodingName(name: string): ExtractEncoding | null {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === 'utf8' || n === 'utf8bom' || n === 'utf8sig') return 'utf-8';
  if (n === 'gb18030' || n === 'gbk' || n === 'gb2312' || n === 'cp936') return 'gb18030';
  return null;
}

/** The first bytes of the file: enough to see a BOM and to tell UTF-8 from GB18030. */
async function readSample(path: string): Promise<{ bytes: Buffer; whole: boolean }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    return { bytes: buf.subarray(0, bytesRead), whole: bytesRead < SAMPLE_BYTES };
  } finally {
    await fh.close();
  }
}

const hasUtf8Bom = (b: Buffer) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
const hasUtf16Bom = (b: Buffer) => (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);

/** The sample as strict UTF-8, or null when it is not UTF-8. */
function strictUtf8(sample: { bytes: Buffer; whole: boolean }): string | null {
  try {
    // stream: true tolerates a character cut in half at the end of the sample
    return new TextDecoder('utf-8', { fatal: true }).decode(sample.bytes, { stream: !sample.whole });
  } catch {
    return null;
  }
}

// GB18030 text read as UTF-8 is mostly malformed: a Chinese character forms a well-formed UTF-8
// sequence only by accident, about one in eight. UTF-8 with a stray byte is the other way round.
const WELL_FORMED_PER_MALFORMED = 10;

function encodingOf(sample: { bytes: Buffer; whole: boolean }): ExtractEncoding {
  if (hasUtf8Bom(sample.bytes)) return 'utf-8';
  if (strictUtf8(sample) !== null) return 'utf-8';
  // one stray byte must not turn a UTF-8 roster into GB18030 mojibake: its bad rows are rejected
  const text = new TextDecoder('utf-8').decode(sample.bytes, { stream: !sample.whole });
  const malformed = text.match(/\uFFFD/g)?.length ?? 0;
  const wellFormed = (text.match(/[\u0080-\uffff]/g)?.length ?? 0) - malformed;
  return wellFormed >= WELL_FORMED_PER_MALFORMED * malformed ? 'utf-8' : 'gb18030';
}

/**
 * BOM first; otherwise a sample that decodes as UTF-8 (strictly, or with at most one malformed
 * sequence per ten well-formed characters) is UTF-8, anything else GB18030.
 */
export async function detectEncoding(path: string): Promise<ExtractEncoding> {
  return encodingOf(await readSample(path));
}

// GB18030 text passes as strict UTF-8 only by accident, a few characters at most (about one
// Chinese character in eight has bytes that happen to form UTF-8); this many cannot be chance
const UTF8_EVIDENCE = 8;

/**
 * A declared or sniffed encoding the bytes contradict: such a file would load as mojibake, so
 * it is refused whole rather than read in the wrong encoding.
 */
function contradiction(sample: { bytes: Buffer; whole: boolean }, declared: ExtractEncoding | undefined): string | null {
  const b = sample.bytes;
  if (hasUtf16Bom(b)) return 'the file is UTF-16 (it starts with a UTF-16 byte order mark); the contract allows UTF-8 or GB18030';
  if (declared !== 'gb18030') return null;
  if (hasUtf8Bom(b)) return 'manifest.json declares GB18030 but the file starts with a UTF-8 byte order mark; correct the manifest';
  const text = strictUtf8(sample);
  const nonAscii = text?.match(/[\u0080-\uffff]/g)?.length ?? 0;
  if (nonAscii >= UTF8_EVIDENCE) {
    return 'manifest.json declares GB18030 but the file is UTF-8 text (it would load as mojibake); correct the manifest';
  }
  return null;
}

/**
 * The platform's decoder (native, several times faster than a JavaScript one); iconv-lite's
 * where Node was built without full ICU and knows no GB18030 (official builds have it).
 */
function decoderFor(encoding: ExtractEncoding): { decode(chunk?: Buffer, opts?: { stream?: boolean }): string } {
  try {
    return new TextDecoder(encoding);
  } catch {
    const iconvDecoder = iconv.getDecoder(encoding);
    return { decode: (chunk) => (chunk ? iconvDecoder.write(chunk) : (iconvDecoder.end() ?? '')) };
  }
}

export async function openExtract(path: string, file: string, declared?: ExtractEncoding): Promise<OpenedExtract> {
  // a declared encoding means nothing to a workbook: its parts are XML that says its own
  if (isWorkbook(path)) return openWorkbookExtract(path, file);
  const sample = await readSample(path);
  const contradicted = contradiction(sample, declared);
  if (contradicted) throw new ExtractRejected({ file, line: 1 }, `${contradicted}; the file was refused whole`);
  const encoding = declared ?? encodingOf(sample);
  // the bytes are hashed as they are read, so what was loaded is what was verified
  const source = createReadStream(path, { highWaterMark: READ_BYTES });
  const hash = createHash('sha256');
  // not fatal: bytes that do not decode become U+FFFD, and the rows holding them are rejected
  // alone (ingest-source.ts); a UTF-8 BOM is dropped by the decoder
  const decoder = decoderFor(encoding);
  const splitter = new CsvRecords();

  async function* decoded(): AsyncGenerator<ExtractRecord[]> {
    try {
      for await (const chunk of source) {
        hash.update(chunk as Buffer);
        const records = splitter.push(decoder.decode(chunk as Buffer, { stream: true }));
        if (records.length > 0) yield records;
      }
      const last = splitter.push(decoder.decode(), true);
      if (last.length > 0) yield last;
    } catch (cause) {
      if (cause instanceof QuoteNotClosed) {
        throw new ExtractRejected(
          { file, line: cause.line },
          'not a readable CSV file: a quoted field in the record starting on this line is never closed (a missing quote, or the file was cut short); the file was refused whole',
        );
      }
      if (cause instanceof ExtractRejected) throw cause;
      throw new ExtractRejected({ file }, `the file could not be read (${(cause as Error).message ?? String(cause)}); the file was refused whole`);
    }
  }

  const close = () => {
    source.destroy();
  };
  const stream = decoded();
  let first: ExtractRecord[] = [];
  try {
    for (;;) {
      const next = await stream.next();
      if (next.done) break;
      first = next.value;
      if (first.length > 0) break;
    }
  } catch (err) {
    close();
    throw err;
  }
  if (first.length === 0) {
    close();
    throw new ExtractRejected({ file, line: 1 }, 'the file is empty: no header row');
  }
  async function* batches(): AsyncGenerator<ExtractRecord[]> {
    if (first.length > 1) yield first.slice(1);
    for (;;) {
      const next = await stream.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const all = batches();
  async function* records(): AsyncGenerator<ExtractRecord> {
    for await (const batch of all) yield* batch;
  }
  let digest: string | undefined;
  return {
    format: 'csv',
    encoding,
    header: first[0]!.fields,
    batches: all,
    records: records(),
    sha256: () => (digest ??= hash.digest('hex')),
    close,
  };
}

export const isWorkbook = (path: string): boolean => /\.xlsx$/i.test(path);

/** A row with no text in any cell: formatting Excel keeps, not a record (as a CSV's empty line is not). */
const blankRow = (r: SheetRow) => r.fields.every((f) => f.trim() === '');

/**
 * The first worksheet as an extract: the first row with any text is the header (rows above it
 * are blank), blank rows are skipped, and each record is as wide as its row's last cell with
 * text, and never narrower than the header, so that a value beside the table makes its row
 * one field too many, as a stray comma does in a CSV.
 */
export async function openWorkbookExtract(path: string, file: string, limits?: XlsxLimits): Promise<OpenedExtract> {
  const sheet = await openSheetRows(path, file, limits);
  const close = () => void sheet.return(undefined);
  let header: string[] | undefined;
  let rest: SheetRow[] = [];
  try {
    while (header === undefined) {
      const next = await sheet.next();
      if (next.done) break;
      const at = next.value.findIndex((r) => !blankRow(r));
      if (at < 0) continue;
      header = next.value[at]!.fields;
      rest = next.value.slice(at + 1);
    }
  } catch (err) {
    close();
    throw err;
  }
  if (header === undefined) {
    close();
    throw new ExtractRejected({ file, line: 1 }, "the workbook's first worksheet is empty: no header row");
  }
  while (header.length > 0 && header.at(-1)!.trim() === '') header.pop();
  const width = header.length;
  const record = (r: SheetRow): ExtractRecord => {
    const fields = r.fields;
    while (fields.length > width && fields.at(-1)!.trim() === '') fields.pop();
    while (fields.length < width) fields.push('');
    return r.numericCells.length > 0 ? { line: r.line, fields, numericCells: r.numericCells } : { line: r.line, fields };
  };
  const hash = createHash('sha256');
  async function* batches(): AsyncGenerator<ExtractRecord[]> {
    let batch = rest;
    try {
      for (;;) {
        const records = batch.filter((r) => !blankRow(r)).map(record);
        if (records.length > 0) yield records;
        const next = await sheet.next();
        if (next.done) break;
        batch = next.value;
      }
    } finally {
      // a reader that stops early (a refused period, a failed COPY) closes the part being inflated
      await sheet.return(undefined);
    }
    // the parts were read where the zip directory says, not in order: the hash is of the whole
    // file read once the sheet is, so a file changed since the inbox hashed it is still caught
    for await (const chunk of createReadStream(path, { highWaterMark: READ_BYTES })) hash.update(chunk as Buffer);
  }
  const all = batches();
  async function* records(): AsyncGenerator<ExtractRecord> {
    for await (const batch of all) yield* batch;
  }
  let digest: string | undefined;
  return {
    format: 'xlsx',
    encoding: 'xlsx',
    header,
    batches: all,
    records: records(),
    sha256: () => (digest ??= hash.digest('hex')),
    close,
  };
}
