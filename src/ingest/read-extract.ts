import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { parse, type Options } from 'csv-parse';
import iconv from 'iconv-lite';
import { ExtractRejected } from '../errors.js';

/**
 * Opens one department's CSV as a stream of records: detects the encoding (UTF-8 with or
 * without BOM, else GB18030, which is a superset of GBK and GB2312), decodes it, and parses
 * RFC 4180 with the line each record starts on. Never holds the file in memory.
 */

export type ExtractEncoding = 'utf-8' | 'gb18030';

export interface ExtractRecord {
  /** 1-based line of the file where the record starts (the header is line 1) */
  line: number;
  fields: string[];
}

export interface OpenedExtract {
  encoding: ExtractEncoding;
  header: string[];
  records: AsyncIterable<ExtractRecord>;
  /** sha256 of the bytes read, complete once `records` is exhausted */
  sha256(): string;
  /** stops reading (idempotent): for callers that give up before the end */
  close(): void;
}

const SAMPLE_BYTES = 256 * 1024;

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

/** What went wrong in csv-parse's terms, in ours: its own messages quote field values (ID numbers). */
function quotingProblem(cause: unknown): string {
  const code = (cause as { code?: string }).code;
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field in the record starting on this line is never closed (a missing quote, or the file was cut short)';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a quoted field is followed by other characters instead of a comma or the end of the line';
    case 'INVALID_OPENING_QUOTE': // csv-parse spells this one without its prefix
    case 'CSV_INVALID_OPENING_QUOTE':
      return 'a quote inside a field that does not start with one (quotes in a field must be doubled, and the field quoted)';
    default:
      return code ? `the CSV parser stopped (${code})` : `the file could not be read (${(cause as Error).message ?? String(cause)})`;
  }
}

/** Line breaks in a quoted field, CRLF counted once. */
function lineBreaks(field: string): number {
  if (!field.includes('\n') && !field.includes('\r')) return 0;
  return field.match(/\r\n|\r|\n/g)!.length;
}

export async function openExtract(path: string, file: string, declared?: ExtractEncoding): Promise<OpenedExtract> {
  const sample = await readSample(path);
  const contradicted = contradiction(sample, declared);
  if (contradicted) throw new ExtractRejected({ file, line: 1 }, `${contradicted}; the file was refused whole`);
  const encoding = declared ?? encodingOf(sample);
  // Lines are counted here, not taken from csv-parse, which counts a CRLF inside a quoted field
  // as two lines: a record starts after the empty lines skipped before it and spans one line
  // plus the line breaks inside its quoted fields. Counted as records are parsed (on_record),
  // so that a parse error knows its line even when records before it were not consumed yet.
  let nextLine = 1;
  let emptyBefore = 0;
  const startOf = (emptyLines: number) => nextLine + (emptyLines - emptyBefore);
  const options: Options<ExtractRecord, string[]> = {
    bom: true,
    relax_column_count: true, // a short or long row is the row's fault, rejected alone, not the file's
    skip_empty_lines: true,
    // a quote inside an unquoted field (37°36'37.8"N) is a character: it cannot move a record
    // boundary, so the field is the row's problem, not the file's
    relax_quotes: true,
    // any line ending, line by line: csv-parse otherwise takes the first line's ending for the
    // whole file, and a CRLF header over LF rows (files appended to on another system) would
    // read as one record
    record_delimiter: ['\r\n', '\n', '\r'],
    on_record: (fields, context) => {
      const line = startOf(context.empty_lines);
      nextLine = line + 1 + fields.reduce((n, f) => n + lineBreaks(f), 0);
      emptyBefore = context.empty_lines;
      return { line, fields };
    },
  };
  // csv-parse's overloads type on_record's output only together with `columns`
  const parser = parse(options as unknown as Options);
  // the bytes are hashed as they are read, so what was loaded is what was verified
  const source = createReadStream(path);
  const hash = createHash('sha256');
  source.on('data', (chunk) => hash.update(chunk));
  // iconv strips a UTF-8 BOM; errors on either side end the parser's iteration with the error
  pipeline(source, iconv.decodeStream(encoding), parser, () => {});

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<ExtractRecord>;
  const next = async (): Promise<ExtractRecord | null> => {
    try {
      const item = await iterator.next();
      return item.done ? null : item.value;
    } catch (cause) {
      // the record being read when the parser gave up, where the fix is to be made
      const line = startOf((cause as { empty_lines?: number }).empty_lines ?? emptyBefore);
      // not kept as the cause: csv-parse's message quotes the field, which may be an ID number,
      // and the log prints causes
      throw new ExtractRejected({ file, line }, `not a readable CSV file: ${quotingProblem(cause)}; the file was refused whole`);
    }
  };

  const close = () => {
    parser.destroy();
    source.destroy();
  };
  const first = await next().catch((err: unknown) => {
    close();
    throw err;
  });
  if (!first) throw new ExtractRejected({ file, line: 1 }, 'the file is empty: no header row');
  async function* records(): AsyncGenerator<ExtractRecord> {
    for (let r = await next(); r; r = await next()) yield r;
  }
  let digest: string | undefined;
  return {
    encoding,
    header: first.fields,
    records: records(),
    sha256: () => (digest ??= hash.digest('hex')),
    close,
  };
}
