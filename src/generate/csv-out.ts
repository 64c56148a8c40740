import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import iconv from 'iconv-lite';

export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'gb18030';

/** Bytes written as they are, whatever the file's encoding: how a garbled field is made. */
export class RawBytes {
  constructor(readonly bytes: Buffer) {}
}

export type CsvField = string | number | null | undefined | RawBytes;

/** lines are batched into chunks of about this many characters before they are encoded and written */
export const CSV_CHUNK = 64 * 1024;

/**
 * One extract being written: RFC 4180 lines batched into ~64 KiB chunks, encoded, hashed and
 * counted for the manifest as they go. `flush` waits for the stream to drain when it is full,
 * so a city of any size is written in flat memory.
 */
export class CsvOut {
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private text = '';
  private encoded: Buffer[] = [];
  /** characters and raw bytes waiting to be written */
  pending = 0;
  /** data rows, header excluded (what manifest.json counts) */
  rows = 0;
  bytes = 0;
  /** a write error (full disk, read-only folder), raised at the next flush */
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    readonly encoding: CsvEncoding,
    header: readonly string[],
    private readonly eol: '\r\n' | '\n' = '\r\n',
  ) {
    this.stream = createWriteStream(path, { highWaterMark: 256 * 1024 });
    this.stream.on('error', (err) => (this.failure ??= err));
    if (encoding === 'utf-8-bom') this.encoded.push(Buffer.from([0xef, 0xbb, 0xbf]));
    this.text = header.map(csvField).join(',') + eol;
  }

  row(fields: readonly CsvField[]): void {
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const v = fields[i];
      if (i > 0) line += ',';
      if (v instanceof RawBytes) {
        this.text += line;
        this.pending += line.length;
        this.encodeText();
        this.encoded.push(v.bytes);
        this.pending += v.bytes.length;
        line = '';
        continue;
      }
      line += csvField(v);
    }
    line += this.eol;
    this.text += line;
    this.pending += line.length;
    this.rows++;
  }

  private encodeText(): void {
    if (this.text === '') return;
    this.encoded.push(this.encoding === 'gb18030' ? iconv.encode(this.text, 'gb18030') : Buffer.from(this.text, 'utf8'));
    this.text = '';
  }

  /** hands the batched lines to the stream once there is a chunk's worth; resolves when it can take more */
  async flush(force = false): Promise<void> {
    if (this.failure) throw this.failure;
    if (!force && this.pending < CSV_CHUNK) return;
    this.encodeText();
    if (this.encoded.length === 0) return;
    const bytes = this.encoded.length === 1 ? this.encoded[0]! : Buffer.concat(this.encoded);
    this.encoded = [];
    this.pending = 0;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    if (!this.stream.write(bytes)) await once(this.stream, 'drain');
    if (this.failure) throw this.failure;
  }

  async close(): Promise<{ sha256: string; rows: number; bytes: number }> {
    await this.flush(true);
    this.stream.end();
    if (!this.stream.writableFinished) await once(this.stream, 'finish');
    if (this.failure) throw this.failure;
    return { sha256: this.hash.digest('hex'), rows: this.rows, bytes: this.bytes };
  }
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
