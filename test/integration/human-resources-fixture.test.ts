import { describe, expect, it } from 'vitest';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { warningListEntries, type WarningListEntry } from '../../src/export/warning-list.js';
import { useTestDatabase } from '../helpers/database.js';
import { runDistrictA } from '../helpers/district-a.js';

/**
 * The fixture district's human-resources extract (fixtures/district-a: first delivered in
 * 2026-10): WC002's pension above its roster income, WC007's spouse registered unemployed, in
 * the list's reasons and on the card; a pensioner on no roster is no household; 2026-09, before
 * the first delivery, says it was not delivered.
 */
const test = useTestDatabase();
const summaries = runDistrictA(test);

async function entry(period: string, household: string): Promise<WarningListEntry> {
  for await (const e of warningListEntries(test.handle.db, { period })) if (e.household_id === household) return e;
  throw new Error(`${household} is not on the ${period} list`);
}

describe('the fixture month with a human-resources extract', () => {
  it('loads it: four people, one row refused for its ID number', () => {
    expect(summaries['2026-10']!.sources['human-resources']).toEqual({ rows_read: 5, rows_loaded: 4, rows_rejected: 1 });
    expect(summaries['2026-10']!.not_delivered).toEqual({});
    // the pensioner on no roster stays off: still the one not-on-roster household of the fixture
    expect(summaries['2026-10']!.not_on_roster).toBe(1);
  });

  it("shows WC002's pension as its income in the list's reasons, and WC007's registered unemployment", async () => {
    expect((await entry('2026-10', 'WC002')).reasons).toContain(
      "income 1,400 yuan a month: a member's pension (人社); the roster says 600, after out-of-pocket medical spending (190 yuan a month) income is 1,210 yuan per person a month",
    );
    const wc007 = (await entry('2026-10', 'WC007')).reasons;
    expect(wc007).toContain('1 working-age member unemployed (1 registered unemployed since 2026-08-17 (人社))');
    expect(wc007).toContain('no able earner among 2 members (1 registered unemployed (人社), not counted)');
  });

  it('shows them on the card, with the extract they came from', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC007');
    const economic = card.dimensions.find((d) => d.dimension === 'economic')!;
    expect(economic.facts).toContain('registered unemployed since 2026-08-17 (人社)');
    expect(economic.sources).toContain('human-resources 2026-10 (pensions, unemployment registrations)');
    expect(card.not_delivered).toEqual([]);
    const zh = formatCard(await householdCard(test.handle.db, '2026-10', 'WC002', { lang: 'zh' }));
    expect(zh).toContain('月收入1,400元：成员养老金（人社）；名册为600元');
  });

  it('2026-09, before its first extract, says it was not delivered', async () => {
    expect(summaries['2026-09']!.not_delivered).toMatchObject({ 'human-resources': null });
    const card = await householdCard(test.handle.db, '2026-09', 'WC002');
    expect(formatCard(card)).toContain('from: human-resources: not delivered; no 2026-09 extract and none before it');
  });
});
