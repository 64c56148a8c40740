import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { COLUMNS, writeWarningList, writeWarningListJson, type ExportOptions } from '../../src/export/warning-list.js';
import { maskAddress, maskPhone } from '../../src/identity/id-number.js';
import { displayWidth, sheetName, writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/** The XLSX export on the fixture district, read back with exceljs and held against the CSV export. */

const INBOX = resolve('fixtures/district-a/inbox');
const PERIOD = '2026-10';
const config = parseConfig(undefined);
const test = useTestDatabase();
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-xlsx-'));
  for (const period of ['2026-09', PERIOD]) {
    await runPeriod({ database: test.handle, config, log: silentLog }, { inbox: INBOX, period });
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function exportXlsx(opts: Partial<ExportOptions> = {}): Promise<{ file: string; rows: number }> {
  const file = join(dir, `list-${files++}.xlsx`);
  const out = createWriteStream(file);
  const rows = await writeWarningListXlsx(test.handle.db, { period: PERIOD, ...opts }, out, silentLog);
  await finished(out);
  return { file, rows };
}

async function readWorkbook(file: string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb;
}

async function csvRecords(opts: Partial<ExportOptions> = {}): Promise<string[][]> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) });
  await writeWarningList(test.handle.db, { period: PERIOD, ...opts }, sink, silentLog);
  return parse(Buffer.concat(chunks).toString('utf8'), { bom: true }) as string[][];
}

/** A sheet's rows as the CSV writes them: numbers in their shortest form, text as is. */
function sheetRecords(ws: ExcelJS.Worksheet): string[][] {
  const out: string[][] = [];
  ws.eachRow((row) => {
    out.push(COLUMNS.map((_c, i) => String(row.getCell(i + 1).value ?? '')));
  });
  return out;
}

const HEADER_EN = COLUMNS.map(([en]) => en);
const HEADER_ZH = COLUMNS.map(([, cn]) => cn);
const col = (key: string) => COLUMNS.findIndex(([k]) => k === key) + 1;
/** A street's sheet: its code (no names in this inbox); people not on the roster (street 000) say so. */
const sheetOf = (street: string) => (street.endsWith('000') ? `${street} not on roster` : street);

describe('export --format xlsx', () => {
  it('holds a summary sheet, then one sheet per street with the CSV rows of that street in rank order', async () => {
    const { file, rows } = await exportXlsx();
    const [header, ...csv] = await csvRecords();
    expect(header).toEqual(HEADER_EN);
    expect(rows).toBe(csv.length);
    expect(rows).toBeGreaterThan(0);

    const streets = [...new Set(csv.map((r) => r[col('region_code') - 1]!.slice(0, 9)))].sort();
    expect(streets.length).toBeGreaterThan(1);
    const wb = await readWorkbook(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', ...streets.map(sheetOf)]);

    for (const street of streets) {
      const ws = wb.getWorksheet(sheetOf(street))!;
      const [sheetHeader, ...sheetRows] = sheetRecords(ws);
      expect(sheetHeader).toEqual(HEADER_EN);
      expect(sheetRows).toEqual(csv.filter((r) => r[col('region_code') - 1]!.startsWith(street)));
    }
  });

  it('writes ID numbers and codes as text, masked, and numbers as numbers', async () => {
    const wb = await readWorkbook((await exportXlsx()).file);
    let checked = 0;
    for (const ws of wb.worksheets.slice(1)) {
      ws.eachRow((row, n) => {
        if (n === 1) return;
        const id = row.getCell(col('head_id_number'));
        expect(id.type).toBe(ExcelJS.ValueType.String);
        // listed households' heads are the district's own; an audit visit may be anyone's, masked the same
        expect(id.value).toMatch(row.getCell(col('visit_kind')).value === 'audit' ? /^\d{6}\*{8}[0-9X]{4}$/ : /^420106\*{8}[0-9X]{4}$/);
        expect(id.numFmt).toBe('@');
        for (const key of ['household_id', 'region_code']) {
          const cell = row.getCell(col(key));
          expect(typeof cell.value).toBe('string');
          expect(cell.numFmt).toBe('@');
        }
        expect(row.getCell(col('region_code')).value).toMatch(/^\d{12}$/);
        // an audit visit is not on the list: no rank (an empty cell)
        const audit = row.getCell(col('visit_kind')).value === 'audit';
        if (audit) expect(row.getCell(col('rank')).value).toBeNull();
        for (const key of [...(audit ? [] : ['rank']), 'members', 'score', 'economic']) expect(typeof row.getCell(col(key)).value).toBe('number');
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('freezes the header row, filters on it, fits its columns and colours the tiers', async () => {
    const wb = await readWorkbook((await exportXlsx()).file);
    const fills = new Map<string, string>();
    for (const ws of wb.worksheets.slice(1)) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      // every column of the list, from rank to low_confidence (A..AD)
      expect(COLUMNS.length).toBe(30);
      expect(ws.autoFilter).toBe(`A1:AD1`);
      COLUMNS.forEach(([en], i) => expect(ws.getColumn(i + 1).width).toBeGreaterThanOrEqual(en.length));
      expect(ws.getColumn(col('head_id_number')).width).toBeGreaterThanOrEqual(18);
      ws.eachRow((row, n) => {
        // an audit visit is under the threshold: tier none, not coloured
        if (n === 1 || row.getCell(col('visit_kind')).value === 'audit') return;
        const tier = row.getCell(col('tier'));
        const fill = tier.fill as ExcelJS.FillPattern | undefined;
        expect(fill?.type, `tier ${String(tier.value)} has a fill`).toBe('pattern');
        fills.set(String(tier.value), fill!.fgColor!.argb!);
      });
    }
    // each tier its own colour
    expect(fills.size).toBeGreaterThan(1);
    expect(new Set(fills.values()).size).toBe(fills.size);
  });

  it('summarises the list per street and tier', async () => {
    // the listed households per street and tier; the audit visits that follow them, counted apart
    const [, ...all] = await csvRecords();
    const csv = all.filter((r) => r[col('visit_kind') - 1] === 'listed');
    const wb = await readWorkbook((await exportXlsx()).file);
    const summary = wb.getWorksheet('Summary')!;
    const cells: unknown[][] = [];
    summary.eachRow((row) => cells.push((row.values as unknown[]).slice(1)));
    expect(cells).toContainEqual(['Period', PERIOD]);
    expect(cells).toContainEqual(['Households', csv.length]);
    expect(all.length).toBeGreaterThan(csv.length);
    expect(cells).toContainEqual(["Audit visits (after each street's listed households)", all.length - csv.length]);
    const head = cells.findIndex((r) => r[0] === 'street');
    expect(head).toBeGreaterThan(0);
    const tiers = cells[head]!.slice(2) as string[];
    for (const r of cells.slice(head + 1, -1)) {
      // the street's code, then its name or the not-on-roster label
      const street = (r[0] as string).slice(0, 9);
      const mine = csv.filter((c) => c[col('region_code') - 1]!.startsWith(street));
      expect(r[1]).toBe(mine.length);
      tiers.forEach((t, i) => expect(r[i + 2]).toBe(mine.filter((c) => c[col('tier') - 1] === t).length));
    }
    expect(cells.at(-1)![0]).toBe('total');
    expect(cells.at(-1)![1]).toBe(csv.length);
  });

  it('uses the Chinese headers and tier words with --lang zh, coloured the same', async () => {
    const wb = await readWorkbook((await exportXlsx({ lang: 'zh' })).file);
    expect(wb.worksheets[0]!.name).toBe('汇总');
    const [, ...csv] = await csvRecords({ lang: 'zh' });
    let red = 0;
    for (const ws of wb.worksheets.slice(1)) {
      const [header, ...rows] = sheetRecords(ws);
      expect(header).toEqual(HEADER_ZH);
      expect(rows).toEqual(csv.filter((r) => r[col('region_code') - 1]!.startsWith(ws.name.slice(0, 9))));
      ws.eachRow((row, n) => {
        const tier = row.getCell(col('tier'));
        if (n > 1 && tier.value === '红色') {
          expect((tier.fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFE53935');
          red++;
        }
      });
    }
    expect(red).toBeGreaterThan(0);
  });

  it('keeps a --region selection to its streets, with the list ranks', async () => {
    const [, ...csv] = await csvRecords({ region: '420106001' });
    const { file, rows } = await exportXlsx({ region: '420106001' });
    expect(rows).toBe(csv.length);
    const wb = await readWorkbook(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', '420106001']);
    expect(sheetRecords(wb.worksheets[1]!).slice(1)).toEqual(csv);
  });

  it('is reproducible: the same data gives the same bytes', async () => {
    const a = await readFile((await exportXlsx()).file);
    const b = await readFile((await exportXlsx()).file);
    expect(a.equals(b)).toBe(true);
  });

  it('refuses a period that has not been run, before writing a byte', async () => {
    let bytes = 0;
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) });
    await expect(writeWarningListXlsx(test.handle.db, { period: '2027-01' }, sink, silentLog)).rejects.toBeInstanceOf(UsageError);
    expect(bytes).toBe(0);
  });

  it('neutralises text a spreadsheet would run as a formula', async () => {
    const [, first] = await csvRecords();
    const id = first![col('household_id') - 1]!;
    // the household's version in force in the period (migration 0028)
    await sql`update household_version set head_name = '=HYPERLINK("http://x")'
              where household_id = ${id} and valid_from <= ${PERIOD} and (valid_until is null or valid_until > ${PERIOD})`.execute(test.handle.db);
    const wb = await readWorkbook((await exportXlsx({ unmasked: true })).file);
    const names: unknown[] = [];
    for (const ws of wb.worksheets.slice(1)) ws.eachRow((row) => names.push(row.getCell(col('head_name')).value));
    expect(names).toContain(`'=HYPERLINK("http://x")`);
    expect(names.every((n) => typeof n === 'string')).toBe(true);
  });
});

describe('the list against last month', () => {
  const byId = (records: string[][]) => new Map(records.map((r) => [r[col('household_id') - 1]!, r]));
  const at = (r: string[] | undefined, key: string) => r?.[col(key) - 1];

  it('marks "new" a household on the list that was not on last month\'s, even when it was scored then, with its previous score and no previous rank', async () => {
    // WC006: scored in September under the line (income 6,000), listed in October (income 1,500, unemployed)
    const september = byId((await csvRecords({ period: '2026-09', all: true })).slice(1));
    const listedThen = byId((await csvRecords({ period: '2026-09' })).slice(1));
    expect(september.has('WC006')).toBe(true);
    expect(listedThen.has('WC006')).toBe(false);
    const october = byId((await csvRecords()).slice(1));
    const wc006 = october.get('WC006');
    expect(at(wc006, 'change')).toBe('new');
    expect(at(wc006, 'previous_score')).toBe(at(september.get('WC006'), 'score'));
    expect(at(wc006, 'previous_rank')).toBe('');
    const stored = await test.handle.db.selectFrom('household_score').select('change').where('period', '=', PERIOD).where('household_id', '=', 'WC006').executeTakeFirstOrThrow();
    expect(stored.change).toBe('new');
  });

  it('compares a household listed both months with its score and its rank on last month\'s list', async () => {
    const listedThen = byId((await csvRecords({ period: '2026-09', audit: false })).slice(1));
    const october = (await csvRecords({ audit: false })).slice(1);
    let compared = 0;
    for (const r of october) {
      const before = listedThen.get(at(r, 'household_id')!);
      if (!before) {
        expect(at(r, 'change'), at(r, 'household_id')).toBe('new');
        expect(at(r, 'previous_rank')).toBe('');
        continue;
      }
      compared++;
      expect(at(r, 'previous_rank')).toBe(at(before, 'rank'));
      expect(at(r, 'previous_score')).toBe(at(before, 'score'));
      const delta = Number(at(r, 'score')) - Number(at(before, 'score'));
      expect(at(r, 'change'), at(r, 'household_id')).toBe(delta >= 1 ? 'up' : delta <= -1 ? 'down' : 'same');
    }
    expect(compared).toBeGreaterThan(5);
    // WC010 (dibao, a severe diagnosis and a hospital bill in October): rank 10 in September, up
    expect(at(byId(october).get('WC010'), 'change')).toBe('up');
    expect(at(byId(october).get('WC010'), 'previous_rank')).toBe(at(listedThen.get('WC010'), 'rank'));
  });

  it('numbers the previous rank as a --region list numbers its ranks: within the region', async () => {
    const region = '420106001';
    const listedThen = byId((await csvRecords({ period: '2026-09', region })).slice(1));
    const october = (await csvRecords({ region })).slice(1);
    expect(october.some((r) => at(r, 'previous_rank') !== '' && at(r, 'previous_rank') !== at(listedThen.get(at(r, 'household_id')!), 'rank'))).toBe(false);
    expect(october.filter((r) => at(r, 'previous_rank') !== '').length).toBeGreaterThan(0);
  });

  it('carries the previous score and rank in JSON (null when there is none) and in Chinese headers', async () => {
    const chunks: Buffer[] = [];
    await writeWarningListJson(test.handle.db, { period: PERIOD }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    const rows = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.find((r) => r.household_id === 'WC006')).toMatchObject({ change: 'new', previous_rank: null, previous_score: expect.any(Number) });
    expect(rows.find((r) => r.household_id === 'WC060')).toMatchObject({ change: 'new', previous_rank: null, previous_score: null });
    expect(rows.find((r) => r.household_id === 'WC001')).toMatchObject({ change: 'same', previous_rank: 1, previous_score: 72 });
    const [header] = await csvRecords({ lang: 'zh' });
    expect(header!.slice(-10)).toEqual(['上月得分', '上月排名', '住址', '联系电话', '区划名称', '入户核查财产', '数据指向部门数', '数据指向部门', '走访类型', '数据陈旧可信度低']);
  });
});

describe('address and phone for the visit', () => {
  const roster = async (period = PERIOD) =>
    new Map(
      (await test.handle.db.selectFrom('household').select(['household_id', 'address', 'phone']).where('period', '=', period).execute()).map((h) => [
        h.household_id,
        h,
      ]),
    );
  const contacts = (records: string[][]) => records.slice(1).map((r) => ({ id: r[col('household_id') - 1]!, address: r[col('address') - 1]!, phone: r[col('phone') - 1]! }));

  it('masks them as the masked views do in a district-wide list', async () => {
    const households = await roster();
    const shown = contacts(await csvRecords());
    expect(shown.some((c) => c.address.endsWith('…'))).toBe(true);
    expect(shown.some((c) => /^\d{3}\*{4}\d{4}$/.test(c.phone))).toBe(true);
    for (const c of shown) {
      const h = households.get(c.id)!;
      expect(c.address).toBe(h.address === null ? '' : maskAddress(h.address));
      expect(c.phone).toBe(h.phone === null ? '' : maskPhone(h.phone));
    }
    // the JavaScript masks are the views' masks, on every address and phone of the district
    const { rows } = await sql<{ address: string | null; phone: string | null; masked_address: string | null; masked_phone: string | null }>`
      select address, phone, safetynet_mask_address(address) as masked_address, safetynet_mask_phone(phone) as masked_phone from household
    `.execute(test.handle.db);
    for (const r of rows) {
      if (r.address !== null) expect(maskAddress(r.address)).toBe(r.masked_address);
      if (r.phone !== null) expect(maskPhone(r.phone)).toBe(r.masked_phone);
    }
  });

  it('shows them in clear to a street or a community, and when unmasked; XLSX as CSV', async () => {
    const households = await roster();
    const community = (await csvRecords({ region: '420106001' }))[1]![col('region_code') - 1]!;
    for (const opts of [{ region: '420106001' }, { region: community }, { unmasked: true }] as Partial<ExportOptions>[]) {
      const records = await csvRecords(opts);
      const shown = contacts(records);
      expect(shown.length).toBeGreaterThan(0);
      for (const c of shown) {
        const h = households.get(c.id)!;
        expect(c.address, JSON.stringify(opts)).toBe(h.address ?? '');
        expect(c.phone, JSON.stringify(opts)).toBe(h.phone ?? '');
      }
      expect(shown.some((c) => c.address.length > 6 && !c.address.endsWith('…'))).toBe(true);
      const wb = await readWorkbook((await exportXlsx(opts)).file);
      // the CSV wraps a whole ID number as ="…" so that a spreadsheet keeps it text; XLSX has a text cell
      const asText = (r: string[]) => r.map((v) => v.replace(/^="(\d+)"$/, '$1'));
      expect(wb.worksheets.slice(1).flatMap((ws) => sheetRecords(ws).slice(1))).toEqual(
        records.slice(1).map(asText).sort((a, b) => a[col('region_code') - 1]!.slice(0, 9).localeCompare(b[col('region_code') - 1]!.slice(0, 9))),
      );
    }
  });
});

describe('sheet names and widths', () => {
  it('keeps sheet names within what Excel accepts', () => {
    const taken = new Set<string>(['summary']);
    expect(sheetName('420106001', taken)).toBe('420106001');
    expect(sheetName('420106001', taken)).toBe('420106001 (2)');
    expect(sheetName('a/b:c*d?e[f]g\\h', taken)).toBe('a_b_c_d_e_f_g_h');
    expect(sheetName('x'.repeat(40), taken)).toHaveLength(31);
    expect(sheetName('Summary', taken)).toBe('Summary (2)');
  });

  it('counts CJK characters double', () => {
    expect(displayWidth('rank')).toBe(4);
    expect(displayWidth('户主身份证号')).toBe(12);
  });
});
