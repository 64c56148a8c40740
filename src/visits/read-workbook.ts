import { ExtractRejected } from '../errors.js';
import { columnIndex, dateStyles, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, relationships, relOfType, serialToDate } from '../ingest/xlsx-records.js';
import { MiB, ZipParts, type SaxHandlers, type ZipLimits } from '../ingest/zip-parts.js';

/**
 * The first sheet of an XLSX workbook as rows of text, read straight from the zip: each part is
 * inflated as a stream and parsed as it comes, nothing is written to disk, and nothing is trusted
 * that a hostile file could make large. Cells that hold a formula are marked, not evaluated: their
 * cached result is whatever the program that last saved the file wrote there.
 */

export interface WorkbookLimits extends ZipLimits {
  /** bytes of xl/sharedStrings.xml, the one part held in memory (cells refer to its strings by number) */
  maxSharedStringBytes: number;
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
  // sheet XML compresses 8-15 times; a zip bomb several hundred (as for extracts)
  maxRatio: 100,
  ratioFrom: 16 * 2 ** 20,
  // a visit report workbook has a dozen parts; thousands are a crafted file
  maxEntries: 1_000,
  holder: 'a visit report',
};

export interface WorkbookRow {
  /** the sheet's row number (the header is usually row 1), as Excel shows it */
  line: number;
  /** cell text by column (A is 0); dates as YYYY-MM-DD, a formula as "=" and its text */
  fields: string[];
  /** columns (0-based) whose cell holds a formula */
  formulas: number[];
}

/**
 * Opens the first sheet (in tab order) of an XLSX file. The directory is checked at once; the
 * sheet's rows come as they are inflated. Throws ExtractRejected for a file that cannot be
 * trusted: not a zip, a zip bomb, a damaged part, rows out of order.
 */
export async function openWorkbookRows(path: string, file: string, limits: WorkbookLimits = WORKBOOK_LIMITS): Promise<AsyncGenerator<WorkbookRow>> {
  const book = await ZipParts.open(path, limits, (problem, loc = {}) =>
    new ExtractRejected({ file, ...loc }, `${problem}; the file was refused whole, nothing was imported`),
  );

  // the package says where the workbook is; the workbook, its sheets, strings and styles
  const root = await relationships(book, '');
  const workbookPart = relOfType(root, 'officeDocument') ?? 'xl/workbook.xml';
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
  const sheetEntry = firstSheetId === undefined ? undefined : book.entry(rels.get(firstSheetId)?.target ?? '');
  if (!sheetEntry) throw book.refuse('the workbook has no sheet');
  const stringsEntry = book.entry(relOfType(rels, 'sharedStrings') ?? 'xl/sharedStrings.xml');
  const stylesEntry = book.entry(relOfType(rels, 'styles') ?? 'xl/styles.xml');
  book.checkDeclared([workbookEntry, sheetEntry, stringsEntry, stylesEntry]);
  if (stringsEntry && stringsEntry.size > limits.maxSharedStringBytes) {
    throw book.refuse(`its shared strings inflate to ${MiB(stringsEntry.size)}, over the ${MiB(limits.maxSharedStringBytes)} a visit report may hold (send it as CSV)`);
  }

  const dateStyle = await dateStyles(book, stylesEntry);

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
