import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
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

/** BOM first; otherwise a sample that decodes as strict UTF-8 is UTF-8, anything else GB18030. */
export async function detectEncoding(path: string): Promise<ExtractEncoding> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    const sample = buf.subarray(0, bytesRead);
    if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
    try {
      // stream: true tolerates a character cut in half at the end of the sample
      new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: bytesRead === SAMPLE_BYTES });
      return 'utf-8';
    } catch {
      return 'gb18030';
    }
  } finally {
    await fh.close();
  }
}

export async function openExtract(path: string, file: string, declared?: ExtractEncoding): Promise<OpenedExtract> {
  const encoding = declared ?? (await detectEncoding(path));
  const parser = parse({
    bom: true,
    relax_column_count: true, // a short or long row is the row's fault, rejected alone, not the file's
    skip_empty_lines: true,
    info: true,
  });
  // the bytes are hashed as they are read, so what was loaded is what was verified
  const source = createReadStream(path);
  const hash = createHash('sha256');
  source.on('data', (chunk) => hash.update(chunk));
  // iconv strips a UTF-8 BOM; errors on either side end the parser's iteration with the error
  pipeline(source, iconv.decodeStream(encoding), parser, () => {});

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number; empty_lines: number } }>;
  let lastLine = 0;
  let lastEmpty = 0;
  const next = async (): Promise<ExtractRecord | null> => {
    let item: IteratorResult<{ record: string[]; info: { lines: number; empty_lines: number } }>;
    try {
      item = await iterator.next();
    } catch (cause) {
      const line = cause instanceof CsvError ? (cause as CsvError & { lines?: number }).lines : undefined;
      throw new ExtractRejected(
        { file, line },
        `not a readable CSV file (${(cause as Error).message}); the file was refused whole`,
        { cause },
      );
    }
    if (item.done) return null;
    const { record, info } = item.value;
    const start = lastLine + 1 + (info.empty_lines - lastEmpty);
    lastLine = info.lines;
    lastEmpty = info.empty_lines;
    return { line: start, fields: record };
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
