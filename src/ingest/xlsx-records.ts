import { posix } from 'node:path';
import { ExtractRejected } from '../errors.js';
import { MiB, ZipParts, type SaxHandlers, type ZipEntry, type ZipLimits } from './zip-parts.js';

/**
 * The first worksheet of a department's XLSX extract as rows of text, a batch per chunk of the
 * sheet inflated: memory stays flat however many rows the sheet has (the shared strings, which
 * any cell may refer to, are kept outside the JavaScript heap). Cells read as a person sees their
 * value, not their formatting: text as text, numbers to Excel's 15 significant digits, dates
 * (numbers with a date format) as YYYY-MM-DD, booleans as true/false, a formula as the result the
 * program that saved the file cached.
 */

export interface XlsxLimits extends ZipLimits {
  /** bytes of xl/sharedStrings.xml, the one part kept whole (cells refer to its strings by number) */
  maxSharedStringBytes: number;
  /** characters of one row: what a rejected row's evidence can hold */
  maxRowChars: number;
}

export const XLSX_LIMITS: XlsxLimits = {
  // Excel's largest sheet (1,048,576 rows) of a department's dozen columns is some 600 MB of
  // XML; a department sends less (a month of claims goes as CSV), so more is a zip bomb
  maxInflatedBytes: 2 ** 30,
  // sheet XML compresses 8-15 times (exceljs and Excel alike, measured on bench/xlsx-extract.ts);
  // even a column of one repeated value stays far below 100; a zip bomb is at several hundred
  maxRatio: 100,
  ratioFrom: 16 * 2 ** 20,
  maxTextRun: 2 ** 20,
  // kept as UTF-8 outside the heap, about what the part holds less its tags: 256 MiB is several
  // million distinct strings, an Excel-sized sheet of distinct names and ID numbers
  maxSharedStringBytes: 256 * 2 ** 20,
  maxRowChars: 2 ** 20,
};

export interface SheetRow {
  /** the sheet's row number, as Excel shows it */
  line: number;
  /** cell text by column (A is 0); a cell never written is empty text */
  fields: string[];
  /** columns whose cell is stored as a number (not a date): its text is the number Excel kept, not necessarily the one typed */
  numericCells: number[];
}

// Excel's own limits: a reference past them is not a sheet Excel wrote or could open
export const MAX_SHEET_ROWS = 1_048_576;
export const MAX_SHEET_COLUMNS = 16_384;
/** what a cell can hold; a longer shared string is a crafted file */
const MAX_CELL_CHARS = 32_767;
// built-in number formats that show a date or a time (ECMA-376 18.8.30, with the East Asian
// ids 27-36 and 50-58 that Chinese Excel gives 2026年10月5日 and the like)
export const DATE_FORMAT_IDS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
// the last day Excel can show (9999-12-31); a larger "date" is a number in a date-formatted cell
const LAST_SERIAL = 2_958_465;

/**
 * A number as Excel shows it in a General cell: rounded to 15 significant digits (what Excel
 * keeps of what was typed: 800.0000000000001 is 800, 0.1+0.2 is 0.3) and never in exponent
 * form (an 18-digit number reads as its digits).
 */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = String(Number(n.toPrecision(15)));
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = '', exp] = m;
  const digits = lead! + rest;
  const e = Number(exp);
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  return sign + (digits.length > e + 1 ? `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}` : digits.padEnd(e + 1, '0'));
}

/**
 * Excel's day count as a calendar date. The 1900 system counts from 1899-12-30 from March 1900
 * on, because it takes 1900 for a leap year (day 60 is a 29 February that never was); the 1904
 * system (old Mac workbooks) counts from 1904-01-01. A time of day is dropped.
 */
export function serialToDate(serial: number, date1904: boolean): string {
  const days = date1904 ? serial + 1462 : serial < 60 ? serial + 1 : serial;
  return new Date(Math.round((days - 25569) * 86_400_000)).toISOString().slice(0, 10);
}

/**
 * A custom number format shows a date when, outside quotes, brackets and escapes, it has a year
 * or day letter, or a month's m without the h or s that make it minutes.
 */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/[_*]./g, '');
  return /[yd]/i.test(bare) || (/m/i.test(bare) && !/[hs]/i.test(bare));
}

/** `_x000D_` and the like: how OOXML writes characters XML cannot hold */
const decodeEscapes = (s: string): string =>
  s.includes('_x') ? s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : s;

/** Column letters (A, Z, AA, XFD) to a 0-based index; -1 if the reference is not a cell's. */
export function columnIndex(ref: string): number {
  let n = 0;
  let i = 0;
  for (; i < ref.length && i < 4; i++) {
    const c = ref.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) break;
    n = n * 26 + (c - 96);
  }
  if (i === 0 || i > 3) return -1;
  for (let j = i; j < ref.length; j++) {
    const c = ref.charCodeAt(j);
    if (c < 48 || c > 57) return -1;
  }
  return n - 1;
}

const STRINGS_CHUNK = 2 ** 20;
const DATES_KEPT = 10_000;

/**
 * The shared strings table as UTF-8 in 1 MiB buffers, outside the JavaScript heap: a 200,000-row
 * sheet of distinct names and ID numbers has a million strings, which as JavaScript strings
 * would take a good part of the CLI's 160 MB heap by themselves.
 */
class SharedStrings {
  private chunks: Buffer[] = [];
  private used = STRINGS_CHUNK;
  private chunkOf = new Uint32Array(1024);
  private startOf = new Uint32Array(1024);
  private lengthOf = new Uint32Array(1024);
  count = 0;

  add(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.used + bytes > STRINGS_CHUNK) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(STRINGS_CHUNK, bytes)));
      this.used = 0;
    }
    if (this.count === this.chunkOf.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.chunkOf = grow(this.chunkOf);
      this.startOf = grow(this.startOf);
      this.lengthOf = grow(this.lengthOf);
    }
    const chunk = this.chunks.length - 1;
    this.chunks[chunk]!.write(text, this.used, 'utf8');
    this.chunkOf[this.count] = chunk;
    this.startOf[this.count] = this.used;
    this.lengthOf[this.count] = bytes;
    this.used += bytes;
    this.count++;
  }

  get(index: number): string | undefined {
    if (!(index >= 0 && index < this.count) || !Number.isInteger(index)) return undefined;
    const start = this.startOf[index]!;
    return this.chunks[this.chunkOf[index]!]!.toString('utf8', start, start + this.lengthOf[index]!);
  }
}

/** The relationships of a part's `.rels`, by id, resolved to part names. */
export async function relationships(zip: ZipParts, part: string): Promise<Map<string, { target: string; type: string }>> {
  const dir = posix.dirname(part);
  const rels = zip.entry(posix.join(dir, '_rels', `${posix.basename(part)}.rels`));
  const byId = new Map<string, { target: string; type: string }>();
  await zip.consume(rels, {
    open(name, tag) {
      if (name !== 'Relationship' || tag.attributes.TargetMode === 'External') return;
      const target = tag.attributes.Target ?? '';
      const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(dir === '.' ? '' : dir, target));
      byId.set(tag.attributes.Id ?? '', { target: resolved, type: (tag.attributes.Type ?? '').split('/').at(-1) ?? '' });
    },
  });
  return byId;
}

export const relOfType = (rels: Map<string, { target: string; type: string }>, type: string): string | undefined => [...rels.values()].find((r) => r.type === type)?.target;

/**
 * Which cell styles (by index, as a cell's `s` names them) show a date: Excel stores a date as a
 * day count with a date format.
 */
export async function dateStyles(zip: ZipParts, stylesEntry: ZipEntry | undefined): Promise<boolean[]> {
  const customFormats = new Map<number, string>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  await zip.consume(stylesEntry, {
    open(name, tag) {
      if (name === 'numFmt') customFormats.set(Number(tag.attributes.numFmtId), tag.attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfFormats.push(Number(tag.attributes.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return xfFormats.map((id) => (customFormats.has(id) ? isDateFormat(customFormats.get(id)!) : DATE_FORMAT_IDS.has(id)));
}

/**
 * Opens the first worksheet (in tab order; hidden sheets and chart sheets skipped) of an XLSX
 * file. The zip directory, the workbook, its styles and shared strings are read at once; the
 * sheet's rows come as they are inflated, a batch per chunk, as the caller asks for them. Throws
 * ExtractRejected for a file that cannot be trusted: not a zip, encrypted, a zip bomb, a damaged
 * part, rows out of order, no worksheet.
 */
export async function openSheetRows(path: string, file: string, limits: XlsxLimits = XLSX_LIMITS): Promise<AsyncGenerator<SheetRow[]>> {
  const refuse = (problem: string, loc: { line?: number; column?: string } = {}) =>
    new ExtractRejected({ file, ...loc }, `${problem}; the file was refused whole, nothing of it was loaded`);
  const zip = await ZipParts.open(path, limits, refuse);

  // the package says where the workbook is; the workbook, its sheets, strings and styles
  const root = await relationships(zip, '');
  const workbookPart = relOfType(root, 'officeDocument') ?? 'xl/workbook.xml';
  const workbookEntry = zip.entry(workbookPart);
  if (!workbookEntry) throw refuse('not an XLSX workbook (it has no workbook part: another format renamed .xlsx?)');
  const rels = await relationships(zip, workbookPart);
  let sheetPart: string | undefined;
  let date1904 = false;
  await zip.consume(workbookEntry, {
    open(name, tag) {
      if (name === 'workbookPr') date1904 = tag.attributes.date1904 === '1' || tag.attributes.date1904 === 'true';
      if (name !== 'sheet' || sheetPart !== undefined || tag.attributes.state === 'hidden' || tag.attributes.state === 'veryHidden') return;
      const id = Object.entries(tag.attributes).find(([k]) => k === 'id' || k.endsWith(':id'))?.[1];
      const rel = id === undefined ? undefined : rels.get(id);
      if (rel?.type === 'worksheet') sheetPart = rel.target;
    },
  });
  const sheetEntry = sheetPart === undefined ? undefined : zip.entry(sheetPart);
  if (!sheetEntry) throw refuse('the workbook has no visible worksheet to read');
  const stringsEntry = zip.entry(relOfType(rels, 'sharedStrings') ?? 'xl/sharedStrings.xml');
  const stylesEntry = zip.entry(relOfType(rels, 'styles') ?? 'xl/styles.xml');
  zip.checkDeclared([workbookEntry, sheetEntry, stringsEntry, stylesEntry]);

  const dateStyle = await dateStyles(zip, stylesEntry);

  const strings = new SharedStrings();
  {
    let text: string | null = null;
    let inT = false;
    let phonetic = false;
    await zip.consume(
      stringsEntry,
      {
        open(name) {
          if (name === 'si') text = '';
          else if (name === 'rPh') phonetic = true;
          else if (name === 't') inT = !phonetic;
        },
        close(name) {
          if (name === 'si') {
            if (text!.length > MAX_CELL_CHARS) throw refuse(`shared string ${strings.count} holds ${text!.length} characters, more than a cell can (32,767): the workbook is damaged`);
            strings.add(decodeEscapes(text ?? ''));
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

  return (async function* rows(): AsyncGenerator<SheetRow[]> {
    let ready: SheetRow[] = [];
    let inSheetData = false;
    let row: (SheetRow & { chars: number; lastColumn: number }) | null = null;
    let lastLine = 0;
    // the cell being read
    let column = 0;
    let type = 'n';
    let style = 0;
    let value = '';
    let inCell = false;
    let inValue = false;
    let inText = false;
    let phonetic = false;

    // a month's extract holds a few hundred distinct days: each is made into text once
    const dates = new Map<string, string>();

    function cellText(): string {
      switch (type) {
        case 's': {
          const s = strings.get(Number(value));
          if (s === undefined) throw refuse(`a cell refers to shared string ${value.slice(0, 20)}, of ${strings.count}: the workbook is damaged`, { line: lastLine });
          return s;
        }
        case 'inlineStr':
          return decodeEscapes(value);
        case 'str':
          return value;
        case 'b':
          return value === '1' ? 'true' : value === '0' ? 'false' : value;
        case 'e':
          // #N/A, #REF! and friends: shown as Excel shows them, so the row's reject says why
          return value;
        case 'd':
          return value.slice(0, 10);
        default: {
          if (value === '') return '';
          const n = Number(value);
          if (!Number.isFinite(n)) return value;
          if (dateStyle[style] && n >= 0 && n <= LAST_SERIAL) {
            let date = dates.get(value);
            if (date === undefined) {
              date = serialToDate(n, date1904);
              if (dates.size < DATES_KEPT) dates.set(value, date);
            }
            return date;
          }
          row!.numericCells.push(column);
          // what Excel writes is mostly short: up to 15 digits, JavaScript's own text of it is exact
          if (value.length <= 15 && (n === 0 || Math.abs(n) >= 1e-6) && value.indexOf('E') < 0 && value.indexOf('e') < 0) return String(n);
          return numberText(n);
        }
      }
    }

    const handlers: SaxHandlers = {
      open(name, tag) {
        if (name === 'c' && row) {
          const ref = tag.attributes.r;
          column = ref === undefined ? row.lastColumn + 1 : columnIndex(ref);
          if (column < 0 || column >= MAX_SHEET_COLUMNS) throw refuse(`cell reference "${String(ref).slice(0, 20)}" is not a cell of a sheet`, { line: row.line });
          if (column <= row.lastColumn) throw refuse(`cell ${ref} comes after a cell to its right: the row's cells are out of order`, { line: row.line });
          row.lastColumn = column;
          type = tag.attributes.t ?? 'n';
          style = tag.attributes.s === undefined ? 0 : Number(tag.attributes.s);
          value = '';
          inCell = true;
        } else if (inCell) {
          // <v> holds the value, or a formula's cached result; <is><t> an inline string
          if (name === 'v') inValue = true;
          else if (name === 't') inText = !phonetic;
          else if (name === 'rPh') phonetic = true;
        } else if (name === 'row' && inSheetData) {
          // a row without its number follows the one before it, as in Excel's own files
          const line = tag.attributes.r === undefined ? lastLine + 1 : Number(tag.attributes.r);
          if (!Number.isInteger(line) || line < 1 || line > MAX_SHEET_ROWS) throw refuse(`row number "${String(tag.attributes.r).slice(0, 20)}" is not a row of a sheet`, { line: lastLine + 1 });
          if (line <= lastLine) throw refuse(`row ${line} comes after row ${lastLine}: the sheet's rows are out of order`, { line });
          lastLine = line;
          row = { line, fields: [], numericCells: [], chars: 0, lastColumn: -1 };
        } else if (name === 'sheetData') inSheetData = true;
      },
      close(name) {
        if (name === 'c' && inCell) {
          row!.fields[column] = cellText();
          inCell = inValue = inText = phonetic = false;
        } else if (inCell) {
          if (name === 'v') inValue = false;
          else if (name === 't') inText = false;
          else if (name === 'rPh') phonetic = false;
        } else if (name === 'row' && row) {
          ready.push({ line: row.line, fields: row.fields, numericCells: row.numericCells });
          row = null;
        } else if (name === 'sheetData') inSheetData = false;
      },
      text(t) {
        if (!(inValue || inText) || !row) return;
        value += t;
        row.chars += t.length;
        if (row.chars > limits.maxRowChars) throw refuse(`row ${row.line} holds more than ${MiB(limits.maxRowChars)} of text, no extract's row does`, { line: row.line });
      },
    };

    const parsing = zip.parse(sheetEntry, handlers);
    try {
      for await (const _ of parsing) {
        if (ready.length === 0) continue;
        // cells never written are holes: empty text
        for (const r of ready) {
          for (let i = 0; i < r.fields.length; i++) r.fields[i] ??= '';
        }
        const batch = ready;
        ready = [];
        yield batch;
      }
    } finally {
      await parsing.return(undefined);
    }
  })();
}

