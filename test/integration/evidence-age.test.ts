import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { warningListEntries, writeWarningList } from '../../src/export/warning-list.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId, makeInbox, type PeriodSpec, type Table } from '../helpers/inbox.js';

/**
 * Evidence with its age, on a small district whose health commission and disability federation
 * (made optional in config) delivered in 2026-06 and then not again: 2026-08 and 2026-09 use
 * their 2026-06 extracts. The reasons and the card say the month; a household whose reasons rest
 * only on those extracts is low-confidence once they are 3 months old (evidence.staleMonths), on
 * the list and on the card.
 */
const test = useTestDatabase();
const healthOptional = parseConfig({ departments: { health: { required: false }, disability: { required: false } } });

const OLD = makeId('19400303', 11);
const SPOUSE = makeId('19420404', 22);
const POOR = makeId('19800808', 23);
const roster: Table = [
  // 86 and 84 on 6,000 yuan a month: 3x the standard, listed for age, illness and disability
  ['H-OLD', OLD, '王秀英', 'head', '420106001001', 'urban', 'none', '6000', 'retired', '中南路1号', '13800000001'],
  ['H-OLD', SPOUSE, '张建国', 'spouse', '420106001001', 'urban', 'none', '', 'retired', '', ''],
  // under the dibao line on this month's roster, with a chronic illness of the old extract
  ['H-POOR', POOR, '李强', 'head', '420106001002', 'urban', 'none', '600', 'employed', '中南路2号', '13800000002'],
];
const health: Table = [
  [OLD, '王秀英', 'C34.1', '重特大疾病', '2026-03-01'],
  [OLD, '王秀英', 'F20.0', '严重精神障碍', '2026-03-01'],
  [SPOUSE, '张建国', 'I63.9', '重特大疾病', '2026-01-01'],
  [POOR, '李强', 'E11.9', '慢性病', '2026-02-01'],
];
const disability: Table = [
  [OLD, '王秀英', '精神', '一级', '2015-05-05'],
  [SPOUSE, '张建国', '肢体', '二级', '2018-06-06'],
];
const month = (extra: Partial<PeriodSpec> = {}): PeriodSpec => ({ roster, ...extra });

async function runMonths(): Promise<void> {
  const inbox = await makeInbox({
    '2026-06': month({ health, disability }),
    '2026-08': month({ files: { 'health.csv': null, 'disability.csv': null } }),
    '2026-09': month({ files: { 'health.csv': null, 'disability.csv': null } }),
  });
  for (const period of ['2026-06', '2026-08', '2026-09']) {
    await runPeriod({ database: test.handle, config: healthOptional, log: silentLog }, { inbox, period });
  }
}

async function list(period: string) {
  const rows = [];
  for await (const e of warningListEntries(test.handle.db, { period })) rows.push(e);
  return rows;
}

async function csv(period: string, lang: 'en' | 'zh' = 'en'): Promise<string[][]> {
  let text = '';
  const out = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString('utf8')), done()) });
  await writeWarningList(test.handle.db, { period, lang }, out, silentLog);
  return text.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(','));
}

describe('evidence with its age', () => {
  it('facts of the period carry no date; nobody is low-confidence', async () => {
    await runMonths();
    const june = await list('2026-06');
    const old = june.find((e) => e.household_id === 'H-OLD')!;
    expect(old.facts.find((f) => f.dimension === 'health')!.text).toBe('2 members with a severe illness, 1 member with a severe mental disorder');
    expect(june.every((e) => !e.low_confidence)).toBe(true);
  });

  it('a month without the health extract dates the health facts with the month of the extract it used', async () => {
    const august = await list('2026-08');
    const old = august.find((e) => e.household_id === 'H-OLD')!;
    expect(old.facts.find((f) => f.dimension === 'health')!.text).toBe(
      '2 members with a severe illness (卫健, 2026-06), 1 member with a severe mental disorder (卫健, 2026-06)',
    );
    // two months old: dated, not yet old
    expect(old.low_confidence).toBe(false);

    const card = await householdCard(test.handle.db, '2026-08', 'H-OLD');
    expect(card.dimensions.find((d) => d.dimension === 'health')!.facts).toMatch(/severe illness \(卫健, 2026-06\)/);
    expect(card.extracts).toContainEqual({ department: 'health', label: 'Health commission', month: '2026-06', older: true });
    expect(card.extracts).toContainEqual({ department: 'civil-affairs', label: 'Civil affairs (roster)', month: '2026-08', older: false });
    const text = formatCard(card);
    expect(text).toContain('Health commission 2026-06 (older than the period)');
    expect(text).not.toContain('LOW CONFIDENCE');
    const zh = formatCard(await householdCard(test.handle.db, '2026-08', 'H-OLD', { lang: 'zh' }));
    expect(zh).toContain('2名成员患重特大疾病（卫健，2026-06）');
    expect(zh).toContain('卫健 2026-06（早于本期）');
  });

  it('a household whose reasons rest only on extracts 3 months old is low-confidence on the list and the card', async () => {
    const september = await list('2026-09');
    const old = september.find((e) => e.household_id === 'H-OLD')!;
    const poor = september.find((e) => e.household_id === 'H-POOR')!;
    expect(old.low_confidence).toBe(true);
    // its income is on this month's roster: a recent fact, whatever the age of its illness
    expect(poor.facts.find((f) => f.dimension === 'health')!.text).toBe('1 member with a chronic illness (卫健, 2026-06)');
    expect(poor.low_confidence).toBe(false);

    // the CSV's last column, 1 or empty
    const [header, ...rows] = await csv('2026-09');
    expect(header!.at(-1)).toBe('low_confidence');
    const column = Object.fromEntries(rows.map((r) => [r[1], r.at(-1)]));
    expect(column).toMatchObject({ 'H-OLD': '1', 'H-POOR': '' });
    expect((await csv('2026-09', 'zh'))[0]!.at(-1)).toBe('数据陈旧可信度低');

    const card = await householdCard(test.handle.db, '2026-09', 'H-OLD');
    expect(card.low_confidence).toBe(true);
    expect(formatCard(card)).toContain('LOW CONFIDENCE: every dated fact behind the reasons comes from an old extract');
    expect(formatCard(await householdCard(test.handle.db, '2026-09', 'H-OLD', { lang: 'zh' }))).toContain('可信度低：');
    expect((await householdCard(test.handle.db, '2026-09', 'H-POOR')).low_confidence).toBe(false);
  });
});
