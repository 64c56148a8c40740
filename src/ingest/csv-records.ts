/**
 * RFC 4180 records from decoded text, chunk by chunk, with the line each record starts on.
 *
 * Written by hand because it is the ingest's hot loop: csv-parse spent 8 µs a record on a
 * claims file (a city's month is millions of records), this spends well under one. It follows
 * csv-parse's rules with the options Safetynet used (relax_quotes, relax_column_count,
 * skip_empty_lines, record delimiters \r\n, \n and \r), and test/unit/csv-records.test.ts checks it
 * against csv-parse on generated text:
 *   - a field that starts with `"` is quoted: `""` inside is one quote; it may hold commas and
 *     line breaks; a quote followed by something other than a comma or the end of the line
 *     ends the quoting and is kept as a character (so is every quote in an unquoted field);
 *   - a line with no characters is skipped (it still counts as a line);
 *   - a quoted field still open at the end of the text is an error (the file was cut short).
 * A record's line counts the line breaks inside its quoted fields, CRLF once.
 */

export interface CsvRecord {
  /** 1-based line of the text where the record starts */
  line: number;
  fields: string[];
}

/** A quoted field never closed: the text ends inside it. `line` is where its record starts. */
export class QuoteNotClosed extends Error {
  constructor(readonly line: number) {
    super(`a quoted field in the record starting on line ${line} is never closed`);
  }
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Line breaks in a quoted field, CRLF counted once. */
function lineBreaks(field: string): number {
  let n = 0;
  for (let i = field.indexOf('\n'), j = field.indexOf('\r'); i >= 0 || j >= 0; ) {
    if (j >= 0 && (i < 0 || j < i)) {
      n++;
      const next = field.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
      if (i >= 0 && i < next) i = field.indexOf('\n', next);
      j = field.indexOf('\r', next);
    } else {
      n++;
      i = field.indexOf('\n', i + 1);
    }
  }
  return n;
}

export class CsvRecords {
  private buf = '';
  /** the physical line the next record (or empty line) starts on */
  private line = 1;
  private started = false;
  // a record being read across chunks (it holds a quote): its state so far
  private partial: { line: number; fields: string[]; field: string; quoting: boolean; touched: boolean } | null = null;
  /** where a record waiting for more text must be read again from (a quote or \r at a chunk's end), or -1 */
  private pendingFrom = -1;

  /**
   * Feeds decoded text; returns the records completed by it. `final` marks the end of the text:
   * whatever is left is the last record (or a quote never closed).
   */
  push(text: string, final = false): CsvRecord[] {
    let buf = this.buf.length > 0 ? this.buf + text : text;
    if (!this.started && buf.length > 0) {
      this.started = true;
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1);
    }
    const out: CsvRecord[] = [];
    const len = buf.length;
    let p = 0;
    // next positions of each special character at or after p, found once and reused (-1: none)
    let nextLf = -2;
    let nextCr = -2;
    let nextQuote = -2;
    for (;;) {
      if (this.partial) {
        const end = this.resume(buf, p, final, out);
        if (end < 0) {
          // needs more text: what the record has read so far is in `partial`, except a quote or
          // \r at the very end, which is read again with the next chunk
          p = this.pendingFrom >= 0 ? this.pendingFrom : len;
          this.pendingFrom = -1;
          break;
        }
        p = end;
        nextLf = nextCr = nextQuote = -2;
        continue;
      }
      if (p >= len) break;
      const c = buf.charCodeAt(p);
      if (c === LF) {
        this.line++;
        p++;
        continue;
      }
      if (c === CR) {
        if (p + 1 >= len && !final) break; // a \r\n cut between chunks
        this.line++;
        p += buf.charCodeAt(p + 1) === LF ? 2 : 1;
        continue;
      }
      if (nextLf !== -1 && nextLf < p) nextLf = buf.indexOf('\n', p);
      if (nextCr !== -1 && nextCr < p) nextCr = buf.indexOf('\r', p);
      const eol = nextLf < 0 ? nextCr : nextCr < 0 ? nextLf : Math.min(nextLf, nextCr);
      if (nextQuote !== -1 && nextQuote < p) nextQuote = buf.indexOf('"', p);
      const stop = eol < 0 ? len : eol;
      if (nextQuote < 0 || nextQuote >= stop) {
        // no quote before the end of the line: the fast path
        if (eol < 0 && !final) break;
        if (eol >= 0 && buf.charCodeAt(eol) === CR && eol + 1 >= len && !final) break;
        out.push({ line: this.line, fields: buf.slice(p, stop).split(',') });
        this.line++;
        p = eol < 0 ? len : buf.charCodeAt(eol) === CR && buf.charCodeAt(eol + 1) === LF ? eol + 2 : eol + 1;
        continue;
      }
      this.partial = { line: this.line, fields: [], field: '', quoting: false, touched: false };
    }
    this.buf = p < len ? buf.slice(p) : '';
    if (final) {
      if (this.partial) throw new QuoteNotClosed(this.partial.line);
      this.buf = '';
    }
    return out;
  }

  /**
   * Reads the record in `partial` on from p, character by character where quotes matter.
   * Returns where the next record starts, or -1 when the text ends first (state kept).
   */
  private resume(buf: string, p: number, final: boolean, out: CsvRecord[]): number {
    const r = this.partial!;
    const len = buf.length;
    for (;;) {
      if (r.quoting) {
        const q = buf.indexOf('"', p);
        if (q < 0) {
          r.field += buf.slice(p);
          if (final) throw new QuoteNotClosed(r.line);
          return -1;
        }
        r.field += buf.slice(p, q);
        if (q + 1 >= len) {
          if (!final) return this.wait(q);
          // the closing quote is the last character of the text
          r.quoting = false;
          p = q + 1;
          continue;
        }
        const n = buf.charCodeAt(q + 1);
        if (n === QUOTE) {
          r.field += '"';
          p = q + 2;
        } else if (n === COMMA || n === LF || n === CR) {
          r.quoting = false;
          p = q + 1;
        } else {
          // a closing quote followed by text: the quotes are characters of the field
          r.field = `"${r.field}"`;
          r.quoting = false;
          p = q + 1;
        }
        continue;
      }
      if (p >= len) {
        if (!final) return -1;
        if (r.touched || r.fields.length > 0 || r.field.length > 0) this.emit(r, out);
        return len;
      }
      const c = buf.charCodeAt(p);
      if (c === QUOTE && r.field.length === 0 && !r.touched) {
        r.quoting = true;
        r.touched = true;
        p++;
        continue;
      }
      if (c === COMMA) {
        r.fields.push(r.field);
        r.field = '';
        r.touched = false;
        p++;
        continue;
      }
      if (c === LF || c === CR) {
        if (c === CR && p + 1 >= len && !final) return this.wait(p);
        this.emit(r, out);
        return c === CR && buf.charCodeAt(p + 1) === LF ? p + 2 : p + 1;
      }
      // an unquoted run (quotes in it are characters) up to the next comma or line break
      let e = p + 1;
      while (e < len) {
        const d = buf.charCodeAt(e);
        if (d === COMMA || d === LF || d === CR) break;
        e++;
      }
      r.field += buf.slice(p, e);
      r.touched = true;
      p = e;
    }
  }

  /** keeps the text from `at` for the next chunk (its state is in `partial`) */
  private wait(at: number): number {
    this.pendingFrom = at;
    return -1;
  }

  private emit(r: NonNullable<CsvRecords['partial']>, out: CsvRecord[]): void {
    r.fields.push(r.field);
    let breaks = 0;
    for (const f of r.fields) breaks += lineBreaks(f);
    out.push({ line: r.line, fields: r.fields });
    this.line = r.line + 1 + breaks;
    this.partial = null;
  }
}
