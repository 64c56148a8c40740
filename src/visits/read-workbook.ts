import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ExtractRejected } from '../errors.js';
import { columnIndex, DATE_FORMAT_IDS, isDateFormat, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, serialToDate } from '../ingest/xlsx-records.js';
import { localName, MiB } from '../ingest/zip-parts.js';

/**
 * The first sheet of an XLSX workbook as rows of text, read straight from the zip: each part is
 * inflated as a stream and parsed as it comes, nothing is written to disk, and nothing is trusted
 * that a hostile file could make large. Cells that hold a formula are marked, not evaluated: their
 * cached result is whatever the program that last saved the file wrote there.
 */

export interface WorkbookLimits {
  /** bytes inflated from all the parts read (workbook, relationships, styles, shared strings, the sheet) */
  maxInflatedBytes: number;
  /** bytes of xl/sharedStrings.xml, the one part held in memory (cells refer to its strings by number) */
  maxSharedStringBytes: number;
  /** characters between two XML tags: a cell holds at most 32,767, a runaway text node would fill the heap */
  maxTextRun: number;
  /** characters of one row: what a rejected row's evidence can hold */
  maxRowChars: number;
}

export const WORKBOOK_LIMITS: WorkbookLimits = {
  // a street office's month is a few hundred rows, a district's a few thousand: 100 MiB of sheet
  // XML is some 300,000 five-column rows. A zip bomb of 4 MB inflates to 916 MB: refused before
  // inflating a byte when the zip says so, and as soon as the count passes the cap when it lies
  maxInflatedBytes: 100 * 2 ** 20,
  // held as JS strings under the CLI's 160 MB heap: 46 MiB of the smallest strings (2.4 million)
  // took 94 MB of heap; a 19.5 MB workbook of 200,000 rows of random text has 35 MiB of them
  maxSharedStringBytes: 48 * 2 ** 20,
  maxTextRun: 2 ** 20,
  maxRowChars: 2 ** 20,
};

export interface WorkbookRow {
  /** the sheet's row number (the header is usually row 1), as Excel shows it */
  line: number;
  /** cell text by column (A is 0); dates as YYYY-MM-DD, a formula as "=" and its text */
  fields: string[];
  /** columns (0-based) whose cell holds a formula */
  formulas: number[];
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

// a visit report workbook has a dozen parts; thousands are a crafted file
const MAX_ZIP_ENTRIES = 1_000;

/** The entries of a zip's central directory; what cannot be a visit report is refused here. */
async function readDirectory(path: string, file: string): Promise<Map<string, ZipEntry>> {
  const refuse = (problem: string) => new ExtractRejected({ file }, `${problem}; the file was refused whole, nothing was imported`);
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
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
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) throw refuse('a ZIP64 workbook (over 4 GB or 65,535 parts) is no visit report');
    if (count > MAX_ZIP_ENTRIES) throw refuse(`the workbook has ${count} parts, a visit report a dozen`);
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
      // part names are case-insensitive (OPC)
      entries.set(entry.name.toLowerCase(), entry);
      p += 46 + nameLength + dir.readUInt16LE(p + 30) + dir.readUInt16LE(p + 32);
    }
    return entries;
  } finally {
    await fh.close();
  }
}

class Workbook {
  private inflated = 0;
  constructor(
    private readonly path: string,
    private readonly file: string,
    private readonly entries: Map<string, ZipEntry>,
    readonly limits: WorkbookLimits,
  ) {}

  refuse(problem: string, loc: { line?: number; column?: string } = {}): ExtractRejected {
    return new ExtractRejected({ file: this.file, ...loc }, `${problem}; the file was refused whole, nothing was imported`);
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.get(name.replace(/^\//, '').toLowerCase());
  }

  /** Checks the sizes the zip declares for the parts to be read before inflating any of them. */
  checkDeclared(parts: (ZipEntry | undefined)[], sharedStrings: ZipEntry | undefined): void {
    const total = parts.reduce((n, e) => n + (e?.size ?? 0), 0);
    if (total > this.limits.maxInflatedBytes) {
      throw this.refuse(`the workbook inflates to ${MiB(total)}, over the ${MiB(this.limits.maxInflatedBytes)} a visit report may hold (a zip bomb, or send it as CSV)`);
    }
    if (sharedStrings && sharedStrings.size > this.limits.maxSharedStringBytes) {
      throw this.refuse(`its shared strings inflate to ${MiB(sharedStrings.size)}, over the ${MiB(this.limits.maxSharedStringBytes)} a visit report may hold (send it as CSV)`);
    }
  }

  /** One part inflated as a stream of text; stops as soon as it passes what the zip said or the caps. */
  async *text(entry: ZipEntry, cap = Infinity): AsyncGenerator<string> {
    if (entry.flags & 1) throw this.refuse(`${entry.name} is encrypted: save the workbook without a password`);
    if (entry.method !== 0 && entry.method !== 8) throw this.refuse(`${entry.name} is compressed with method ${entry.method}, which Excel does not write`);
    const fh = await open(this.path, 'r');
    const local = Buffer.alloc(30);
    try {
      await fh.read(local, 0, 30, entry.localOffset);
    } finally {
      await fh.close();
    }
    if (local.readUInt32LE(0) !== 0x04034b50) throw this.refuse(`${entry.name} is damaged (no zip header where the directory says)`);
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
        if (part > cap) throw this.refuse(`${entry.name} inflates to more than ${MiB(cap)}, what a visit report may hold`);
        if (this.inflated > this.limits.maxInflatedBytes) throw this.refuse(`the workbook inflates to more than ${MiB(this.limits.maxInflatedBytes)}, what a visit report may hold (a zip bomb, or send it as CSV)`);
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
   * Feeds a part to a SAX parser; `each` runs after every chunk (the sheet yields its rows there).
   * A run of text between two tags longer than a cell can hold is refused before the parser
   * buffers it.
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
    let run = 0;
    for await (const chunk of this.text(entry, cap)) {
      const lastTag = Math.max(chunk.lastIndexOf('<'), chunk.lastIndexOf('>'));
      run = lastTag < 0 ? run + chunk.length : chunk.length - lastTag - 1;
      if (run > this.limits.maxTextRun) throw this.refuse(`${entry.name} holds a run of more than ${MiB(this.limits.maxTextRun)} of text in one place, more than any cell can`);
      parser.write(chunk);
      if (failure) throw this.refuse(`${entry.name} is not well-formed XML (${failure.message.split('\n')[0]})`);
      yield;
    }
    parser.close();
    if (failure) throw this.refuse(`${entry.name} is not well-formed XML (${failure.message.split('\n')[0]})`);
    yield;
  }

  async consume(entry: ZipEntry | undefined, handlers: Partial<SaxHandlers>, cap?: number): Promise<void> {
    if (!entry) return;
    for await (const _ of this.parse(entry, handlers, cap));
  }
}

interface SaxHandlers {
  open(name: string, tag: SaxesTagPlain): void;
  close(name: string): void;
  text(text: string): void;
}

/** Some writers prefix SpreadsheetML elements (`<x:row>`): the local name is what counts. */
/** The relationship targets of a part's `.rels`, by id and by type, resolved to part names. */
async function relationships(book: Workbook, part: string): Promise<{ byId: Map<string, string>; byType: Map<string, string> }> {
  const dir = posix.dirname(part);
  const rels = book.entry(posix.join(dir, '_rels', `${posix.basename(part)}.rels`));
  const byId = new Map<string, string>();
  const byType = new Map<string, string>();
  await book.consume(rels, {
    open(name, tag) {
      if (name !== 'Relationship' || tag.attributes.TargetMode === 'External') return;
      const target = tag.attributes.Target ?? '';
      const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(dir === '.' ? '' : dir, target));
      if (tag.attributes.Id) byId.set(tag.attributes.Id, resolved);
      const type = (tag.attributes.Type ?? '').split('/').at(-1) ?? '';
      if (!byType.has(type)) byType.set(type, resolved);
    },
  });
  return { byId, byType };
}

/**
 * Opens the first sheet (in tab order) of an XLSX file. The directory is checked at once; the
 * sheet's rows come as they are inflated. Throws ExtractRejected for a file that cannot be
 * trusted: not a zip, a zip bomb, a damaged part, rows out of order.
 */
export async function openWorkbookRows(path: string, file: string, limits: WorkbookLimits = WORKBOOK_LIMITS): Promise<AsyncGenerator<WorkbookRow>> {
  const book = new Workbook(path, file, await readDirectory(path, file), limits);

  // the package says where the workbook is; the workbook, its sheets, strings and styles
  const root = await relationships(book, '');
  const workbookPart = root.byType.get('officeDocument') ?? 'xl/workbook.xml';
  const workbookEntry = book.entry(workbookPart);
  if (!workbookEntry) throw book.refuse('not an XLSX workbook (it has no workbook part: another format renamed .xlsx?)');
  const rels = await relationships(book, workbookPart);
  let firstSheetId: string | undefined;
  let date1904 = false;
  await book.consume(workbookEntry, {
    open(name, tag) {
      if (name === 'workbookPr') date1904 = tag.attributes.date1904 === '1' || tag.attributes.date1904 === 'true';
      if (name === 'sheet' && firstSheetId === undefined) {
        firstSheetId = Object.entries(tag.attributes).find(([k]) => k === 'id' || k.endsWith(':id'))?.[1];
      }
    },
  });
  const sheetEntry = firstSheetId === undefined ? undefined : book.entry(rels.byId.get(firstSheetId) ?? '');
  if (!sheetEntry) throw book.refuse('the workbook has no sheet');
  const stringsEntry = book.entry(rels.byType.get('sharedStrings') ?? 'xl/sharedStrings.xml');
  const stylesEntry = book.entry(rels.byType.get('styles') ?? 'xl/styles.xml');
  book.checkDeclared([workbookEntry, sheetEntry, stringsEntry, stylesEntry], stringsEntry);

  // which cell styles show a date: Excel stores a date as a day count with a date format
  const customFormats = new Map<number, string>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  await book.consume(stylesEntry, {
    open(name, tag) {
      if (name === 'numFmt') customFormats.set(Number(tag.attributes.numFmtId), tag.attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfFormats.push(Number(tag.attributes.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  const dateStyle = xfFormats.map((id) => (customFormats.has(id) ? isDateFormat(customFormats.get(id)!) : DATE_FORMAT_IDS.has(id)));

  const strings: string[] = [];
  {
    let text: string | null = null;
    let inT = false;
    let phonetic = false;
    await book.consume(
      stringsEntry,
      {
        open(name) {
          if (name === 'si') text = '';
          else if (name === 'rPh') phonetic = true;
          else if (name === 't') inT = !phonetic;
        },
        close(name) {
          if (name === 'si') {
            strings.push(text ?? '');
            text = null;
          } else if (name === 'rPh') phonetic = false;
          else if (name === 't') inT = false;
        },
        text(t) {
          if (inT && text !== null) text += t;
        },
      },
      limits.maxSharedStringBytes,
    );
  }

  return (async function* rows(): AsyncGenerator<WorkbookRow> {
    const ready: WorkbookRow[] = [];
    let inSheetData = false;
    let row: { line: number; fields: string[]; formulas: number[]; chars: number; lastColumn: number } | null = null;
    let lastLine = 0;
    // the cell being read
    let cell: { column: number; type: string; style: number; value: string; formula: string | null; inValue: boolean; inFormula: boolean; inInline: boolean; phonetic: boolean } | null = null;

    const handlers: SaxHandlers = {
      open(name, tag) {
        if (name === 'sheetData') inSheetData = true;
        else if (name === 'row' && inSheetData) {
          // a row without its number follows the one before it, as in Excel's own files
          const line = tag.attributes.r === undefined ? lastLine + 1 : Number(tag.attributes.r);
          if (!Number.isInteger(line) || line < 1 || line > MAX_SHEET_ROWS) throw book.refuse(`row number "${String(tag.attributes.r).slice(0, 20)}" is not a row of a sheet`, { line: lastLine + 1 });
          if (line <= lastLine) throw book.refuse(`row ${line} comes after row ${lastLine}: the sheet's rows are out of order`, { line });
          lastLine = line;
          row = { line, fields: [], formulas: [], chars: 0, lastColumn: -1 };
        } else if (name === 'c' && row) {
          const ref = tag.attributes.r;
          const column = ref === undefined ? row.lastColumn + 1 : columnIndex(ref);
          if (column < 0 || column >= MAX_SHEET_COLUMNS) throw book.refuse(`cell reference "${String(ref).slice(0, 20)}" is not a cell of a sheet`, { line: row.line });
          if (column <= row.lastColumn) throw book.refuse(`cell ${ref} comes after a cell to its right: the row's cells are out of order`, { line: row.line });
          row.lastColumn = column;
          cell = { column, type: tag.attributes.t ?? 'n', style: Number(tag.attributes.s ?? 0), value: '', formula: null, inValue: false, inFormula: false, inInline: false, phonetic: false };
        } else if (cell) {
          if (name === 'v') cell.inValue = true;
          else if (name === 'f') {
            cell.inFormula = true;
            cell.formula ??= '';
          } else if (name === 'is') cell.inInline = true;
          else if (name === 'rPh') cell.phonetic = true;
        }
      },
      close(name) {
        if (name === 'sheetData') inSheetData = false;
        else if (name === 'row' && row) {
          ready.push({ line: row.line, fields: row.fields, formulas: row.formulas });
          row = null;
        } else if (name === 'c' && cell && row) {
          row.fields[cell.column] = cell.formula !== null ? `=${cell.formula}` : cellText(cell);
          if (cell.formula !== null) row.formulas.push(cell.column);
          cell = null;
        } else if (cell) {
          if (name === 'v') cell.inValue = false;
          else if (name === 'f') cell.inFormula = false;
          else if (name === 'is') cell.inInline = false;
          else if (name === 'rPh') cell.phonetic = false;
        }
      },
      text(t) {
        if (!cell || !row) return;
        if (cell.inFormula) cell.formula += t;
        else if (cell.inValue || (cell.inInline && !cell.phonetic)) cell.value += t;
        else return;
        row.chars += t.length;
        if (row.chars > limits.maxRowChars) throw book.refuse(`row ${row.line} holds more than ${MiB(limits.maxRowChars)} of text, no visit report row does`, { line: row.line });
      },
    };

    function cellText(c: NonNullable<typeof cell>): string {
      switch (c.type) {
        case 's': {
          const s = strings[Number(c.value)];
          if (s === undefined) throw book.refuse(`a cell refers to shared string ${c.value.slice(0, 20)}, of ${strings.length}: the workbook is damaged`, { line: lastLine });
          return s;
        }
        case 'inlineStr':
        case 'str':
          return c.value;
        case 'b':
          return c.value === '1' ? 'TRUE' : c.value === '0' ? 'FALSE' : c.value;
        case 'e':
          return ''; // #N/A and friends: an empty cell to the validation
        case 'd':
          return c.value.slice(0, 10);
        default: {
          if (c.value === '') return '';
          const n = Number(c.value);
          if (!Number.isFinite(n)) return c.value;
          return dateStyle[c.style] ? serialToDate(n, date1904) : String(n);
        }
      }
    }

    const parsing = book.parse(sheetEntry, handlers);
    try {
      for await (const _ of parsing) {
        // Array.from: cells never written are holes, the validation wants empty text
        for (const r of ready) yield { line: r.line, fields: Array.from(r.fields, (f) => f ?? ''), formulas: r.formulas };
        ready.length = 0;
      }
    } finally {
      await parsing.return(undefined);
    }
  })();
}
