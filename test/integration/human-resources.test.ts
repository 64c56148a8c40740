import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { writeQualityReport } from '../../src/export/quality-report.js';
import { reportData } from '../../src/report/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId, makeInbox, type PeriodSpec, type Table } from '../helpers/inbox.js';

/**
 * The human-resources department (人社, docs/human-resources.md): its rows loaded, refused and
 * folded; its pensions and unemployment registrations in the economic and labour-capacity
 * reasons; a month without its extract runs on the latest one and says so in the run summary,
 * the data-quality report and the household card. The months run in order on one database.
 */
const test = useTestDatabase();
const defaults = parseConfig(undefined);
const run = (inbox: string, period: string, config: LoadedConfig = defaults) =>
  runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });

const PENSIONER = makeId('19500303', 11);
const WORKER = makeId('19800404', 21);
const SPOUSE = makeId('19820505', 22);
const OUTSIDER = makeId('19480606', 31);
const REGION = '420106001001';
const roster: Table = [
  // an elderly woman alone whose roster income (600) is older than her pension
  ['H-PENSION', PENSIONER, '王秀英', 'head', REGION, 'urban', 'none', '600', 'retired', '', ''],
  // a couple near the line, both "employed" on the roster; the spouse has since registered unemployed
  ['H-COUPLE', WORKER, '张伟', 'head', REGION, 'urban', 'none', '2800', 'employed', '', ''],
  ['H-COUPLE', SPOUSE, '李娜', 'spouse', REGION, 'urban', 'none', '', 'employed', '', ''],
];
const HR: Table = [
  [PENSIONER, '王秀英', '否', '', '900'],
  [SPOUSE, '李娜', '是', '2026-05-12', ''],
  // a pensioner on no roster: not a household
  [OUTSIDER, '赵六', '否', '', '3200'],
  // her survivor's pension on a second row: folded into one, the pensions added
  [PENSIONER, '王秀英', '否', '', '300'],
  ['12345', '钱七', '是', '2026-01-01', ''],
  [WORKER, '张伟', '否', '', '0'],
  [makeId('19900101', 41), '孙八', '是', '2026-12-01', ''],
];
const month = (extra: Partial<PeriodSpec> = {}): PeriodSpec => ({ roster, ...extra });

async function reasons(period: string, household: string): Promise<string[]> {
  const { rows } = await sql<{ text: string }>`
    select r->>'text' as text from household_score s, jsonb_array_elements(s.reasons) r
    where s.period = ${period} and s.household_id = ${household}`.execute(test.handle.db);
  return rows.map((r) => r.text);
}
const PENSION_REASON = "income 1,200 yuan a month: a member's pension (人社); the roster says 600, income 1,200 yuan per person a month, 1.20x the dibao standard";

async function qualityReport(period: string): Promise<string> {
  const chunks: Buffer[] = [];
  await writeQualityReport(test.handle.db, period, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks).toString('utf8');
}

describe('the human-resources department', () => {
  it('before its first extract: the month runs, its facts are unknown, and the summary says it was not delivered', async () => {
    const summary = await run(await makeInbox({ '2026-08': month() }), '2026-08');
    // the other optional departments are absent from this inbox too: only human resources is looked at here
    expect(summary.not_delivered).toMatchObject({ 'human-resources': null });
    expect(await qualityReport('2026-08')).toContain('extract_not_delivered: human-resources: not delivered; no 2026-08 extract and none before it');
    expect((await reasons('2026-08', 'H-PENSION')).join(' ')).not.toContain('人社');
  });

  it('loads its rows: one per person, the rows that say nothing, post-dated or with a bad ID number refused', async () => {
    const summary = await run(await makeInbox({ '2026-09': month({ humanResources: HR }) }), '2026-09');
    expect(summary.sources['human-resources']).toEqual({ rows_read: 7, rows_loaded: 4, rows_rejected: 3 });
    expect(summary.not_delivered).not.toHaveProperty('human-resources');
    const { rows } = await sql<{ id18: string; registered_unemployed: boolean; registered_on: string | null; pension_monthly: number | null }>`
      select id18, registered_unemployed, to_char(registered_on, 'YYYY-MM-DD') as registered_on, pension_monthly
      from human_resources where period = '2026-09' order by id18`.execute(test.handle.db);
    expect(rows).toEqual(
      [
        { id18: PENSIONER, registered_unemployed: false, registered_on: null, pension_monthly: 1200 },
        { id18: SPOUSE, registered_unemployed: true, registered_on: '2026-05-12', pension_monthly: null },
        { id18: OUTSIDER, registered_unemployed: false, registered_on: null, pension_monthly: 3200 },
      ].sort((a, b) => a.id18.localeCompare(b.id18)),
    );
    const rejected = await test.handle.db.selectFrom('rejected_row').select(['line', 'reason']).where('period', '=', '2026-09').where('source', '=', 'human-resources').orderBy('line').execute();
    expect(rejected.map((r) => r.line)).toEqual([6, 7, 8]);
    expect(rejected[1]!.reason).toContain('neither registered unemployed nor drawing a pension');
    expect(rejected[2]!.reason).toContain('registered on 2026-12-01, after the end of the period');
    const report = await qualityReport('2026-09');
    expect(report).toContain('kept with warning,human-resources,5,,"person_on_several_rows: the person of line 2 again (2 rows): kept once');
  });

  it('gives pensions as income and registered unemployment in the reasons; a pensioner on no roster is no household', async () => {
    expect((await reasons('2026-09', 'H-PENSION')).some((r) => r.startsWith(PENSION_REASON))).toBe(true);
    const couple = await reasons('2026-09', 'H-COUPLE');
    expect(couple.some((r) => r.endsWith('1 working-age member unemployed (1 registered unemployed since 2026-05-12 (人社))'))).toBe(true);
    expect(couple).toContain('1 able earner for 1 dependant (1 registered unemployed (人社), not counted)');
    const outsider = await test.handle.db.selectFrom('member').select('household_id').where('period', '=', '2026-09').where('id18', '=', OUTSIDER).execute();
    expect(outsider).toEqual([]);
  });

  it('a month without its extract runs on the latest one and says so: run summary, data-quality report, household card', async () => {
    const summary = await run(await makeInbox({ '2026-10': month() }), '2026-10');
    expect(summary.not_delivered).toMatchObject({ 'human-resources': '2026-09' });
    // each fact of the 2026-09 extract says its month (scoring/evidence.ts)
    const dated = "income 1,200 yuan a month: a member's pension (人社); the roster says 600 (人社, 2026-09), income 1,200 yuan per person a month, 1.20x the dibao standard";
    expect((await reasons('2026-10', 'H-PENSION')).some((r) => r.startsWith(dated))).toBe(true);
    expect(await qualityReport('2026-10')).toContain('extract_not_delivered: human-resources as of 2026-09: the 2026-10 extract has not arrived');
    const report = await reportData(test.handle.db, '2026-10');
    expect(renderReport(report, { lang: 'en' })).toContain('<p>human-resources as of 2026-09: the 2026-10 extract has not arrived</p>');

    const card = await householdCard(test.handle.db, '2026-10', 'H-PENSION');
    expect(card.not_delivered).toContain('human-resources as of 2026-09: the 2026-10 extract has not arrived');
    expect(card.dimensions.find((d) => d.dimension === 'economic')!.sources).toContain('human-resources 2026-09 (pensions, unemployment registrations)');
    expect(formatCard(card)).toContain('from: human-resources as of 2026-09: the 2026-10 extract has not arrived');
    const zh = await householdCard(test.handle.db, '2026-10', 'H-PENSION', { lang: 'zh' });
    expect(formatCard(zh)).toContain('数据来源：human-resources数据截至2026-09：2026-10的数据尚未报送');
  });
});

describe('a department made optional in config', () => {
  const healthOptional = parseConfig({ departments: { health: { required: false } } });
  const severe: Table = [[PENSIONER, '王秀英', 'C34.1', '重特大疾病', '2026-06-01']];

  it('is not waited for; its facts are those of its latest extract, and the month says so', async () => {
    await run(await makeInbox({ '2026-11': month({ health: severe }) }), '2026-11', healthOptional);
    const summary = await run(await makeInbox({ '2026-12': month({ files: { 'health.csv': null } }) }), '2026-12', healthOptional);
    expect(summary.not_delivered).toMatchObject({ health: '2026-11', 'human-resources': '2026-09' });
    expect(Object.keys(summary.sources)).not.toContain('health');
    const health = await sql<{ text: string }>`
      select r->>'text' as text from household_score s, jsonb_array_elements(s.reasons) r
      where s.period = '2026-12' and s.household_id = 'H-PENSION' and r->>'dimension' = 'health'`.execute(test.handle.db);
    expect(health.rows.map((r) => r.text).join(' ')).toMatch(/severe illness/);
    expect(await qualityReport('2026-12')).toContain('extract_not_delivered: health as of 2026-11: the 2026-12 extract has not arrived');
  });

  it('is waited for when required, as before (exit 4)', async () => {
    const err = await run(await makeInbox({ '2027-01': month({ files: { 'health.csv': null } }) }), '2027-01').catch((e: unknown) => e);
    expect((err as { exitCode?: number }).exitCode).toBe(4);
  });
});
