import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvRecords, QuoteNotClosed, type CsvRecord } from '../../src/ingest/csv-records.js';

/**
 * The hand-written splitter against csv-parse, the library it replaced on the hot path, with the
 * options the ingest used (relax_quotes, relax_column_count, skip_empty_lines, any line ending)
 * and the ingest's line counting (a record's line plus the line breaks in its quoted fields).
 */
function byCsvParse(text: string): { records: CsvRecord[] } | { notClosedAt: number } {
  let nextLine = 1;
  let emptyBefore = 0;
  const startOf = (empty: number) => nextLine + (empty - emptyBefore);
  const breaks = (f: string) => f.match(/\r\n|\r|\n/g)?.length ?? 0;
  try {
    const records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      relax_quotes: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (fields: string[], ctx: { empty_lines: number }) => {
        const line = startOf(ctx.empty_lines);
        nextLine = line + 1 + fields.reduce((n, f) => n + breaks(f), 0);
        emptyBefore = ctx.empty_lines;
        return { line, fields };
      },
    } as never) as unknown as CsvRecord[];
    return { records };
  } catch (err) {
    expect((err as { code?: string }).code).toBe('CSV_QUOTE_NOT_CLOSED');
    return { notClosedAt: startOf((err as { empty_lines?: number }).empty_lines ?? emptyBefore) };
  }
}

/** The splitter fed the text in pieces cut at `cuts`. */
function bySplitter(text: string, cuts: number[]): { records: CsvRecord[] } | { notClosedAt: number } {
  const splitter = new CsvRecords();
  const records: CsvRecord[] = [];
  let from = 0;
  try {
    for (const cut of cuts) {
      records.push(...splitter.push(text.slice(from, cut)));
      from = cut;
    }
    records.push(...splitter.push(text.slice(from), true));
    return { records };
  } catch (err) {
    if (err instanceof QuoteNotClosed) return { notClosedAt: err.line };
    throw err;
  }
}

const csvText = fc
  .array(fc.constantFrom('a', 'bc', '中文', ',', ',', '"', '"', '""', '\n', '\r\n', '\r', ' ', '\uFEFF', 'x"y'), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('CSV records (the ingest hot path) read as csv-parse reads them', () => {
  it('the same records, fields and lines, or the same unclosed quote, however the text is cut into chunks', () => {
    fc.assert(
      fc.property(
        csvText.chain((text) =>
          fc.tuple(fc.constant(text), fc.uniqueArray(fc.nat(Math.max(0, text.length)), { maxLength: 4 }).map((c) => c.sort((a, b) => a - b))),
        ),
        ([text, cuts]) => {
          expect(bySplitter(text, cuts)).toEqual(byCsvParse(text));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('counts lines as the data-quality report needs them', () => {
    const text = '\uFEFFid,name\r\n\r\n1,"two\r\nlines"\n\n2,"a ""quoted"" word"\r3,x"y\n';
    expect(bySplitter(text, [5, 17, 18])).toEqual({
      records: [
        { line: 1, fields: ['id', 'name'] },
        { line: 3, fields: ['1', 'two\r\nlines'] },
        { line: 6, fields: ['2', 'a "quoted" word'] },
        { line: 7, fields: ['3', 'x"y'] },
      ],
    });
  });

  it('a quote opened and never closed is an error at the line its record starts on', () => {
    expect(bySplitter('id,name\n1,ok\n2,"cut short\nand more\n', [])).toEqual({ notClosedAt: 3 });
  });
});
