import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';
import { useScratchDatabase } from '../helpers/database.js';
import { zipBomb } from '../helpers/hostile-xlsx.js';
import { CLAIMS_HEADER, encode } from '../helpers/inbox.js';

/**
 * The loop from the street back to the list, as an analyst runs it on the shipped district:
 * visit reports in, the list's precision, a calibration that refuses too few outcomes, a night's
 * claims raising an urgent warning, and the identity review list.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const db = useScratchDatabase('loop');
const env = () => ({ DATABASE_URL: db.url });

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    const r = await cli(['run', '--inbox', INBOX, '--period', period, '--no-export'], env());
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('safetynet visits, quality, calibrate', () => {
  it('imports a report, answers with the precision of the list, and will not calibrate on two outcomes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-'));
    const report = join(dir, 'street-001.csv');
    await writeFile(
      report,
      encode({
        rows: [
          ['户编号', '走访日期', '走访结果', '救助金额', '备注'],
          ['WC001', '2026-10-05', '纳入低保', '1050', ''],
          ['WC002', '2026-10-06', '不符合条件', '', '子女赡养'],
          ['WC003', '2026-10-07', '回头再说', '', ''],
        ],
      }),
    );
    const imported = await cli(['visits', 'import', report, '--json'], env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows_read: 3, rows_loaded: 2, rows_rejected: 1, rows_duplicate: 0 });

    const quality = await cli(['quality', '--period', '2026-09', '--json'], env());
    expect(quality.code, quality.stderr).toBe(0);
    const all = JSON.parse(quality.stdout.split('\n')[0]!);
    expect(all).toMatchObject({ period: '2026-09', group: 'all', listed: 7, visited: 2, assisted: 1, not_eligible: 1, precision: 0.5 });

    const calibrate = await cli(['calibrate', '--out', join(dir, 'proposed.json')], env());
    expect(calibrate.code).toBe(2);
    expect(calibrate.stderr).toContain('not enough settled visits to calibrate on: 2 (1 assisted, 1 not eligible)');
  });
});

describe('safetynet visits import: a workbook that cannot be trusted', () => {
  it('refuses a zip bomb with exit code 3 under the CLI\'s heap cap, importing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-bomb-'));
    const bomb = join(dir, 'street-009.xlsx');
    await writeFile(bomb, zipBomb(['户编号', '走访日期', '走访结果'], ['WC001', '2026-10-05', '不符合条件'], 916e6));
    const r = await cli(['visits', 'import', bomb], { ...env(), NODE_OPTIONS: '--max-old-space-size=160' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/street-009\.xlsx: the workbook inflates to 87\d\.\d MiB, over the 100 MiB a visit report may hold \(a zip bomb, or send it as CSV\); the file was refused whole, nothing was imported/);
    expect(r.stdout).toBe('');
  });
});

describe('safetynet nightly', () => {
  it('raises an urgent warning the same night for a large inpatient bill, once', async () => {
    // a person of the shipped roster (2026-10 is UTF-8 with English headers)
    const roster = parse(await readFile(join(INBOX, '2026-10', 'civil-affairs.csv')), { columns: true, bom: true }) as Record<string, string>[];
    const person = roster.find((r) => r.household_id === 'WC021')!;
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-night-'));
    await mkdir(join(inbox, 'daily', '2026-11-03'), { recursive: true });
    await writeFile(
      join(inbox, 'daily', '2026-11-03', 'medical-insurance.csv'),
      encode({ rows: [CLAIMS_HEADER, ['N-1103-1', person.id_number!, person.name!, '2026-11-03', '是', 200000, 120000, '', 80000]] }),
    );
    const night = await cli(['nightly', '--inbox', inbox, '--json'], env());
    expect(night.code, night.stderr).toBe(0);
    expect(JSON.parse(night.stdout.trim())).toMatchObject({ day: '2026-11-03', base_period: '2026-10', households_touched: 1, urgent_raised: 1 });
    // everything delivered has run: a second night finds nothing due; a forced rerun raises nothing new
    expect((await cli(['nightly', '--inbox', inbox, '--json'], env())).stdout).toBe('');
    const rerun = await cli(['nightly', '--inbox', inbox, '--day', '2026-11-03'], env());
    expect(rerun.stdout).toContain('0 urgent warnings raised (1 raised before)');

    expect((await cli(['nightly'], env())).code).toBe(2); // no inbox given or configured
    expect((await cli(['nightly', '--inbox', inbox, '--day', '2026-11-31'], env())).code).toBe(2);
  });
});

describe('safetynet review', () => {
  it('lists nothing to review on the shipped district, and refuses an item that is not on the list', async () => {
    const list = await cli(['review', '--period', '2026-10'], env());
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('no identity rescue item waits for review in 2026-10');
    const bad = await cli(['review', '--period', '2026-10', '--confirm', 'health:999', '--candidate', '1'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no identity rescue item health:999 in 2026-10');
  });
});

describe('output a person can use', () => {
  it('refuses to pour a workbook onto a terminal, and writes it down a pipe', async () => {
    // `script` gives the CLI a terminal for stdout, as a person typing the command has
    const node = [process.execPath, '--import', 'tsx', 'src/main.ts', 'export', '--period', '2026-10', '--format', 'xlsx'].join(' ');
    const onTerminal = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('script', ['-qefc', node, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env(), SAFETYNET_HOME: undefined } }, (err, stdout) =>
        resolve({ code: err ? Number(err.code) : 0, out: stdout }),
      ),
    );
    expect(onTerminal.code).toBe(2);
    expect(onTerminal.out).toContain('--format xlsx writes a binary workbook: give --out FILE.xlsx (or pipe stdout into a file)');
    expect(onTerminal.out).not.toContain('PK\u0003\u0004');
    const piped = await cli(['export', '--period', '2026-10', '--format', 'xlsx'], env());
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.startsWith('PK\u0003\u0004')).toBe(true);
  });

  it('refuses to write the HTML report into a file named .pdf, writing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-report-'));
    const r = await cli(['report', '--period', '2026-10', '--out', join(dir, 'r.pdf')], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('r.pdf: the report is one HTML file, give a name ending .html (print it to PDF from the browser if a PDF is needed)');
    await expect(readFile(join(dir, 'r.pdf'))).rejects.toThrow(/ENOENT/);
    const ok = await cli(['report', '--period', '2026-10', '--out', join(dir, 'r.html')], env());
    expect(ok.code, ok.stderr).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('safetynet visits import: a report as a street office writes it', () => {
  it('reads Chinese dates, amounts in 元 and the office\'s outcome words, prints each rejected row and writes them as CSV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-street-'));
    const report = join(dir, 'street-002.csv');
    await writeFile(
      report,
      encode({
        rows: [
          ['户编号', '走访日期', '走访结果', '救助金额', '备注'],
          ['WC004', '2026年10月7日', '符合条件待审批', '', '已递交低保申请'],
          ['WC005', '2026.10.8', '给予临时救助', '800元', ''],
          ['WC006', '2026年10月09日', '符合条件，待审批', '¥1,050.00', ''],
          ['WC007', '2026-10-10', '已纳入低保', '800.00 元', ''],
          ['WC008', '2026年13月1日', '拒绝入户', '', ''],
          ['WC009', '2026-10-11', '再看看', '八百', ''],
        ],
        encoding: 'gb18030',
      }),
    );
    const rejects = join(dir, 'street-002-rejected.csv');
    const r = await cli(['visits', 'import', report, '--rejects-out', rejects], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('street-002.csv: 6 rows, 4 visits imported, 2 rejected:\n');
    expect(r.stdout).toContain('  line 6, 走访日期: 走访日期: "2026年13月1日" is not a date (2026-11-07, 20261107, 2026/11/7, 2026.11.7 or 2026年11月7日)\n');
    expect(r.stdout).toContain('  line 7, 走访结果, 救助金额: 走访结果: a value of 3 characters is not a known visit outcome (assisted_dibao, ');
    expect(r.stdout).toContain('; 救助金额: not an amount in yuan (digits, up to 2 decimals)\n');
    expect(r.stdout).toContain(`the rejected rows, each with its line, column and reason: ${rejects}`);
    const [header, ...rows] = parse(await readFile(rejects, 'utf8'), { bom: true }) as string[][];
    expect(header).toEqual(['line', 'column', 'reason', '户编号', '走访日期', '走访结果', '救助金额', '备注']);
    expect(rows.map((row) => [row[0], row[1], ...row.slice(3)])).toEqual([
      ['6', '走访日期', 'WC008', '2026年13月1日', '拒绝入户', '', ''],
      ['7', '走访结果, 救助金额', 'WC009', '2026-10-11', '再看看', '八百', ''],
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('safetynet visits template', () => {
  it('writes a blank report with an outcome drop-down and an example row, which visits import reads once filled in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-template-'));
    const template = join(dir, '走访情况表.xlsx');
    const r = await cli(['visits', 'template', '--out', template], env());
    expect(r.code, r.stderr).toBe(0);
    expect((await cli(['visits', 'template', '--out', join(dir, 't.csv')], env())).code).toBe(2);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(template);
    const ws = wb.worksheets[0]!;
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(['户编号', '走访日期', '走访结果', '救助金额', '备注']);
    expect(ws.getRow(2).getCell(5).value).toBe('示例行：填写前请删除');
    const list = ws.getCell('C3').dataValidation;
    expect(list).toMatchObject({ type: 'list', errorStyle: 'warning' });
    expect(list.formulae![0]).toBe('"纳入低保,纳入特困,临时救助,医疗救助,其他帮扶,不符合条件,拒绝,未找到,已搬迁,符合条件待审批"');
    // the street office replaces the example with its visit
    ws.getRow(2).values = ['WC010', new Date(Date.UTC(2026, 9, 12)), '符合条件待审批', 600, ''];
    await wb.xlsx.writeFile(template);
    const imported = await cli(['visits', 'import', template, '--json'], env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows_read: 1, rows_loaded: 1, rows_rejected: 0 });
    await rm(dir, { recursive: true, force: true });
  });
});
