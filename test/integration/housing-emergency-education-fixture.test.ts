import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { warningListEntries, type WarningListEntry } from '../../src/export/warning-list.js';
import { useTestDatabase } from '../helpers/database.js';
import { runDistrictA } from '../helpers/district-a.js';

/**
 * The fixture district's housing, emergency and education extracts (fixtures/district-a, first
 * delivered in 2026-10): WC121's grade-D house in a household under the dibao line (a reason and
 * the housing-assistance note on its route), WC122's flood with its loss in the reasons (the
 * loss counted once though two members were registered for it), WC123's school fees tipping an
 * edge-band household into expenditure-type hardship. 2026-09 runs without the three files.
 */
const test = useTestDatabase();
const summaries = runDistrictA(test);

async function entry(household: string): Promise<WarningListEntry> {
  for await (const e of warningListEntries(test.handle.db, { period: '2026-10' })) if (e.household_id === household) return e;
  throw new Error(`${household} is not on the 2026-10 list`);
}

describe('the fixture month with housing, emergency and education extracts', () => {
  it('loads them, refusing the bad rows with their reasons', async () => {
    const s = summaries['2026-10']!.sources;
    expect(s.housing).toEqual({ rows_read: 4, rows_loaded: 2, rows_rejected: 2 });
    expect(s.emergency).toEqual({ rows_read: 4, rows_loaded: 3, rows_rejected: 1 });
    expect(s.education).toEqual({ rows_read: 2, rows_loaded: 1, rows_rejected: 1 });
    const { rows } = await sql<{ source: string; line: number; reason: string }>`
      select source, line, reason from rejected_row where period = '2026-10' and source in ('housing', 'emergency', 'education') order by source, line
    `.execute(test.handle.db);
    expect(rows.map((r) => `${r.source}:${r.line} ${r.reason}`)).toEqual([
      expect.stringMatching(/^education:3 .*school year 2025-2026 is not the one in progress \(2026-2027\)/),
      expect.stringMatching(/^emergency:5 .*not an amount in yuan/),
      expect.stringMatching(/^housing:4 .*grade B is not dangerous housing/),
      expect.stringMatching(/^housing:5 .*appraised on 2026-11-05, after the end of the period/),
    ]);
    expect(summaries['2026-09']!.not_delivered).toMatchObject({ housing: null, emergency: null, education: null });
  });

  it("names WC121's grade-D house in its reasons and adds housing assistance to its route", async () => {
    const e = await entry('WC121');
    expect(e.reasons).toContain('house appraised grade D (dangerous, 住建) on 2026-08-14 in a low-income household: housing assistance (住房救助)');
    expect(e.route).toBe('dibao');
    expect(e.route_rule).toBe(
      'per-capita income 800 yuan a month is under the dibao standard of 1,050 yuan; also housing assistance (住房救助): house appraised grade D (dangerous) on 2026-08-14',
    );
    // its 2025-09 hailstorm is older than the 12 months: not a reason
    expect(e.reasons).not.toContain('风雹');
  });

  it("names WC122's flood with its loss, once for the household, and counts it as rigid spending", async () => {
    const e = await entry('WC122');
    expect(e.reasons).toContain('disaster (应急): 2026年8月暴雨洪涝 on 2026-08-09, loss 40,000 yuan, house damaged');
    expect(e.route).toBe('expenditure_hardship');
    expect(e.route_rule).toBe(
      'per-capita income 1,200 yuan a month, but 89 yuan after rigid spending (disaster loss 40,000 yuan in 12 months): under the dibao standard of 1,050 yuan',
    );
  });

  it('lists WC123 only for its school fees: expenditure-type hardship', async () => {
    const e = await entry('WC123');
    expect(e.route).toBe('expenditure_hardship');
    expect(e.route_rule).toBe(
      'per-capita income 1,100 yuan a month, but 878 yuan after rigid spending (school fees 8,000 yuan this school year): under the dibao standard of 1,050 yuan',
    );
    expect(e.reasons).toContain(
      'after rigid spending of 667 yuan a month (school fees 8,000 yuan this school year) income is 878 yuan per person, under the local dibao standard of 1,050 yuan',
    );
    // without the fees its income is 1.05x the standard: the edge band's 45 x 0.35 = 15.75, under the line of 30
    const { rows } = await sql<{ total: number; economic: number }>`
      select total, (dimensions->>'economic')::numeric as economic from household_score where period = '2026-10' and household_id = 'WC123'
    `.execute(test.handle.db);
    expect(rows[0]!.economic).toBeGreaterThan(86);
    expect(rows[0]!.total - 0.35 * rows[0]!.economic + 0.35 * 45).toBeLessThan(30);
  });
});
