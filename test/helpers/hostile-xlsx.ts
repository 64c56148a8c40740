import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * XLSX files built byte by byte, for what a spreadsheet program never writes but a hostile or
 * broken tool can: rows and cells without their `r` reference, a part whose zip header lies about
 * its size, a zip bomb. Only the parts a reader needs: content types, relationships, a workbook,
 * one sheet of inline strings.
 */

export interface ZipPart {
  name: string;
  data: Buffer | string;
  /** the deflated bytes as they go in the file, when made elsewhere (a bomb); `size` is then required */
  deflated?: Buffer;
  /** the uncompressed size the zip headers declare (default: the true one) */
  declaredSize?: number;
}

/** A zip of deflated parts; `declaredSize` lets a part lie about how large it inflates. */
export function zip(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const data = typeof p.data === 'string' ? Buffer.from(p.data) : p.data;
    const body = p.deflated ?? deflateRawSync(data);
    const size = p.declaredSize ?? data.length;
    const crc = p.deflated ? 0 : crc32(data);
    const name = Buffer.from(p.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt16LE(0x21, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One sheet row of inline strings; `r: false` leaves out the row's and the cells' references. */
export function sheetRow(line: number, cells: string[], opts: { r?: boolean } = {}): string {
  const ref = (i: number) => (opts.r === false ? '' : ` r="${String.fromCharCode(65 + i)}${line}"`);
  return `<row${opts.r === false ? '' : ` r="${line}"`}>${cells.map((c, i) => `<c${ref(i)} t="inlineStr"><is><t>${xml(c)}</t></is></c>`).join('')}</row>`;
}

export const SHEET_START = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>';
export const SHEET_END = '</sheetData></worksheet>';

/** The parts around a sheet: a workbook whose first (and only) sheet it is, and its shared strings if given. */
export function workbookParts(sheet: Omit<ZipPart, 'name'>, sharedStrings?: Omit<ZipPart, 'name'>): ZipPart[] {
  const strings: ZipPart[] = sharedStrings ? [{ name: 'xl/sharedStrings.xml', ...sharedStrings }] : [];
  return [
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    },
    {
      name: 'xl/workbook.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
        '<sheets><sheet name="走访" sheetId="1" r:id="rId1"/></sheets></workbook>',
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
        (sharedStrings ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' : '') +
        '</Relationships>',
    },
    // as Excel writes them: the sheet before the shared strings it refers to
    { name: 'xl/worksheets/sheet1.xml', ...sheet },
    ...strings,
  ];
}

/** A workbook whose one sheet holds these rows (XML of `sheetRow`). */
export function xlsxOfRows(rows: string[]): Buffer {
  return zip(workbookParts({ data: SHEET_START + rows.join('') + SHEET_END }));
}

/**
 * A zip bomb: a sheet of `header` then the same data row repeated until it is `inflated` bytes,
 * deflated once per MiB with a full flush so that the blocks can be repeated without deflating
 * the whole (a 916 MB sheet is made in milliseconds). Its zip header tells the truth about the
 * size unless `declaredSize` says otherwise. The CRC is not computed: the reader must refuse the
 * file before it could check one.
 */
export function zipBomb(header: string[], row: string[], inflated: number, declaredSize?: number): Buffer {
  const head = Buffer.from(SHEET_START + sheetRow(1, header, { r: false }));
  const one = sheetRow(2, row, { r: false });
  const block = Buffer.from(one.repeat(Math.floor(2 ** 20 / one.length)));
  const repeats = Math.max(1, Math.floor((inflated - head.length) / block.length));
  const flushed = (b: Buffer) => deflateRawSync(b, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  // the same flushed block, repeated: each starts afresh (full flush), so the stream stays valid
  const body = Buffer.concat([flushed(head), ...new Array<Buffer>(repeats).fill(flushed(block)), deflateRawSync(Buffer.from(SHEET_END))]);
  const size = head.length + repeats * block.length + SHEET_END.length;
  return zip(workbookParts({ data: Buffer.alloc(0), deflated: body, declaredSize: declaredSize ?? size }));
}
