import { describe, expect, it } from 'vitest';
import { reportData } from '../../src/report/report-data.js';
import { useTestDatabase } from '../helpers/database.js';
import { runDistrictA } from '../helpers/district-a.js';

/**
 * The fixture district's public-security events (fixtures/district-a, WC101-WC108): 2026-09
 * sends three moves out, 2026-10 the month's deaths, a birth, a move, and a withdrawal and a move
 * back in for the two of September. Each household's score, reasons and review show what the
 * events change in the month they are run in.
 */
const test = useTestDatabase();
const summaries = runDistrictA(test);

async function scored(household: string, period = '2026-10') {
  const row = await test.handle.db
    .selectFrom('household_score')
    .select(['total', 'on_list', 'covered', 'review', 'route', 'dimensions', 'reasons', 'review_reasons', 'signal_departments'])
    .where('period', '=', period)
    .where('household_id', '=', household)
    .executeTakeFirstOrThrow();
  const reasonOf = (dimension: string) => row.reasons.find((r) => r.dimension === dimension);
  return { ...row, reasonOf };
}

describe('the fixture months with public-security events', () => {
  it('loads the events: a birth without a parent refused, a death sent twice in the file noted', async () => {
    expect(summaries['2026-09']!.sources['public-security']).toEqual({ rows_read: 3, rows_loaded: 3, rows_rejected: 0 });
    expect(summaries['2026-10']!.sources['public-security']).toEqual({ rows_read: 10, rows_loaded: 9, rows_rejected: 1 });
    const rejected = await test.handle.db
      .selectFrom('rejected_row').select(['line', 'column_name', 'reason'])
      .where('period', '=', '2026-10').where('source', '=', 'public-security').execute();
    expect(rejected).toEqual([{ line: 9, column_name: '父母身份证号', reason: "父母身份证号: a birth must give a parent's ID number" }]);
    const issues = await test.handle.db
      .selectFrom('quality_issue').select(['line', 'kind', 'detail'])
      .where('period', '=', '2026-10').where('source', '=', 'public-security').execute();
    expect(issues).toEqual([{ line: 2, kind: 'event_resent_in_file', detail: 'the same death of the same person again on line 11, which replaces this one' }]);
  });

  it('is in the monthly report\'s data quality like any department: rows, rejects by reason, link rate to the roster', async () => {
    const quality = (await reportData(test.handle.db, '2026-10')).quality.find((q) => q.source === 'public-security');
    expect(quality).toMatchObject({
      rowsRead: 10, rowsLoaded: 9, rowsRejected: 1, previousRowsRead: 3,
      rejects: [{ reason: "a birth must give a parent's ID number", rows: 1 }],
      // eight people: six on the roster; the newborn is not yet, the man who died is on no roster
      people: 8, linked: 6,
    });
  });

  it('makes no household of a person known only here (钱永福, who died on no roster) nor of the newborn', async () => {
    // the district's one not-on-roster household is medical insurance's, as before
    expect(summaries['2026-10']!.not_on_roster).toBe(1);
    const outsiders = await test.handle.db
      .selectFrom('household').select('head_name').where('period', '=', '2026-10').where('on_roster', '=', false).execute();
    expect(outsiders.map((h) => h.head_name)).not.toContain('钱永福');
  });

  it("raises WC101 on the death of its main earner, its only able earner, with the corrected date", async () => {
    const wc101 = await scored('WC101');
    expect(wc101.on_list).toBe(true);
    expect(wc101.reasonOf('labour_capacity')!.text).toBe('the main earner 陈* died on 2026-10-03 (公安), no able earner among 2 members');
    expect(wc101.reasonOf('labour_capacity')!.text_zh).toBe('主要劳动力陈*于2026-10-03去世（公安），2名成员均无劳动能力');
    expect(wc101.reasonOf('economic')!.text).toBe(
      "household income unknown since the main earner died: the roster's 4,500 yuan a month was declared with them " +
        '(counted as the edge band until a visit verifies it), the main earner 陈* died on 2026-10-03 (公安)',
    );
    // income unknown 45 + the death 25; no able earner among dependants 100
    expect(wc101.dimensions).toMatchObject({ economic: 70, labour_capacity: 100 });
    // the visit verifies what the household lives on now
    expect(wc101.route).toBe('assess');
    expect(wc101.signal_departments).toContain('public-security');
  });

  it('counts WC105 without its grandmother from the day she died: two members, and she was not the main earner', async () => {
    const wc105 = await scored('WC105');
    // 2,400 yuan for 2, not 3: 1,200 a person, the edge band under 1.5 x 1,050
    expect(wc105.reasonOf('economic')!.text).toBe('income 1,200 yuan per person a month, 1.14x the dibao standard of 1,050 yuan (edge band under 1.5x)');
    expect(wc105.reasons.map((r) => r.text).join(' ')).not.toContain('main earner');
    // no elderly member left to score in the age structure
    expect(wc105.dimensions.age_structure ?? 0).toBe(0);
  });

  it('flags the covered WC102, whose only member died, and WC103, whose only member moved away, for review, off the warning list', async () => {
    const wc102 = await scored('WC102');
    expect(wc102.review).toBe(true);
    expect(wc102.on_list).toBe(false);
    expect(wc102.review_reasons).toContainEqual({
      text: 'covered by dibao; its only member 赵* died on 2026-09-20 (公安): review (stop or transfer the assistance)',
      text_zh: '已享受低保；唯一成员赵*已于2026-09-20去世（公安）：请复核（停发或转移救助）',
    });
    const wc103 = await scored('WC103');
    expect(wc103.review).toBe(true);
    expect(wc103.review_reasons.map((r) => r.text)).toContain(
      'covered by tekun; its only member 孙* moved out of the jurisdiction on 2026-10-08 (公安): review (stop or transfer the assistance)',
    );
  });

  it('adds the newborn of WC104 to its parents: three members, 1,050 yuan a person', async () => {
    const wc104 = await scored('WC104');
    expect(wc104.reasonOf('economic')!.text).toBe('income 1,050 yuan per person a month, 1.00x the dibao standard of 1,050 yuan (edge band under 1.5x)');
    expect(wc104.signal_departments).toContain('public-security');
  });

  it('reads every month received: a move out withdrawn in 2026-10 (WC106), a move back in (WC107)', async () => {
    // 周婷's move out of September was sent again as cancelled: she still counts, 2,000 yuan for 2
    expect((await scored('WC106')).reasonOf('economic')!.text).toBe('income 1,000 yuan per person a month, under the local dibao standard of 1,050 yuan');
    // 郑伟 moved out in September and back in October: his dibao household is not flagged as left
    expect((await scored('WC107')).review_reasons.map((r) => r.text).join(' ')).not.toContain('公安');
  });

  it('keeps counting a move received in an earlier month: WC108 without the spouse who moved out in September', async () => {
    // 1,400 yuan for the one member left, not 700 each for two
    expect((await scored('WC108')).reasonOf('economic')!.text).toBe(
      'income 1,400 yuan per person a month, 1.33x the dibao standard of 1,050 yuan (edge band under 1.5x)',
    );
  });
});
