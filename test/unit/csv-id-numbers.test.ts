import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { idNumberCell, streamCsv } from '../../src/export/stream-rows.js';
import { neutraliseFormula } from '../../src/export/warning-list.js';
import { useScratchDirs } from '../helpers/faults.js';

const run = promisify(execFile);
const scratch = useScratchDirs();

// an 18-digit number, one with the X check digit, a masked one, an old 15-digit one
const IDS = ['420106197403123739', '42010619800101002X', '420106********3739', '420106740312373'];
// what a sender could put in a text column next to it
const HOSTILE = '=cmd|\'/C calc\'!A0';

/** The cells as the warning list and the urgent list write them: the ID through idNumberCell, text neutralised. */
async function csvOf(): Promise<string> {
  async function* entries() {
    for (const id of IDS) yield { id, note: HOSTILE };
  }
  const chunks: Buffer[] = [];
  await streamCsv(entries(), ['head_id_number', 'note'], (e) => [idNumberCell(neutraliseFormula(e.id)), neutraliseFormula(e.note)], new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks).toString('utf8');
}

const soffice = await run('soffice', ['--version']).then(() => true, () => false);

describe('ID numbers in a CSV opened in a spreadsheet', () => {
  it('writes an all-digit ID number as ="…" and leaves text (masked, X) and hostile text as they were', async () => {
    const lines = (await csvOf()).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines.slice(1)).toEqual([
      `"=""420106197403123739""",'=cmd|'/C calc'!A0`,
      `42010619800101002X,'=cmd|'/C calc'!A0`,
      `420106********3739,'=cmd|'/C calc'!A0`,
      `"=""420106740312373""",'=cmd|'/C calc'!A0`,
    ]);
    // the wrapper takes digits only: a value that could close the quote is never wrapped
    expect(idNumberCell('1" & cmd & "')).toBe('1" & cmd & "');
    expect(idNumberCell('')).toBe('');
  });

  // LibreOffice Calc is 270 MB: CI does not install it (.ci/run); this runs where it is installed
  it.skipIf(!soffice)('LibreOffice opens the CSV with every ID number exact and the hostile text as text', async () => {
    const dir = await scratch('csv-ids');
    const csv = join(dir, 'list.csv');
    await writeFile(csv, await csvOf());
    // UTF-8 and otherwise LibreOffice's defaults for a CSV, as a person opening the file gets them
    await run('soffice', ['--headless', `-env:UserInstallation=file://${join(dir, 'profile')}`, '--infilter=CSV:44,34,76,1', '--convert-to', 'xlsx', '--outdir', dir, csv], { timeout: 120_000 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(dir, 'list.xlsx'));
    const ws = wb.worksheets[0]!;
    const shown = (row: number, col: number) => {
      const cell = ws.getRow(row).getCell(col);
      return cell.type === ExcelJS.ValueType.Formula ? (cell.result as unknown) : cell.value;
    };
    expect(IDS.map((_, i) => shown(i + 2, 1))).toEqual(IDS);
    expect(IDS.map((_, i) => shown(i + 2, 2))).toEqual(IDS.map(() => `'${HOSTILE}`));
  });
});
