import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { writeWarningList, writeWarningListJson, type ExportOptions } from '../../src/export/warning-list.js';
import { departments } from '../../src/ingest/departments.js';
import { reportData } from '../../src/report/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * Which departments' data point at a household ("data overlap", as Zhongshan screens): each
 * department's `signal` (src/ingest/department.ts) over the fixture district's October, shown on
 * the list, the card and the report. Information for the analyst: no dimension reads it.
 *
 * The fixture's households (fixtures/district-a/inbox/2026-10):
 * - WC010: 吴志刚 has a severe diagnosis (卫健) and an inpatient stay with 15,000 yuan out of
 *   pocket (医保): two departments.
 * - WC002: 王桂英 has chronic diagnoses (卫健) and an inpatient stay in August (医保); her pension
 *   (人社) is no sign of need.
 * - WC028: 黄俊's 140 yuan outpatient bill is far under a tenth of the household's yearly income
 *   (30,000 a month): no sign of need from 医保.
 * - WC007: 钱秀英 has a chronic diagnosis (her ID sent in full-width digits) and is registered
 *   unemployed (人社).
 */
const INBOX = resolve('fixtures/district-a/inbox');
const PERIOD = '2026-10';
const test = useTestDatabase();

beforeAll(async () => {
  for (const period of ['2026-09', PERIOD]) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

async function stored(household: string): Promise<string[]> {
  const row = await test.handle.db
    .selectFrom('household_score')
    .select('signal_departments')
    .where('period', '=', PERIOD)
    .where('household_id', '=', household)
    .executeTakeFirstOrThrow();
  return row.signal_departments;
}

async function csv(opts: Omit<ExportOptions, 'period'>): Promise<Record<string, string>[]> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, { period: PERIOD, all: true, ...opts }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return parse(Buffer.concat(chunks).toString('utf8'), { bom: true, columns: true }) as Record<string, string>[];
}

describe('the departments pointing at a household', () => {
  it('are stored per household in registry order, each department once however many members it names', async () => {
    expect(await stored('WC010')).toEqual(['medical-insurance', 'health']);
    expect(await stored('WC002')).toEqual(['medical-insurance', 'health']);
    expect(await stored('WC028')).not.toContain('medical-insurance');
    expect(await stored('WC007')).toEqual(['health', 'human-resources']);
    // the roster is what the others are compared against: it points at nobody
    const roster = departments().find((d) => d.definesHouseholds)!;
    expect(roster.signal).toBeUndefined();
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from household_score where period = ${PERIOD} and ${roster.id} = any(signal_departments)
    `.execute(test.handle.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('are on the list after region_name and asset_check: a count and the labels, in the list\'s language', async () => {
    const en = await csv({});
    const header = Object.keys(en[0]!);
    expect(header.slice(header.indexOf('region_name'))).toEqual(['region_name', 'asset_check', 'signal_count', 'signal_departments', 'visit_kind', 'low_confidence']);
    const wc010 = en.find((r) => r.household_id === 'WC010')!;
    expect({ count: wc010.signal_count, departments: wc010.signal_departments }).toEqual({ count: '2', departments: 'Medical insurance; Health commission' });
    const wc002 = en.find((r) => r.household_id === 'WC002')!;
    expect({ count: wc002.signal_count, departments: wc002.signal_departments }).toEqual({ count: '2', departments: 'Medical insurance; Health commission' });
    const none = en.find((r) => r.signal_count === '0');
    expect(none?.signal_departments).toBe('');

    const zh = await csv({ lang: 'zh' });
    const wc010zh = zh.find((r) => r['户编号'] === 'WC010')!;
    expect({ count: wc010zh['数据指向部门数'], departments: wc010zh['数据指向部门'] }).toEqual({ count: '2', departments: '医保、卫健' });

    const chunks: Buffer[] = [];
    await writeWarningListJson(test.handle.db, { period: PERIOD, all: true }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    const json = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.find((e) => e.household_id === 'WC007')).toMatchObject({ signal_count: 2, signal_departments: 'Health commission; Human resources and social security' });

    // the workbook: the count a number, the labels text, in the same two columns before visit_kind
    const file = join(await mkdtemp(join(tmpdir(), 'safetynet-signals-')), 'list.xlsx');
    const out = createWriteStream(file);
    await writeWarningListXlsx(test.handle.db, { period: PERIOD, all: true }, out, silentLog);
    await finished(out);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    let found: unknown[] | undefined;
    wb.eachSheet((ws) => {
      const head = (ws.getRow(1).values as unknown[]).slice(1);
      if (ws.name === 'Summary') return;
      const at = head.indexOf('signal_count');
      expect(head.slice(at, at + 2)).toEqual(['signal_count', 'signal_departments']);
      ws.eachRow((row) => {
        const values = (row.values as unknown[]).slice(1);
        if (values[head.indexOf('household_id')] === 'WC010') found = values.slice(at, at + 2);
      });
    });
    expect(found).toEqual([2, 'Medical insurance; Health commission']);
  });

  it('are on the card, with what each department\'s signal means', async () => {
    const card = await householdCard(test.handle.db, PERIOD, 'WC010');
    expect(card.signals).toEqual([
      { department: 'medical-insurance', label: 'Medical insurance', meaning: 'an inpatient stay or material out-of-pocket spending in 12 months' },
      { department: 'health', label: 'Health commission', meaning: 'a severe or chronic diagnosis on record' },
    ]);
    expect(formatCard(card)).toContain(
      '2 departments point here: Medical insurance (an inpatient stay or material out-of-pocket spending in 12 months); Health commission (a severe or chronic diagnosis on record)',
    );
    const zh = formatCard(await householdCard(test.handle.db, PERIOD, 'WC007', { lang: 'zh' }));
    expect(zh).toContain('2个部门数据指向本户：卫健（有重特大疾病或慢性病记录）；人社（登记失业）');
  });

  it('are counted in the report: households by number of departments, all scored and on the list', async () => {
    const data = await reportData(test.handle.db, PERIOD);
    // on the list as the export has it: over the line, or covered and flagged for review
    const { rows } = await sql<{ departments: number; households: number; on_list: number }>`
      select cardinality(signal_departments) as departments, count(*)::int as households, count(*) filter (where on_list or review)::int as on_list
      from household_score where period = ${PERIOD} group by 1 order by 1
    `.execute(test.handle.db);
    const most = Math.max(...rows.map((r) => r.departments));
    expect(data.signals.map((s) => s.departments)).toEqual(Array.from({ length: most + 1 }, (_, n) => n));
    for (const s of data.signals) {
      const r = rows.find((x) => x.departments === s.departments);
      expect({ households: s.households, onList: s.onList }, `${s.departments} departments`).toEqual({ households: r?.households ?? 0, onList: r?.on_list ?? 0 });
    }
    expect(data.signals.reduce((n, s) => n + s.households, 0)).toBe(data.totals.households);
    expect(data.signals.reduce((n, s) => n + s.onList, 0)).toBe(data.totals.onList);
    expect(most).toBeGreaterThanOrEqual(2);

    const html = renderReport(data);
    expect(html).toContain('How many departments point at each household');
    expect(renderReport(data, { lang: 'zh' })).toContain('各户的数据指向部门数');
  });
});
