import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { warningListEntries } from '../../src/export/warning-list.js';
import { ROUTE_ZH } from '../../scoring/route.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/** The household card a street worker reads before a visit. */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const test = useTestDatabase();

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

describe('safetynet explain', () => {
  it('shows members masked, each dimension with its facts and sources, the history and what changed', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC010');
    expect(card).toMatchObject({ household_id: 'WC010', coverage: 'dibao', review: true, change: 'up', tier: 'red' });
    expect(card.members).toHaveLength(3);
    expect(card.members[0]).toMatchObject({ name: '吴*', id_number: expect.stringMatching(/^420106\*{8}\d{3}[\dX]$/), relation: 'head' });
    expect(card.members[0]!.diagnoses).toEqual(['chronic', 'severe']); // categories, not codes
    expect(card.dimensions[0]).toMatchObject({ dimension: 'economic', sources: [
        'civil-affairs 2026-10', 'dibao-standards', 'medical-insurance 2025-11..2026-10', 'human-resources 2026-10 (pensions, unemployment registrations)',
        'public-security 2026-10 (deaths, moves and births)', 'housing 2026-10 (dangerous-housing appraisals)', 'emergency 2025-11..2026-10',
        'education 2026-10 (school fees)', 'verification 2026-10 (housing-fund contributions)',
      ] });
    expect(card.dimensions.find((d) => d.dimension === 'medical_burden')!.facts).toBe('out-of-pocket medical 15,200 yuan in 12 months, 0.7x household yearly income');
    expect(card.history.map((h) => h.period)).toEqual(['2026-09', '2026-10']);
    expect(card.since_last_period).toEqual(['score 38.7 in 2026-09 → 64.2', 'tier yellow → red']);
    const text = formatCard(card);
    expect(text).toContain('REVIEW the assistance');
    expect(text).not.toMatch(/\d{17}[\dX]/);
  });

  it('shows diagnosis codes and names only when asked', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC010', { unmasked: true });
    expect(card.members[0]!.diagnoses.some((d) => /^(severe|chronic) [A-Z]\d{2}/.test(d))).toBe(true);
    expect(card.members[0]!.id_number).toMatch(/^\d{17}[\dX]$/);
  });

  it('says plainly when a household was not scored', async () => {
    await expect(householdCard(test.handle.db, '2026-10', 'NOPE')).rejects.toThrow(new UsageError('no household NOPE was scored in 2026-10'));
  });
});

/** The listed households (the month's audit visits after them are not on the list: no rank) */
async function listOf(opts: { period: string; region?: string }) {
  const entries = [];
  for await (const e of warningListEntries(test.handle.db, { ...opts, audit: false })) entries.push(e);
  return entries;
}

describe('the card\'s rank is the list\'s rank', () => {
  it('for every household on the 2026-10 list, as the export numbers it', async () => {
    const list = await listOf({ period: '2026-10' });
    expect(list.length).toBeGreaterThan(10);
    for (const entry of list) {
      const card = await householdCard(test.handle.db, '2026-10', entry.household_id);
      expect({ id: entry.household_id, rank: card.rank, of: card.list_size }).toEqual({ id: entry.household_id, rank: entry.rank, of: list.length });
    }
    // the score's rank among every scored household is not the list's: what the card showed before
    const { rows } = await sql<{ rank: number }>`select rank from household_score where period = '2026-10' and household_id = 'WC010'`.execute(test.handle.db);
    expect(rows[0]!.rank).not.toBe(18);
    const wc010 = await householdCard(test.handle.db, '2026-10', 'WC010');
    expect(wc010.rank).toBe(18);
    expect(formatCard(wc010)).toContain(`rank 18 of ${list.length} on the 2026-10 list`);
  });

  it('within a street, as the street\'s export renumbers it', async () => {
    const list = await listOf({ period: '2026-10', region: '420106003' });
    expect(list.length).toBeGreaterThan(1);
    for (const entry of list) {
      const card = await householdCard(test.handle.db, '2026-10', entry.household_id, { region: '420106003' });
      expect([entry.household_id, card.rank, card.list_size, card.list_region]).toEqual([entry.household_id, entry.rank, list.length, '420106003']);
    }
    await expect(householdCard(test.handle.db, '2026-10', 'WC001', { region: '420106003' })).rejects.toThrow(/WC001 was scored in 2026-10 within region 420106003/);
  });

  it('in the history: each period\'s rank is that period\'s list rank', async () => {
    const september = await listOf({ period: '2026-09' });
    const card = await householdCard(test.handle.db, '2026-10', 'WC010');
    const then = september.find((e) => e.household_id === 'WC010');
    expect(card.history.find((h) => h.period === '2026-09')).toMatchObject({ rank: then?.rank ?? null, on_list: then !== undefined });
    expect(card.history.find((h) => h.period === '2026-10')).toMatchObject({ rank: 18, on_list: true });
  });

  it('says so for a household not on the list, instead of a rank', async () => {
    const listed = new Set((await listOf({ period: '2026-10' })).map((e) => e.household_id));
    const { rows } = await sql<{ household_id: string }>`
      select household_id from household_score where period = '2026-10' and not on_list and not review order by rank limit 1`.execute(test.handle.db);
    const id = rows[0]!.household_id;
    expect(listed.has(id)).toBe(false);
    const card = await householdCard(test.handle.db, '2026-10', id);
    expect(card.rank).toBeNull();
    expect(formatCard(card)).toContain('not on the 2026-10 list');
    expect(formatCard(card)).not.toMatch(/rank \d/);
    expect(formatCard({ ...card, lang: 'zh' })).toContain('未列入2026-10预警名单');
  });
});

describe('explain --lang zh', () => {
  it('gives the card in Chinese: labels, dimension names, the reasons\' own Chinese, the route', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC010', { lang: 'zh' });
    expect(card).toMatchObject({ lang: 'zh', tier: '红色', change: '上升', coverage: '低保' });
    expect(card.members[0]).toMatchObject({ relation: '户主' });
    expect(card.members[0]!.diagnoses).toEqual(['慢性病', '重特大疾病']);
    expect(card.dimensions.find((d) => d.dimension === 'medical_burden')).toMatchObject({ label: '医疗支出负担' });
    const { rows } = await sql<{ reasons: { dimension: string; text_zh: string }[] }>`
      select reasons from household_score where period = '2026-10' and household_id = 'WC010'`.execute(test.handle.db);
    for (const r of rows[0]!.reasons) expect(card.dimensions.find((d) => d.dimension === r.dimension)!.facts).toBe(r.text_zh);
    const text = formatCard(card);
    for (const word of ['户编号 WC010', '预警总分', '预警名单第18位', '家庭成员', '预警原因', '经济状况', '历史', '与上期相比', '预警等级 黄色 → 红色', '复核']) {
      expect(text).toContain(word);
    }
    expect(text).not.toMatch(/\b(Score|Members|History|rank|economic|medical_burden|tier)\b/);

    const uncovered = await householdCard(test.handle.db, '2026-10', 'WC001', { lang: 'zh' });
    expect(uncovered.route).toMatchObject({ name: ROUTE_ZH[uncovered.route!.route] });
    expect(uncovered.route!.rule).toMatch(/[\u4e00-\u9fff]/);
    expect(formatCard(uncovered)).toContain(`建议救助路径：${ROUTE_ZH[uncovered.route!.route]}`);
  });
});

describe('address and phone on the card', () => {
  it('masked for a district-wide or unscoped reader, in clear for a street\'s own scope and when unmasked', async () => {
    const { rows } = await sql<{ address: string; phone: string }>`
      select address, phone from household where period = '2026-10' and household_id = 'WC001'`.execute(test.handle.db);
    const { address, phone } = rows[0]!;
    const district = await householdCard(test.handle.db, '2026-10', 'WC001', { readerScope: '420106' });
    expect(district.address).toBe(`${[...address].slice(0, 6).join('')}…`);
    expect(district.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(-4)}`);
    expect(formatCard(district)).not.toContain(phone);
    const street = await householdCard(test.handle.db, '2026-10', 'WC001', { readerScope: '420106001', region: '420106001' });
    expect([street.address, street.phone]).toEqual([address, phone]);
    expect(formatCard(street)).toContain(`Address: ${address}`);
    const unmasked = await householdCard(test.handle.db, '2026-10', 'WC001', { unmasked: true });
    expect([unmasked.address, unmasked.phone]).toEqual([address, phone]);
  });
});
