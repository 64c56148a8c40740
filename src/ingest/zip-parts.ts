import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ExtractRejected } from '../errors.js';

/**
 * The parts of a zip (an XLSX workbook), read straight from the file through its central
 * directory: each part is inflated as a stream, parsed as XML as it comes, and stopped as soon
 * as it inflates past what the zip declared or the caps allow. Nothing is written to disk and
 * nothing a hostile file could make large is trusted.
 */

export interface ZipLimits {
  /** bytes inflated from all the parts read */
  maxInflatedBytes: number;
  /** inflated bytes per compressed byte of one part, above `ratioFrom` inflated bytes: a zip bomb's signature */
  maxRatio: number;
  ratioFrom: number;
  /** characters between two XML tags: a cell holds at most 32,767, a runaway text node would fill the heap */
  maxTextRun: number;
  /** parts in the zip (default 10,000: a workbook has a dozen, a few more per sheet) */
  maxEntries?: number;
  /** what the file is, in the refusals' words: "over the 1 GiB <holder> may hold" (default "an extract") */
  holder?: string;
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Makes the error a refused file throws: the caller words where and what to do. */
export type Refuse = (problem: string, loc?: { line?: number; column?: string }) => ExtractRejected;

export interface SaxHandlers {
  open(name: string, tag: SaxesTagPlain): void;
  close(name: string): void;
  text(text: string): void;
}

// an XLSX has a dozen parts, a few per extra sheet; thousands are a crafted file
const MAX_ZIP_ENTRIES = 10_000;
const DEFAULT_HOLDER = 'an extract';
// what an Excel workbook encrypted with a password is (and an Excel 97-2003 .xls): an OLE compound file
const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export const MiB = (n: number): string => `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;

/** Some writers prefix SpreadsheetML elements (`<x:row>`): the local name is what counts. */
export const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** The entries of a zip's central directory; what cannot be a workbook is refused here. */
async function readDirectory(path: string, refuse: Refuse, maxEntries: number): Promise<Map<string, ZipEntry>> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    if (head.equals(OLE_SIGNATURE)) {
      throw refuse('the workbook is encrypted with a password (or is an Excel 97-2003 .xls renamed .xlsx): save it as an .xlsx workbook without a password');
    }
    // the end-of-directory record is the last 22 bytes, plus a comment of up to 64 KiB
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw refuse('not an XLSX workbook (no zip directory: damaged, cut short, or another format renamed .xlsx)');
    const count = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) throw refuse('a ZIP64 workbook (over 4 GB or 65,535 parts): more than a sheet Excel can hold; send it as CSV');
    if (count > maxEntries) throw refuse(`the workbook has ${count} parts, a workbook of a few sheets a few dozen`);
    if (dirOffset + dirSize > size) throw refuse('the zip directory points past the end of the file (damaged or cut short)');
    const dir = Buffer.alloc(dirSize);
    await fh.read(dir, 0, dirSize, dirOffset);
    const entries = new Map<string, ZipEntry>();
    for (let p = 0, n = 0; n < count; n++) {
      if (p + 46 > dirSize || dir.readUInt32LE(p) !== 0x02014b50) throw refuse('the zip directory is damaged');
      const nameLength = dir.readUInt16LE(p + 28);
      const entry: ZipEntry = {
        flags: dir.readUInt16LE(p + 8),
        method: dir.readUInt16LE(p + 10),
        compressedSize: dir.readUInt32LE(p + 20),
        size: dir.readUInt32LE(p + 24),
        name: dir.toString('utf8', p + 46, p + 46 + nameLength),
        localOffset: dir.readUInt32LE(p + 42),
      };
      // part names are case-insensitive (OPC); some writers store them with a leading slash
      entries.set(entry.name.replace(/^\//, '').toLowerCase(), entry);
      p += 46 + nameLength + dir.readUInt16LE(p + 30) + dir.readUInt16LE(p + 32);
    }
    return entries;
  } finally {
    await fh.close();
  }
}

export class ZipParts {
  private inflated = 0;
  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, ZipEntry>,
    readonly limits: ZipLimits,
    readonly refuse: Refuse,
  ) {}

  static async open(path: string, limits: ZipLimits, refuse: Refuse): Promise<ZipParts> {
    return new ZipParts(path, await readDirectory(path, refuse, limits.maxEntries ?? MAX_ZIP_ENTRIES), limits, refuse);
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.get(name.replace(/^\//, '').toLowerCase());
  }

  private get holder(): string {
    return this.limits.holder ?? DEFAULT_HOLDER;
  }

  /** Checks what the zip declares for the parts to be read before inflating any of them. */
  checkDeclared(parts: (ZipEntry | undefined)[]): void {
    const total = parts.reduce((n, e) => n + (e?.size ?? 0), 0);
    if (total > this.limits.maxInflatedBytes) {
      throw this.refuse(`the workbook inflates to ${MiB(total)}, over the ${MiB(this.limits.maxInflatedBytes)} ${this.holder} may hold (a zip bomb, or send it as CSV)`);
    }
    for (const e of parts) if (e) this.checkRatio(e, e.size);
  }

  private checkRatio(entry: ZipEntry, inflated: number): void {
    if (inflated > this.limits.ratioFrom && inflated > this.limits.maxRatio * Math.max(entry.compressedSize, 1)) {
      throw this.refuse(
        `${entry.name} inflates to more than ${this.limits.maxRatio} times its ${MiB(entry.compressedSize)} in the file; a sheet of real data compresses some ten times: a zip bomb`,
      );
    }
  }

  /** One part inflated as a stream of text; stops as soon as it passes what the zip said or the caps. */
  async *text(entry: ZipEntry, cap = Infinity): AsyncGenerator<string> {
    if (entry.flags & 1) throw this.refuse(`${entry.name} is encrypted: save the workbook without a password`);
    if (entry.method !== 0 && entry.method !== 8) throw this.refuse(`${entry.name} is compressed with method ${entry.method}, which Excel does not write`);
    if (entry.size > cap) throw this.refuse(`${entry.name} inflates to ${MiB(entry.size)}, over the ${MiB(cap)} ${this.holder} may hold (send it as CSV)`);
    const fh = await open(this.path, 'r');
    const local = Buffer.alloc(30);
    try {
      await fh.read(local, 0, 30, entry.localOffset);
    } finally {
      await fh.close();
    }
    if (local.readUInt32LE(0) !== 0x04034b50) throw this.refuse(`${entry.name} is damaged (no zip header where the directory says)`);
    if (entry.compressedSize === 0) {
      yield '';
      return;
    }
    const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = createReadStream(this.path, { start, end: start + entry.compressedSize - 1, highWaterMark: 64 * 1024 });
    const source = entry.method === 8 ? raw.pipe(createInflateRaw({ chunkSize: 64 * 1024 })) : raw;
    raw.on('error', (err) => source.destroy(err));
    const decoder = new StringDecoder('utf8');
    let part = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        part += chunk.length;
        this.inflated += chunk.length;
        // the zip's own word first: a part that inflates past its declared size is a crafted one
        if (part > entry.size) throw this.refuse(`${entry.name} inflates to more than the ${entry.size} bytes its zip header declares (a zip bomb)`);
        if (part > cap) throw this.refuse(`${entry.name} inflates to more than ${MiB(cap)}, what ${this.holder} may hold (send it as CSV)`);
        if (this.inflated > this.limits.maxInflatedBytes) throw this.refuse(`the workbook inflates to more than ${MiB(this.limits.maxInflatedBytes)}, what ${this.holder} may hold (a zip bomb, or send it as CSV)`);
        this.checkRatio(entry, part);
        yield decoder.write(chunk);
      }
    } catch (err) {
      if (err instanceof ExtractRejected) throw err;
      throw this.refuse(`${entry.name} cannot be inflated (${(err as Error).message}): the workbook is damaged`);
    } finally {
      source.destroy();
      raw.destroy();
    }
    yield decoder.end();
  }

  /**
   * Feeds a part to a SAX parser, yielding after every chunk (the sheet hands over its rows
   * there). A run of text between two tags longer than a cell can hold is refused before the
   * parser buffers it.
   */
  async *parse(entry: ZipEntry, handlers: Partial<SaxHandlers>, cap?: number): AsyncGenerator<void> {
    const parser = new SaxesParser({ position: false, xmlns: false } as const);
    let failure: Error | undefined;
    parser.on('error', (err) => {
      failure ??= err;
    });
    if (handlers.open) parser.on('opentag', (t) => handlers.open!(localName(t.name), t));
    if (handlers.close) parser.on('closetag', (t) => handlers.close!(localName(t.name)));
    if (handlers.text) {
      parser.on('text', handlers.text);
      parser.on('cdata', handlers.text);
    }
    const notXml = () => this.refuse(`${entry.name} is not well-formed XML (${failure!.message.split('\n')[0]}): the workbook is damaged`);
    let run = 0;
    for await (const chunk of this.text(entry, cap)) {
      const lastTag = Math.max(chunk.lastIndexOf('<'), chunk.lastIndexOf('>'));
      run = lastTag < 0 ? run + chunk.length : chunk.length - lastTag - 1;
      if (run > this.limits.maxTextRun) throw this.refuse(`${entry.name} holds a run of more than ${MiB(this.limits.maxTextRun)} of text in one place, more than any cell can`);
      parser.write(chunk);
      if (failure) throw notXml();
      yield;
    }
    parser.close();
    if (failure) throw notXml();
    yield;
  }

  async consume(entry: ZipEntry | undefined, handlers: Partial<SaxHandlers>, cap?: number): Promise<void> {
    if (!entry) return;
    for await (const _ of this.parse(entry, handlers, cap));
  }
}
