import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDay } from '../../jobs/run-day.js';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { writeUrgentList } from '../../src/export/urgent-list.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { reportData } from '../../src/report/report-data.js';
import { fitLogistic, auc } from '../../src/visits/calibrate.js';
import { importVisits } from '../../src/visits/import-visits.js';
import { visitRow } from '../../src/visits/visit-report.js';
import { listPrecision } from '../../src/visits/list-precision.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { CLAIMS_HEADER, encode, makeId, makeInbox, type Table } from '../helpers/inbox.js';

/**
 * Issue 7 as a fixture: three months of a small street, the street office's visit reports after
 * the first list, and one night's claims in the third month. Standard 1,000 yuan a person.
 */
const config = parseConfig(undefined);
const test = useTestDatabase();
const deps = () => ({ database: test.handle, config, log: silentLog });
const run = (inbox: string, period: string) => runPeriod(deps(), { inbox, period });

const P = {
  v1: makeId('19780101', 11), // listed, visited: not eligible; a new hospital stay brings it back
  v2: makeId('19790202', 21), // listed, visited: assisted with dibao before the roster knows
  v3: makeId('19800303', 31), // listed, visited: not found
  v4: makeId('19810404', 41), // listed, not visited
  v6a: makeId('19560606', 61), // listed, visited: temporary assistance
  v6b: makeId('19580707', 62),
  v7a: makeId('19820808', 71), // ordinary until a hospital bill settled on 2026-11-10
  v7b: makeId('19840909', 72),
};

const R = (hh: string, id: string, name: string, rel: string, income: number | '', emp: string, region = '420106001001') =>
  [hh, id, name, rel, region, 'urban', 'none', income, emp, `湖北省武汉市武昌区测试路${hh}号`, `139000000${hh.slice(1).padStart(2, '0')}`];

const roster: Table = [
  R('V1', P.v1, '钱一', 'head', 600, 'unemployed'),
  R('V2', P.v2, '孙二', 'head', 500, 'unemployed'),
  R('V3', P.v3, '李三', 'head', 700, 'unemployed', '420106002001'),
  R('V4', P.v4, '周四', 'head', 400, 'unemployed', '420106002001'),
  R('V6', P.v6a, '吴六', 'head', 2000, 'retired'),
  R('V6', P.v6b, '郑六', 'spouse', '', 'retired'),
  R('V7', P.v7a, '王七', 'head', 3000, 'employed'),
  R('V7', P.v7b, '冯七', 'spouse', '', 'employed'),
];

// the night's claim: 20,000 out of pocket for a household earning 3,000 a month
const nightClaim = ['C-V7-1110', P.v7a, '王七', '2026-11-10', '1', 50000, 30000, '', 20000];

let inbox: string;
beforeAll(async () => {
  inbox = await makeInbox(
    {
      '2026-09': { roster, health: [[P.v6a, '吴六', 'I10', 'chronic', '2015-01-01']] },
      '2026-10': { roster, health: [[P.v6a, '吴六', 'I10', 'chronic', '2015-01-01']] },
      '2026-11': {
        roster,
        health: [[P.v6a, '吴六', 'I10', 'chronic', '2015-01-01']],
        claims: [
          ['C-V1-1112', P.v1, '钱一', '2026-11-12', '1', 8000, 5600, '', 2400], // V1's hospital stay, after the visit
          nightClaim, // the same claim the night already saw: counted once
        ],
      },
    },
    [['420106', 'urban', '2025-01', '1000']],
  );
  const night = join(inbox, 'daily', '2026-11-10');
  await mkdir(night, { recursive: true });
  await writeFile(join(night, 'medical-insurance.csv'), encode({ rows: [CLAIMS_HEADER, nightClaim] }));
  // the next night a small outpatient bill of the same household: no new warning (it crossed already)
  const next = join(inbox, 'daily', '2026-11-11');
  await mkdir(next, { recursive: true });
  await writeFile(join(next, 'medical-insurance.csv'), encode({ rows: [CLAIMS_HEADER, ['C-V7-1111', P.v7a, '王七', '2026-11-11', '0', 200, 100, '', 100]] }));

  await run(inbox, '2026-09');
});

async function list(period: string, all = false): Promise<Record<string, string>[]> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, { period, all }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return parse(Buffer.concat(chunks).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
}

describe('visit outcomes', () => {
  let reports: string;
  beforeAll(async () => {
    reports = await mkdtemp(join(tmpdir(), 'safetynet-visits-'));
    // street 001 reports in Chinese in a CSV; street 002 in an XLSX workbook
    await writeFile(
      join(reports, 'street-001.csv'),
      encode({
        rows: [
          ['户编号', '走访日期', '走访结果', '救助金额', '备注'],
          ['V1', '2026-10-05', '不符合条件', '', '有未申报的经营收入'],
          ['V2', '20261006', '纳入低保', '500', ''],
          ['V9', '2026-10-06', '拒绝', '', ''], // no such household
          ['V2', '2026-10-32', '纳入低保', '', ''], // no such day
        ],
        encoding: 'gb18030',
      }),
    );
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('走访');
    ws.addRow(['household_id', 'visited_on', 'outcome', 'assistance_granted', 'note']);
    ws.addRow(['V3', new Date(Date.UTC(2026, 9, 7)), 'not_found', null, 'door locked twice']);
    ws.addRow(['V6', '2026-10-08', '临时救助', 3000, '']);
    await wb.xlsx.writeFile(join(reports, 'street-002.xlsx'));
  });

  it('imports CSV and XLSX reports, keeps every bad row with its reason, counts a resent report once', async () => {
    const opts = { operator: 'street-001', today: '2026-11-23', log: silentLog };
    const csv = await importVisits(test.handle.pool, join(reports, 'street-001.csv'), opts);
    expect(csv).toMatchObject({ rows_read: 4, rows_loaded: 2, rows_rejected: 2, rows_duplicate: 0 });
    const again = await importVisits(test.handle.pool, join(reports, 'street-001.csv'), opts);
    expect(again).toMatchObject({ rows_read: 4, rows_loaded: 0, rows_rejected: 2, rows_duplicate: 2 });
    const xlsx = await importVisits(test.handle.pool, join(reports, 'street-002.xlsx'), { ...opts, operator: 'street-002' });
    expect(xlsx).toMatchObject({ rows_read: 2, rows_loaded: 2, rows_rejected: 0 });

    const rejected = await test.handle.db.selectFrom('visit_rejected').select(['line', 'column_name', 'reason']).where('import_id', '=', csv.import_id).orderBy('line').execute();
    expect(rejected).toEqual([
      { line: 4, column_name: 'household_id', reason: 'household V9 is not in any period Safetynet has run' },
      { line: 5, column_name: '走访日期', reason: '走访日期: "2026-10-32" is not a date (2026-11-07, 20261107, 2026/11/7, 2026.11.7 or 2026年11月7日)' },
    ]);
    const visits = await test.handle.db.selectFrom('visit').select(['household_id', 'visited_on', 'outcome']).orderBy('household_id').execute();
    expect(visits).toEqual([
      { household_id: 'V1', visited_on: '2026-10-05', outcome: 'not_eligible' },
      { household_id: 'V2', visited_on: '2026-10-06', outcome: 'assisted_dibao' },
      { household_id: 'V3', visited_on: '2026-10-07', outcome: 'not_found' },
      { household_id: 'V6', visited_on: '2026-10-08', outcome: 'assisted_temporary' },
    ]);
  });

  it('a cleared household stays off the list; an assisted one turns covered before the roster says so', async () => {
    await run(inbox, '2026-10');
    const rows = Object.fromEntries((await list('2026-10', true)).map((r) => [r.household_id, r]));
    const score = (h: string) =>
      test.handle.db.selectFrom('household_score').select(['on_list', 'covered', 'cooled_down', 'covered_by_visit']).where('period', '=', '2026-10').where('household_id', '=', h).executeTakeFirstOrThrow();
    expect(await score('V1')).toEqual({ on_list: false, covered: false, cooled_down: true, covered_by_visit: null });
    expect(rows.V1!.reasons).toContain('visited 2026-10-05: not eligible; not listed before 2027-04 unless the situation worsens');
    expect(await score('V2')).toMatchObject({ covered: true, covered_by_visit: 'dibao' });
    expect(rows.V2!.coverage).toBe('dibao (visit)');
    expect(rows.V2!.route).toBe(''); // covered: no programme to suggest any more

    const listed = (await list('2026-10')).map((r) => r.household_id);
    expect(listed).not.toContain('V1');
    expect(listed.slice(0, 3)).toEqual(expect.arrayContaining(['V3', 'V4', 'V6'])); // uncovered first
    expect(listed).toContain('V2'); // among the covered, after them
  });

  it("the precision table matches the street offices' reports", async () => {
    const rows = await listPrecision(test.handle.db, '2026-09');
    expect(rows[0]).toEqual({ group: 'all', key: 'all', listed: 5, visited: 4, assisted: 2, not_eligible: 1, unsettled: 1, precision: 0.667 });
    const streets = rows.filter((r) => r.group === 'street');
    expect(streets).toEqual([
      { group: 'street', key: '420106001', listed: 3, visited: 3, assisted: 2, not_eligible: 1, unsettled: 0, precision: 0.667 },
      { group: 'street', key: '420106002', listed: 2, visited: 1, assisted: 0, not_eligible: 0, unsettled: 1, precision: null },
    ]);
    for (const g of ['tier', 'dimension']) {
      const part = rows.filter((r) => r.group === g);
      expect(part.reduce((n, r) => n + r.listed, 0)).toBe(5);
      expect(part.reduce((n, r) => n + r.assisted, 0)).toBe(2);
    }
  });
});

describe('nightly urgent warnings', () => {
  it('a daily inpatient claim raises one urgent warning the same night, and a rerun raises none', async () => {
    const first = await runDay(deps(), { inbox, day: '2026-11-10' });
    expect(first).toMatchObject({ base_period: '2026-10', households_touched: 1, urgent_raised: 1, urgent_already_raised: 0 });
    const again = await runDay(deps(), { inbox, day: '2026-11-10' });
    expect(again).toMatchObject({ urgent_raised: 0, urgent_already_raised: 1 });
    const nextNight = await runDay(deps(), { inbox, day: '2026-11-11' });
    expect(nextNight).toMatchObject({ households_touched: 1, urgent_raised: 0, urgent_already_raised: 0 });
    const warnings = await test.handle.db.selectFrom('urgent_warning').selectAll().execute();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ household_id: 'V7', event_key: 'medical-insurance:C-V7-1110', kind: 'severe_event' });
    expect(warnings[0]!.reason).toBe(
      "inpatient bill settled 2026-11-10: 20,000 yuan out of pocket, 6.7x the household's monthly income; " +
        `score ${Number(warnings[0]!.previous_total).toFixed(1)} → ${Number(warnings[0]!.total).toFixed(1)} with the claims settled 2026-11-10: over the warning threshold of 30`,
    );

    const chunks: Buffer[] = [];
    const n = await writeUrgentList(test.handle.db, { period: '2026-11', urgent: true, since: '2026-11-01' }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    expect(n).toBe(1);
    const [row] = parse(Buffer.concat(chunks).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(row).toMatchObject({ day: '2026-11-10', household_id: 'V7', kind: 'severe_event' });
    expect(row!.head_id_number).toMatch(/^420106\*{8}\d{3}[\dX]$/);
    // for the visit: masked in a district-wide list, in clear for the street's own
    expect(row).toMatchObject({ address: '湖北省武汉市…', phone: '139****0007' });
    const street: Buffer[] = [];
    await writeUrgentList(test.handle.db, { period: '2026-11', urgent: true, since: '2026-11-01', region: '420106001' }, new Writable({ write: (c, _e, cb) => (street.push(c), cb()) }), silentLog);
    const [mine] = parse(Buffer.concat(street).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(mine).toMatchObject({ household_id: 'V7', address: '湖北省武汉市武昌区测试路V7号', phone: '13900000007' });
    // unmasked, an all-digit ID number is ="…": Excel and LibreOffice keep it whole as text (test/unit/csv-id-numbers.test.ts)
    const clear: Buffer[] = [];
    await writeUrgentList(test.handle.db, { period: '2026-11', urgent: true, since: '2026-11-01', unmasked: true }, new Writable({ write: (c, _e, cb) => (clear.push(c), cb()) }), silentLog);
    const [unmasked] = parse(Buffer.concat(clear).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(unmasked!.head_id_number).toBe(/^\d+$/.test(P.v7a) ? `="${P.v7a}"` : P.v7a);
  });

  it('the month counts the night\'s claim once, and a new hospital stay brings the cleared household back', async () => {
    await run(inbox, '2026-11');
    const rows = Object.fromEntries((await list('2026-11')).map((r) => [r.household_id, r]));
    // the claim the month also sent counts once (not 40,000); the one only the night saw is folded in
    expect(rows.V7!.reasons).toContain('out-of-pocket medical 20,100 yuan in 12 months');
    expect(rows.V1!.reasons).toContain('re-listed: new inpatient stay (2026-11-12) since the visit on 2026-10-05 found it not eligible');
    const v1 = await test.handle.db.selectFrom('household_score').select(['on_list', 'cooled_down']).where('period', '=', '2026-11').where('household_id', '=', 'V1').executeTakeFirstOrThrow();
    expect(v1).toEqual({ on_list: true, cooled_down: false });
    // the monthly report shows what the visits found for the list of two months before
    const report = await reportData(test.handle.db, '2026-11', { precisionLagMonths: 2 });
    expect(report.precision?.period).toBe('2026-09');
    expect(report.precision?.rows[0]).toMatchObject({ group: 'all', listed: 5, visited: 4, assisted: 2, not_eligible: 1, precision: 0.667 });
  });
});

describe('calibration', () => {
  it('recovers the dimension that separates assisted from not-eligible households, and proposes weights adding up to 1', () => {
    // synthetic outcomes: help was needed when medical burden was high, whatever the rest
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const samples = Array.from({ length: 400 }, () => {
      const x = [rand(), rand(), rand(), rand(), rand(), rand()];
      const medical = x[4]!; // dimensionIds order: age_structure, economic, health, disability, medical_burden, labour_capacity
      return { x, y: (rand() < 1 / (1 + Math.exp(-(8 * medical - 4))) ? 1 : 0) as 0 | 1 };
    });
    const fit = fitLogistic(samples, parseConfig(undefined).config.weights, 1);
    expect(fit.coefficients.medical_burden).toBeGreaterThan(4);
    for (const d of ['age_structure', 'economic', 'health', 'disability', 'labour_capacity'] as const) {
      expect(Math.abs(fit.coefficients[d])).toBeLessThan(1.2);
    }
    expect(fit.auc).toBeGreaterThan(0.75);
    expect(fit.logLoss).toBeLessThan(fit.baseLogLoss);
    expect(Object.values(fit.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(fit.weights.medical_burden).toBeGreaterThan(0.5);
    expect(parseConfig(undefined).config.weights).not.toEqual(fit.weights); // proposed, not applied
  });

  it('AUC is the probability that an assisted household ranks above a not-eligible one', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 9);
    expect(auc([1, 1], [0, 1])).toBe(0.5);
  });
});

describe('a visit report row as a street office writes it', () => {
  const row = visitRow('2026-11-23');
  const parsed = (visited_on: string, outcome: string, assistance_granted = '') => row.safeParse({ household_id: 'V1', visited_on, outcome, assistance_granted, note: '' });
  it('reads Chinese and dotted dates, amounts with 元 or ¥, and the office\'s outcome words', () => {
    for (const day of ['2026年11月7日', '2026 年 11 月 07 日', '2026.11.7', '2026-11-07', '20261107', '2026/11/7']) {
      expect(parsed(day, 'refused').data?.visited_on, day).toBe('2026-11-07');
    }
    for (const amount of ['800元', '¥800', '￥800', '800.00元', '800 元', 'RMB 800', '800']) {
      expect(parsed('2026-11-07', 'refused', amount).data?.assistance_granted, amount).toBe(800);
    }
    expect(parsed('2026-11-07', 'refused', '1,050.5元').data?.assistance_granted).toBe(1050.5);
    for (const [word, id] of [['符合条件待审批', 'assisted_other'], ['符合条件，待审批', 'assisted_other'], ['已纳入低保', 'assisted_dibao'], ['给予临时救助', 'assisted_temporary'], ['拒绝入户', 'refused'], ['人户分离', 'not_found'], ['not_eligible', 'not_eligible']]) {
      expect(parsed('2026-11-07', word!).data?.outcome, word).toBe(id);
    }
    // the words are config: a district adds its own
    expect(visitRow('2026-11-23', { 经济状况好转: 'not_eligible' }).parse({ household_id: 'V1', visited_on: '2026-11-07', outcome: '经济状况好转' }).outcome).toBe('not_eligible');
  });
  it('still refuses what is not a day, an amount or an outcome', () => {
    expect(parsed('2026年2月30日', 'refused').success).toBe(false);
    expect(parsed('2026年11月24日', 'refused').error?.issues[0]?.message).toBe('2026-11-24 is after today (2026-11-23)');
    expect(parsed('2026-11-07', 'refused', '八百元').success).toBe(false);
    expect(parsed('2026-11-07', 'refused', '-800元').success).toBe(false);
    expect(parsed('2026-11-07', '回头再说').success).toBe(false);
  });
});
