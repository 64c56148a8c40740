import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { ExtractRejected } from '../../src/errors.js';
import { openExtract, type ExtractRecord } from '../../src/ingest/read-extract.js';
import { isDateFormat, numberText, serialToDate } from '../../src/ingest/xlsx-records.js';
import { workbookParts, zip, zipBomb } from '../helpers/hostile-xlsx.js';

/**
 * A department's XLSX extract read through openExtract: the same records a CSV of the same
 * table gives, with the cells Excel stores as numbers marked, dates as dates, and a workbook
 * that cannot be trusted refused whole.
 */

const dir = mkdtemp(join(tmpdir(), 'safetynet-xlsx-extract-'));

async function saved(name: string, build: (wb: ExcelJS.Workbook) => void): Promise<string> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  const path = join(await dir, name);
  await wb.xlsx.writeFile(path);
  return path;
}

async function written(name: string, bytes: Buffer): Promise<string> {
  const path = join(await dir, name);
  await writeFile(path, bytes);
  return path;
}

async function readAll(path: string, file = 'health.xlsx') {
  const ex = await openExtract(path, file);
  let batches = 0;
  const records: ExtractRecord[] = [];
  for await (const batch of ex.batches) {
    batches++;
    records.push(...batch);
  }
  return { format: ex.format, encoding: ex.encoding, header: ex.header, records, batches, sha256: ex.sha256() };
}

async function refusal(path: string, file = 'health.xlsx'): Promise<ExtractRejected> {
  const err = await readAll(path, file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractRejected);
  expect((err as ExtractRejected).location.file).toBe(file);
  return err as ExtractRejected;
}

const utcDate = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));
const HEADER = ['身份证号', '姓名', '诊断编码', '病种类别', '登记日期', '自付金额', '是否在册'];

/** a health extract as a department's clerk makes it: a title row left blank, Excel dates, an ID column partly typed as numbers */
function healthWorkbook(wb: ExcelJS.Workbook): void {
  const ws = wb.addWorksheet('卫健');
  ws.getRow(2).values = HEADER;
  ws.getRow(3).values = ['11010119900101123X', '张伟', 'N18.5', '慢性病', utcDate(2026, 10, 5), 800.0000000000001, '是'];
  // the ID typed into a General cell: Excel keeps 1.10101199001011E+17
  ws.getRow(4).values = [110101199001011237, '李娜', 'I10', '慢病', utcDate(2026, 9, 30), 0.1 + 0.2, '否'];
  ws.getCell('E4').numFmt = 'yyyy"年"m"月"d"日"';
  // a row with formatting and no text: skipped, as a CSV's empty line is
  ws.getCell('A5').numFmt = '@';
  ws.getCell('B5').value = '  ';
  ws.getRow(6).values = [
    { formula: 'CONCATENATE("4201061955","0606009X")', result: '42010619550606009X' },
    '王芳',
    'E11.9',
    { formula: 'IF(1,"慢性病","")', result: '慢性病' },
    '2026-10-01',
    { formula: '1000+500', result: 1500 },
    true,
  ];
  ws.getCell('F6').numFmt = '#,##0.00';
  // a note beside the table makes its row one field too many, as a stray comma in a CSV
  ws.getRow(7).values = ['110101198001011233', '赵六', 'J44', '慢性病', null, 12, false, '备注：待核实'];
}

describe('an XLSX extract', () => {
  it('reads the first non-empty row as the header and each data row with its sheet row number', async () => {
    const r = await readAll(await saved('health.xlsx', healthWorkbook));
    expect(r.format).toBe('xlsx');
    expect(r.encoding).toBe('xlsx');
    expect(r.header).toEqual(HEADER);
    expect(r.records).toEqual([
      { line: 3, fields: ['11010119900101123X', '张伟', 'N18.5', '慢性病', '2026-10-05', '800', '是'], numericCells: [5] },
      { line: 4, fields: ['110101199001011000', '李娜', 'I10', '慢病', '2026-09-30', '0.3', '否'], numericCells: [0, 5] },
      { line: 6, fields: ['42010619550606009X', '王芳', 'E11.9', '慢性病', '2026-10-01', '1500', 'true'], numericCells: [5] },
      { line: 7, fields: ['110101198001011233', '赵六', 'J44', '慢性病', '', '12', 'false', '备注：待核实'], numericCells: [5] },
    ]);
  });

  it('hashes the file as given', async () => {
    const path = await saved('hashed.xlsx', healthWorkbook);
    expect((await readAll(path)).sha256).toBe(createHash('sha256').update(await readFile(path)).digest('hex'));
  });

  it('reads dates of a workbook saved in the 1904 date system (old Mac Excel) as the same dates', async () => {
    const r = await readAll(
      await saved('1904.xlsx', (wb) => {
        wb.properties.date1904 = true;
        const ws = wb.addWorksheet('残联');
        ws.addRow(['身份证号', '发证日期']);
        ws.addRow(['11010119900101123X', utcDate(2026, 10, 5)]);
        ws.addRow(['11010119900101123X', utcDate(1999, 12, 31)]);
      }),
    );
    expect(r.records.map((x) => x.fields[1])).toEqual(['2026-10-05', '1999-12-31']);
  });

  it('reads the first visible worksheet: a hidden sheet of codes before it is skipped', async () => {
    const r = await readAll(
      await saved('hidden.xlsx', (wb) => {
        const codes = wb.addWorksheet('代码表');
        codes.state = 'hidden';
        codes.addRow(['代码', '名称']);
        const data = wb.addWorksheet('数据');
        data.addRow(['身份证号', '姓名']);
        data.addRow(['11010119900101123X', '张伟']);
      }),
    );
    expect(r.header).toEqual(['身份证号', '姓名']);
    expect(r.records).toEqual([{ line: 2, fields: ['11010119900101123X', '张伟'] }]);
  });

  it('hands the rows over in batches as the sheet is inflated, not all at the end', async () => {
    const rows = 5_000;
    const r = await readAll(
      await saved('many.xlsx', (wb) => {
        const ws = wb.addWorksheet('医保');
        ws.addRow(['身份证号', '金额']);
        for (let i = 0; i < rows; i++) ws.addRow([`4201061955060${String(i).padStart(5, '0')}`, i + 0.5]);
      }),
    );
    expect(r.records.length).toBe(rows);
    expect(r.records.at(-1)).toEqual({ line: rows + 1, fields: [`4201061955060${String(rows - 1).padStart(5, '0')}`, `${rows - 0.5}`], numericCells: [1] });
    // some 450 KB of sheet XML, inflated 64 KiB at a time
    expect(r.batches).toBeGreaterThanOrEqual(5);
  });

  it('is refused whole when it cannot be trusted, naming the file', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4096)]);
    expect((await refusal(await written('encrypted.xlsx', ole))).problem).toMatch(/^the workbook is encrypted with a password .*save it as an \.xlsx workbook without a password; the file was refused whole/);

    const whole = await readFile(await saved('whole.xlsx', healthWorkbook));
    expect((await refusal(await written('cut.xlsx', whole.subarray(0, whole.length - 40)))).problem).toMatch(/^not an XLSX workbook \(no zip directory/);
    expect((await refusal(await written('renamed.xlsx', Buffer.from('身份证号,姓名\n11010119900101123X,张伟\n')))).problem).toMatch(/^not an XLSX workbook/);

    // 916 MB of sheet from a few MB of file: refused before a byte of it is inflated
    const bomb = zipBomb(['身份证号', '姓名'], ['11010119900101123X', '张伟'], 916e6);
    expect((await refusal(await written('bomb.xlsx', bomb))).problem).toMatch(/^xl\/worksheets\/sheet1\.xml inflates to more than 100 times .*: a zip bomb; the file was refused whole/);
    // the same whose zip header says it is small: refused as soon as it inflates past its word
    const liar = zipBomb(['身份证号', '姓名'], ['11010119900101123X', '张伟'], 50e6, 4096);
    expect((await refusal(await written('liar.xlsx', liar))).problem).toMatch(/inflates to more than the 4096 bytes its zip header declares \(a zip bomb\)/);

    const noSheet = workbookParts({ data: '' }).map((p) =>
      p.name === 'xl/workbook.xml' ? { ...p, data: '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>' } : p,
    );
    expect((await refusal(await written('no-sheet.xlsx', zip(noSheet)))).problem).toMatch(/^the workbook has no visible worksheet to read/);

    const empty = await saved('empty.xlsx', (wb) => void wb.addWorksheet('空'));
    expect((await refusal(empty)).problem).toMatch(/first worksheet is empty: no header row/);
  });
});

describe("a cell's text", () => {
  it('is a number as Excel shows it: 15 significant digits, never an exponent', () => {
    expect(numberText(800.0000000000001)).toBe('800');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(1234.5)).toBe('1234.5');
    expect(numberText(-0)).toBe('0');
    expect(numberText(-42)).toBe('-42');
    expect(numberText(110101199001011237)).toBe('110101199001011000');
    expect(numberText(12345678901234567)).toBe('12345678901234600');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(1.5e-7)).toBe('0.00000015');
  });

  it('is a date for a day count in a date format, in either date system', () => {
    expect(serialToDate(1, false)).toBe('1900-01-01');
    expect(serialToDate(59, false)).toBe('1900-02-28');
    expect(serialToDate(61, false)).toBe('1900-03-01');
    expect(serialToDate(46300, false)).toBe('2026-10-05');
    expect(serialToDate(46300.75, false)).toBe('2026-10-05');
    expect(serialToDate(46300 - 1462, true)).toBe('2026-10-05');
  });

  it('is a date when its custom number format shows a year, a month or a day', () => {
    for (const code of ['yyyy-mm-dd', 'yyyy"年"m"月"d"日"', '[$-804]yyyy/m/d', 'mmm-yy', 'd-mmm', 'yyyy/m/d h:mm']) expect(isDateFormat(code), code).toBe(true);
    for (const code of ['General', '0.00', '#,##0.00 "元"', '@', 'h:mm', '[h]:mm:ss', '0.00E+00', '"dd"0']) expect(isDateFormat(code), code).toBe(false);
  });
});

describe('a CSV extract', () => {
  it('says it is CSV and marks no numeric cells: its text is as typed', async () => {
    const path = join(await dir, 'health.csv');
    await writeFile(path, '身份证号,金额\n110101199001011237,800\n');
    const ex = await openExtract(path, 'health.csv');
    const records: ExtractRecord[] = [];
    for await (const r of ex.records) records.push(r);
    expect(ex.format).toBe('csv');
    expect(records).toEqual([{ line: 2, fields: ['110101199001011237', '800'] }]);
  });
});
