import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';
import { useScratchDatabase } from '../helpers/database.js';

/**
 * A bureau whose departments send workbooks and name their columns their own way runs through
 * config alone: the fixture's first month, with the health and medical-insurance extracts
 * turned into XLSX (dates as Excel dates, ID numbers as text) and the health office's ID
 * column headed `证件号码`, gives the very list the CSV month gives.
 */

const FIXTURE = join(ROOT, 'fixtures', 'district-a');
const PERIOD = '2026-09';

/** `20251008` or `2025-10-08` as the Excel date a department's workbook holds */
const asDate = (s: string): Date | string => {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(s.trim());
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : s;
};

async function csvToWorkbook(csv: string, xlsx: string, dateColumns: RegExp, renameId?: string): Promise<void> {
  const rows: string[][] = parse(await readFile(csv), { bom: true, relax_column_count: true });
  const header = rows[0]!.map((h) => h.trim());
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('导出数据');
  ws.addRow(header.map((h) => (renameId && /^id_number$/i.test(h) ? renameId : h)));
  for (const r of rows.slice(1)) ws.addRow(r.map((v, i) => (dateColumns.test(header[i]!) && v.trim() ? asDate(v) : v)));
  // the ID column as text, as a department that knows Excel sends it
  ws.getColumn(header.findIndex((h) => /^id_number$/i.test(h)) + 1).numFmt = '@';
  await wb.xlsx.writeFile(xlsx);
}

describe('a month of workbooks with a bureau’s own headers', () => {
  const csvDb = useScratchDatabase('xlsxcsv');
  const xlsxDb = useScratchDatabase('xlsxxlsx');
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('is read through config alone and lists what the CSV month lists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-xlsx-month-'));
    dirs.push(dir);
    const csvInbox = join(dir, 'csv');
    const xlsxInbox = join(dir, 'xlsx');
    await cp(join(FIXTURE, 'inbox', PERIOD), join(csvInbox, PERIOD), { recursive: true });
    await cp(join(FIXTURE, 'inbox', 'dibao-standards.csv'), join(csvInbox, 'dibao-standards.csv'));
    await cp(csvInbox, xlsxInbox, { recursive: true });
    const month = join(xlsxInbox, PERIOD);
    // the manifest names the CSV files; a department sending workbooks sends none
    await rm(join(month, 'manifest.json'));
    await csvToWorkbook(join(month, 'health.csv'), join(month, 'health.xlsx'), /recorded_on/i, '证件号码');
    await csvToWorkbook(join(month, 'medical-insurance.csv'), join(month, 'medical-insurance.xlsx'), /settled_on/i);
    await rm(join(month, 'health.csv'));
    await rm(join(month, 'medical-insurance.csv'));

    const plain = join(dir, 'plain.json');
    await writeFile(plain, '{}');
    const bureau = join(dir, 'bureau.json');
    await writeFile(bureau, JSON.stringify({ departments: { health: { columns: { id_number: { aliases: ['证件号码'] } } } } }));

    const byCsv = await cli(['--home', join(dir, 'home-csv'), '--config', plain, 'run', '--inbox', csvInbox, '--period', PERIOD], { DATABASE_URL: csvDb.url });
    expect(byCsv.code, byCsv.stderr).toBe(0);

    // without the bureau's alias the health workbook is refused whole, and says what it accepts
    const refused = await cli(['--home', join(dir, 'home-refused'), '--config', plain, 'run', '--inbox', xlsxInbox, '--period', PERIOD], {
      DATABASE_URL: xlsxDb.url,
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('health.xlsx');
    expect(refused.stderr).toContain('证件号码');
    expect(refused.stderr).toContain('身份证号');

    const byXlsx = await cli(['--home', join(dir, 'home-xlsx'), '--config', bureau, 'run', '--inbox', xlsxInbox, '--period', PERIOD], {
      DATABASE_URL: xlsxDb.url,
    });
    expect(byXlsx.code, byXlsx.stderr).toBe(0);
    const list = (home: string) => readFile(join(dir, home, 'exports', `warning-list-${PERIOD}.csv`), 'utf8');
    const csvList = await list('home-csv');
    expect(csvList.split('\n').length).toBeGreaterThan(5);
    expect(await list('home-xlsx')).toBe(csvList);
  });
});
