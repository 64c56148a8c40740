import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePeriodFiles } from '../../jobs/period-files.js';
import { runPeriod } from '../../jobs/run-period.js';
import { auditCommand } from '../../src/commands/audit.js';
import { qualityCommand } from '../../src/commands/quality.js';
import { reviewCommand } from '../../src/commands/review.js';
import { runsCommand } from '../../src/commands/runs.js';
import { visitsImportCommand } from '../../src/commands/visits.js';
import { parseConfig } from '../../src/config/load-config.js';
import { withTransaction } from '../../src/db/transaction.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { readRegionNames } from '../../src/export/region-label.js';
import { warningListEntries, writeWarningList } from '../../src/export/warning-list.js';
import { writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { loadRegionNames } from '../../src/pull/region-names.js';
import { renderReport } from '../../src/report/render-report.js';
import { reportData } from '../../src/report/report-data.js';
import { shownDuration, shownTime } from '../../src/shown-time.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * Streets and communities by name beside their code, an honest label for people not on the
 * roster, and everything a Chinese-speaking office reads in Chinese, with times on its clock.
 */
const test = useTestDatabase();
const LONG = '珞珈山街道/东湖:风景区[管委会]*办事处很长很长很长的名字';
const config = parseConfig({ regions: { '420106002': LONG } });
let inbox: string;
let tmp: string;

/** A writable that keeps what a command prints. */
function capture(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return { out: new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }), text: () => Buffer.concat(chunks).toString('utf8') };
}

async function collect(stream: PassThrough, write: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await write(stream);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'safetynet-regions-'));
  inbox = join(tmp, 'inbox');
  await cp(join(ROOT, 'fixtures', 'district-a', 'inbox'), inbox, { recursive: true });
  // as a bureau's office system saves it: GB18030, Chinese headers, a bad code, a second name
  // for a street, a name for the not-on-roster bucket; the config names 420106002 over the file
  const regions = [
    '区划代码,名称',
    '420106001,中南路街道',
    '420106001001,水果湖社区',
    '420106002,珞珈山',
    '4201060,坏代码',
    '420106001,中南路',
    '420106000,不能命名',
  ].join('\r\n');
  await writeFile(join(inbox, 'regions.csv'), iconv.encode(`${regions}\r\n`, 'gb18030'));
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });
  }
}, 120_000);

describe('region names', () => {
  it('are read from regions.csv (GB18030) and the config; bad rows are reported and left out, not fatal', async () => {
    const names = await readRegionNames(test.handle.db);
    expect(Object.fromEntries(names)).toEqual({ '420106001': '中南路街道', '420106001001': '水果湖社区', '420106002': LONG });
    const loaded = await withTransaction(test.handle.pool, (tx) => loadRegionNames(tx, inbox, config.config.regions, silentLog));
    expect(loaded.problems.map((p) => [p.line, p.column, p.reason.slice(0, 40)])).toEqual([
      [5, 'region_code', '"4201060" is not a 6-digit county, 9-dig'],
      [6, 'region_code', 'a second name for 420106001 (the first, '],
      [7, 'region_code', '420106000 has street 000, where Safetyne'],
    ]);
  });

  it('stand beside the code on the list (region_name, after the columns the list had before it) and label people not on the roster', async () => {
    const entries = [];
    for await (const e of warningListEntries(test.handle.db, { period: '2026-10' })) entries.push(e);
    const byId = new Map(entries.map((e) => [e.household_id, e]));
    expect(byId.get('WC001')).toMatchObject({ region_code: '420106001001', region_name: '中南路街道 水果湖社区' });
    expect(byId.get('WC004')).toMatchObject({ region_code: '420106003001', region_name: '' });
    const outsider = entries.find((e) => e.household_id.startsWith('NR-'))!;
    expect(outsider).toMatchObject({ region_code: '420106000000', region_name: 'not on the roster: place unknown' });
    const zh = [];
    for await (const e of warningListEntries(test.handle.db, { period: '2026-10', lang: 'zh' })) zh.push(e);
    expect(zh.find((e) => e.household_id.startsWith('NR-'))!.region_name).toBe('不在名册：住址不详');

    const csv = (await collect(new PassThrough(), (out) => writeWarningList(test.handle.db, { period: '2026-10' }, out, silentLog))).toString('utf8');
    const header = csv.split('\r\n')[0]!.replace(/^\uFEFF/, '').split(',');
    expect(header.slice(0, 3)).toEqual(['rank', 'household_id', 'region_code']);
    // added columns come after it, so that a bureau's spreadsheet reading columns by position keeps working
    expect(header.slice(-6)).toEqual(['region_name', 'asset_check', 'signal_count', 'signal_departments', 'visit_kind', 'low_confidence']);
  });

  it('name the workbook\'s street sheets, cut to 31 characters without the characters Excel forbids', async () => {
    const xlsx = await collect(new PassThrough(), (out) => writeWarningListXlsx(test.handle.db, { period: '2026-10', lang: 'zh' }, out, silentLog));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
    const names = workbook.worksheets.map((w) => w.name);
    expect(names).toContain('420106001 中南路街道');
    expect(names).toContain('420106000 不在名册');
    expect(names).toContain('420106003');
    const long = names.find((n) => n.startsWith('420106002 '))!;
    expect([...long].length).toBeLessThanOrEqual(31);
    expect(long).not.toMatch(/[\\/?*[\]:]/);
    expect(long).toBe('420106002 珞珈山街道_东湖_风景区_管委会__办事处');
    const summary = workbook.getWorksheet('汇总')!;
    const streets: string[] = [];
    summary.eachRow((row) => streets.push(String(row.getCell(1).value)));
    expect(streets).toContain('420106000 不在名册：住址不详');
  });

  it('head the household card, and the not-on-roster label replaces a place', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC001', { lang: 'zh' });
    expect(formatCard(card).split('\n')[0]).toBe('户编号 WC001，2026-10——区划 420106001001 中南路街道 水果湖社区');
    const outsider = (await test.handle.db.selectFrom('household').select('household_id').where('period', '=', '2026-10').where('on_roster', '=', false).executeTakeFirstOrThrow()).household_id;
    const en = formatCard(await householdCard(test.handle.db, '2026-10', outsider));
    expect(en.split('\n')[0]).toBe(`Household ${outsider}, 2026-10 — region 420106000000 not on the roster: place unknown`);
  });

  it('label the report\'s streets, and its time is the bureau\'s clock', async () => {
    const data = await reportData(test.handle.db, '2026-10');
    const html = renderReport({ ...data, runFinishedAt: '2026-11-03T01:30:00.000Z' }, { lang: 'zh', timeZone: 'Asia/Shanghai' });
    expect(html).toContain('420106001 中南路街道');
    expect(html).toContain('420106000 不在名册：住址不详');
    expect(html).toContain('运行完成时间 2026-11-03 09:30 Asia/Shanghai');
    expect(html).not.toContain('UTC');
  });
});

describe('in Chinese, with times on the bureau\'s clock', () => {
  it('runs: Chinese headings and statuses, the start in Asia/Shanghai, no -0.0 s', async () => {
    const c = capture();
    await runsCommand({ databaseUrl: test.url, lang: 'zh' }, silentLog, c.out);
    const first = (await test.handle.db.selectFrom('run').select('started_at').orderBy('run_id').executeTakeFirstOrThrow()).started_at;
    expect(c.text()).toMatch(/^运行 +期次 +状态 +开始时间 +耗时 +评分户数 +预警户数 +名单哈希 +\(Asia\/Shanghai\)\n/);
    expect(c.text()).toContain(`2026-09  成功`);
    expect(c.text()).toContain(shownTime(new Date(first), 'Asia/Shanghai'));
    expect(c.text()).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(c.text()).not.toContain('-0.0');
    expect(shownDuration(-0.0004)).toBe('0 s');
    expect(shownDuration(0.04)).toBe('0 s');
    expect(shownDuration(12.345)).toBe('12.3 s');
  });

  it('runs and audit follow the config\'s lang without --lang', async () => {
    const file = join(tmp, 'zh.json');
    await writeFile(file, JSON.stringify({ lang: 'zh' }));
    await writePeriodFiles(test.handle, { dir: tmp, access: { group: null }, lang: 'zh' }, '2026-10', silentLog);
    const runs = capture();
    await runsCommand({ databaseUrl: test.url, config: file }, silentLog, runs.out);
    expect(runs.text()).toContain('评分户数');
    const audit = capture();
    await auditCommand({ databaseUrl: test.url, config: file }, silentLog, audit.out);
    expect(audit.text()).toMatch(/^编号 +时间 +操作人/);
    expect(audit.text()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +safetynet run +2026-10 +csv +是/);
    // the files a run writes for a bureau whose config says zh
    const list = await readFile(join(tmp, 'warning-list-2026-10.csv'), 'utf8');
    expect(list.split('\r\n')[0]).toMatch(/^\uFEFF排名,户编号,区划代码,.*,区划名称,入户核查财产,数据指向部门数,数据指向部门,走访类型,数据陈旧可信度低$/);
    expect(list).toContain('近12个月个人自付医疗费');
    const quality = await readFile(join(tmp, 'data-quality-2026-10.csv'), 'utf8');
    expect(quality.split('\r\n')[0]).toBe('\uFEFF状态,数据来源,行号,列,问题,身份证号（脱敏）');
    expect(quality).toMatch(/拒收,民政（名册）,\d+,id_number,身份证号无效（/);
  });

  it('quality and review print Chinese', async () => {
    const q = capture();
    await qualityCommand({ databaseUrl: test.url, period: '2026-09', lang: 'zh' }, silentLog, q.out);
    expect(q.text()).toContain('2026-09预警名单（未获救助家庭）及此后的走访结果');
    expect(q.text()).toMatch(/街道 +420106001 中南路街道 +\d/);
    expect(q.text()).toMatch(/街道 +420106000 不在名册：住址不详 +1/);
    expect(q.text()).toContain('准确率 = 获得救助 /（获得救助 + 不符合条件）');
    const r = capture();
    await reviewCommand({ databaseUrl: test.url, period: '2026-10', lang: 'zh' }, silentLog, r.out);
    expect(r.text()).toBe('2026-10没有待人工核对的身份证号纠错项\n');
  });

  it('visits import: the summary and each rejected row with line, column and reason in Chinese', async () => {
    const report = join(tmp, '走访情况表.csv');
    await writeFile(report, '户编号,走访日期,走访结果,救助金额,备注\nWC001,2026年11月7日,符合条件待审批,800元,\nWC005,2026年13月7日,纳入低保,,\n');
    const c = capture();
    await visitsImportCommand({ databaseUrl: test.url, file: report, lang: 'zh' }, silentLog, c.out);
    const lines = c.text().split('\n');
    expect(lines[0]).toBe('走访情况表.csv：共2行，导入走访记录1条，1行未通过：');
    expect(lines[1]).toMatch(/^ {2}第3行「走访日期」列：日期格式错误（/);
    expect(lines).toContain('走访结果将在下次运行该期时生效（冷却期、救助覆盖），并计入 safetynet quality');
  });
});
