import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { ExtractRejected } from '../../src/errors.js';
import { writeQualityReport } from '../../src/export/quality-report.js';
import { personColumns, type Department } from '../../src/ingest/department.js';
import { registerDepartment } from '../../src/ingest/departments.js';
import { idNumber, optionalText, requiredMoney } from '../../src/ingest/values.js';
import { reportData } from '../../src/report/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { encode, makeId, makeInbox, type PeriodSpec } from '../helpers/inbox.js';

/**
 * Departments are data: a department declared and registered in this file alone (its table made
 * here, no production file edited) is found in the inbox, loaded, rejected and reported like the
 * contract's four; a bureau's own header names and codes are read through config alone.
 */

const test = useTestDatabase();
const defaults = parseConfig(undefined);
const run = (inbox: string, period: string, config: LoadedConfig = defaults) =>
  runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });

const HEAD = makeId('19700101', 11);
const SPOUSE = makeId('19720202', 22);
const OUTSIDER = makeId('19500505', 31);
const roster = [
  ['H1', HEAD, '张伟', 'head', '420106001001', 'urban', 'none', '2000', 'employed', '', ''],
  ['H1', SPOUSE, '李娜', 'spouse', '420106001001', 'urban', 'none', '', 'unemployed', '', ''],
];
const month = (extra: Partial<PeriodSpec> = {}): PeriodSpec => ({ roster, ...extra });

/** Housing subsidies (住房补贴): a department nobody shipped, declared by a test. */
const housingRow = (asOf: Date) => z.object({ id_number: idNumber(asOf), name: optionalText, subsidy: requiredMoney });
const housing: Department<z.infer<ReturnType<typeof housingRow>>> = {
  id: 'housing-subsidy',
  labels: { en: 'Housing subsidy office', zh: '住房补贴' },
  file: 'housing-subsidy',
  idColumn: 'id_number',
  required: false,
  delivery: 'snapshot',
  rescuable: false,
  periodTables: [{ table: 'test_housing_subsidy', periodColumn: 'period' }],
  columns: [
    { name: 'id_number', headers: ['身份证号'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'subsidy', headers: ['补贴金额'], required: true },
  ],
  rowSchema: housingRow,
  table: 'test_housing_subsidy',
  tableColumns: ['period', 'line', 'id18', 'name', 'subsidy', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [period, line, r.id_number.id18, r.name, r.subsidy, ...personColumns(r.id_number)],
  async finalize({ db }, _period, stage) {
    await sql`insert into test_housing_subsidy select * from ${sql.table(stage)}`.execute(db);
    return 0;
  },
};

describe('a department registered by a test alone', () => {
  let unregister: () => void;
  beforeAll(async () => {
    await sql`
      create table test_housing_subsidy (
        period text not null, line int not null, id18 text not null, name text, subsidy numeric(12, 2) not null,
        birth_date date not null, sex text not null, primary key (period, line)
      )`.execute(test.handle.db);
    unregister = registerDepartment(housing);
  });
  afterAll(() => unregister());

  async function housingMonth(): Promise<string> {
    const inbox = await makeInbox({ '2026-09': month() });
    await writeFile(
      join(inbox, '2026-09', 'housing-subsidy.csv'),
      encode({
        rows: [
          ['身份证号', '姓名', '补贴金额'],
          [HEAD, '张伟', '350.00'],
          [SPOUSE, '李娜', 'a lot'],
          ['12345', '王五', '100'],
        ],
      }),
    );
    return inbox;
  }

  it('loads its rows, keeps the rejected ones with their reasons, and counts them in the run summary', async () => {
    const summary = await run(await housingMonth(), '2026-09');
    expect(summary.sources['housing-subsidy']).toEqual({ rows_read: 3, rows_loaded: 1, rows_rejected: 2 });

    const loaded = await sql<{ id18: string; subsidy: number }>`select id18, subsidy from test_housing_subsidy where period = '2026-09'`.execute(test.handle.db);
    expect(loaded.rows).toEqual([{ id18: HEAD, subsidy: 350 }]);
    const rejected = await test.handle.db.selectFrom('rejected_row').select(['line', 'column_name', 'reason']).where('source', '=', 'housing-subsidy').orderBy('line').execute();
    expect(rejected.map((r) => [r.line, r.column_name])).toEqual([[3, '补贴金额'], [4, '身份证号']]);
    expect(rejected[0]!.reason).toMatch(/^补贴金额: /);
    expect(rejected[1]!.reason).toMatch(/^身份证号: /);
  });

  it('is in the data-quality report and the monthly report, under its own label', async () => {
    const chunks: Buffer[] = [];
    await writeQualityReport(test.handle.db, '2026-09', new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
    const lines = Buffer.concat(chunks).toString('utf8').split('\r\n').filter((l) => l.includes(',housing-subsidy,'));
    expect(lines.map((l) => l.split(',').slice(0, 4).join(','))).toEqual(['rejected,housing-subsidy,3,补贴金额', 'rejected,housing-subsidy,4,身份证号']);

    const data = await reportData(test.handle.db, '2026-09');
    const q = data.quality.find((x) => x.source === 'housing-subsidy');
    expect(q).toMatchObject({ rowsRead: 3, rowsLoaded: 1, rowsRejected: 2, people: 1, linked: 1, linkRate: 1 });
    expect(data.quality.map((x) => x.source).at(-1)).toBe('housing-subsidy');
    expect(renderReport(data, { lang: 'zh' })).toContain('<h3>住房补贴</h3>');
  });

  it('has its period cleared by a rerun, like the contract departments', async () => {
    const inbox = await housingMonth();
    await run(inbox, '2026-09');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from test_housing_subsidy where period = '2026-09'`.execute(test.handle.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('is optional: a month without its file runs without it', async () => {
    const summary = await run(await makeInbox({ '2026-10': month() }), '2026-10');
    expect(Object.keys(summary.sources)).toEqual(['civil-affairs', 'disability', 'medical-insurance', 'health']);
  });

  it('is named in config by its id once registered', () => {
    const config = parseConfig({ departments: { 'housing-subsidy': { columns: { subsidy: { aliases: ['补贴'] } } } } });
    expect(config.config.departments['housing-subsidy']?.columns?.subsidy?.aliases).toEqual(['补贴']);
  });
});

describe("a bureau's own header names and codes, through config alone", () => {
  const healthWith = (idHeader: string): PeriodSpec =>
    month({
      files: {
        'health.csv': {
          rows: [
            [idHeader, '姓名', '诊断编码', '病种类别', '登记日期'],
            [HEAD, '张伟', 'N18.5', '慢性病', '2025-01-02'],
          ],
        },
      },
    });

  it('refuses a health extract whose ID header is 证件号码 without config, listing the headers seen and the names accepted', async () => {
    const err = await run(await makeInbox({ '2026-09': healthWith('证件号码') }), '2026-09').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as Error).message).toBe(
      '2026-09/health.csv, line 1: missing required column(s) id_number (身份证号); ' +
        'the header has "证件号码", "姓名", "诊断编码", "病种类别", "登记日期"; ' +
        'accepted: id_number as "id_number", "身份证号", "身份证号码" ' +
        '(a bureau adds its own names in config: departments.health.columns.<column>.aliases); the file was refused whole',
    );
  });

  it('reads it with departments.health.columns.id_number.aliases: ["证件号码"]', async () => {
    const config = parseConfig({ departments: { health: { columns: { id_number: { aliases: ['证件号码'] } } } } });
    const summary = await run(await makeInbox({ '2026-09': healthWith('证件号码') }), '2026-09', config);
    expect(summary.sources.health).toEqual({ rows_read: 1, rows_loaded: 1, rows_rejected: 0 });
    const { rows } = await sql<{ id18: string; category: string }>`select id18, category from diagnosis where period = '2026-09'`.execute(test.handle.db);
    expect(rows).toEqual([{ id18: HEAD, category: 'chronic' }]);
  });

  it('names the config aliases among the accepted ones when the header still matches none', async () => {
    const config = parseConfig({ departments: { health: { columns: { id_number: { aliases: ['证件号码'] } } } } });
    const err = await run(await makeInbox({ '2026-09': healthWith('公民身份号') }), '2026-09', config).catch((e: unknown) => e);
    expect((err as Error).message).toContain('accepted: id_number as "id_number", "身份证号", "身份证号码", "证件号码"');
  });

  const disabilityWith = (grade: string): PeriodSpec =>
    month({ disability: [[OUTSIDER, '赵六', '肢体', grade, '2020-01-01']] });

  it('maps a bureau code to a value the column accepts: 特重 → 1, before the row is checked', async () => {
    const config = parseConfig({ departments: { disability: { columns: { disability_grade: { values: { 特重: '1' } } } } } });
    const summary = await run(await makeInbox({ '2026-09': disabilityWith(' 特重 ') }), '2026-09', config);
    expect(summary.sources.disability).toEqual({ rows_read: 1, rows_loaded: 1, rows_rejected: 0 });
    const { rows } = await sql<{ id18: string; disability_grade: number }>`select id18, disability_grade from disability where period = '2026-09'`.execute(test.handle.db);
    expect(rows).toEqual([{ id18: OUTSIDER, disability_grade: 1 }]);
  });

  it('rejects the same code without the map, and keeps the row as sent', async () => {
    const summary = await run(await makeInbox({ '2026-09': disabilityWith('特重') }), '2026-09');
    expect(summary.sources.disability).toEqual({ rows_read: 1, rows_loaded: 0, rows_rejected: 1 });
    const [row] = await test.handle.db.selectFrom('rejected_row').select(['reason', 'raw']).where('period', '=', '2026-09').where('source', '=', 'disability').execute();
    expect(row!.reason).toMatch(/^disability_grade: .* is not a disability grade/);
    expect((row!.raw as Record<string, string>).disability_grade).toBe('特重');
  });

  it('keeps the code as sent in a row refused for another column, with the map', async () => {
    const config = parseConfig({ departments: { disability: { columns: { disability_grade: { values: { 特重: '1' } } } } } });
    const spec = month({ disability: [[OUTSIDER, '赵六', '不明', '特重', '2020-01-01']] });
    await run(await makeInbox({ '2026-09': spec }), '2026-09', config);
    const [row] = await test.handle.db.selectFrom('rejected_row').select(['column_name', 'raw']).where('period', '=', '2026-09').where('source', '=', 'disability').execute();
    expect(row!.column_name).toBe('disability_type');
    expect((row!.raw as Record<string, string>).disability_grade).toBe('特重');
  });
});
