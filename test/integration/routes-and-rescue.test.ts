import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { householdCard } from '../../src/export/household-card.js';
import { writeQualityReport } from '../../src/export/quality-report.js';
import { reportData } from '../../src/report/report-data.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { parseIdNumber } from '../../src/identity/id-number.js';
import { nearNumbers } from '../../src/identity/id-rescue.js';
import { decideReviewItem, reviewItems } from '../../src/link/identity-review.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId, makeInbox, type Table } from '../helpers/inbox.js';

/**
 * Issue 8 as a fixture: one household per programme route and per review reason, and one row
 * per identity-rescue case, through the real pipeline on real PostgreSQL. The dibao standard is
 * 1,000 yuan (420106 urban), so the edge band ends at 1,500.
 */

const config = parseConfig(undefined);
const test = useTestDatabase();
const run = (inbox: string, period: string) => runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });

// keying errors, as a department's clerk makes them
const slip = (id: string, at = 15) => id.slice(0, at) + String((Number(id[at]) + 1) % 10) + id.slice(at + 1);
const swap = (id: string, at: number) => id.slice(0, at) + id[at + 1] + id[at] + id.slice(at + 2);

const P = {
  r1: makeId('19760310', 11), // dibao
  r2a: makeId('19710505', 21), // expenditure-type hardship: the patient
  r2b: makeId('19730606', 22),
  r3a: makeId('19810101', 31), // single-person coverage
  r3b: makeId('19830202', 32),
  r3son: makeId('20060303', 33), // grade 1 intellectual disability, sent with one wrong digit
  r3gran: makeId('19480404', 34),
  r4a: makeId('19440101', 41), // dibao edge
  r4b: makeId('19470202', 42),
  r5a: makeId('19560707', 51), // temporary assistance: a bill sent with two digits swapped
  r5b: makeId('19580808', 52),
  r6: makeId('19600909', 61), // left dibao, still in hardship
  r7: makeId('19810303', 71), // dibao, income up
  r8: makeId('19410404', 81), // tekun, severe illness gone
  r9a: makeId('19660606', 91), // dibao, severely disabled son gone from the roster
  r9son: makeId('19960707', 92),
  r10a: makeId('19850101', 101), // ordinary
  r10b: makeId('19860202', 102),
  twin1: makeId('19700101', 123), // two men named 张伟 born the same day in the same county
};
// the number a health clerk typed: one error from twin1, and one from another valid number (twin2)
const twinSent = slip(P.twin1);
const twin2 = nearNumbers(twinSent).find((n) => n !== P.twin1 && n.slice(0, 14) === P.twin1.slice(0, 14))!;
// the sequence digits swapped must differ, or the swap is no error
const swapAt = P.r5a[14] !== P.r5a[15] ? 14 : 15;
// a real, valid number of another person with R1's name: looks like a slip, is not one
const lookalike = nearNumbers(slip(P.r1)).find((n) => n !== P.r1 && n.slice(0, 14) === P.r1.slice(0, 14))!;

const R = (hh: string, id: string, name: string, rel: string, assistance: string, income: number | '', emp: string, region = '420106001001'): (string | number)[] =>
  [hh, id, name, rel, region, 'urban', assistance, income, emp, '武汉市武昌区测试路1号', ''];

function roster(period: '2026-09' | '2026-10'): Table {
  const oct = period === '2026-10';
  return [
    R('R1', P.r1, '钱进', 'head', 'none', 600, 'unemployed'),
    R('R2', P.r2a, '孙强', 'head', 'none', 6000, 'employed'),
    R('R2', P.r2b, '李梅', 'spouse', 'none', '', 'employed'),
    R('R3', P.r3a, '周斌', 'head', 'none', 4800, 'employed', '420106002001'),
    R('R3', P.r3b, '吴静', 'spouse', 'none', '', 'unable', '420106002001'),
    R('R3', P.r3son, '周小斌', 'child', 'none', '', 'unable', '420106002001'),
    R('R3', P.r3gran, '郑秀英', 'parent', 'none', '', 'retired', '420106002001'),
    R('R4', P.r4a, '王福', 'head', 'none', 2200, 'retired'),
    R('R4', P.r4b, '冯兰', 'spouse', 'none', '', 'retired'),
    R('R5', P.r5a, '陈安', 'head', 'none', 3600, 'retired'),
    R('R5', P.r5b, '褚红', 'spouse', 'none', '', 'retired'),
    R('R6', P.r6, '卫东', 'head', oct ? 'none' : 'dibao', oct ? 1400 : 900, 'unable'),
    R('R7', P.r7, '蒋平', 'head', 'dibao', oct ? 2400 : 800, oct ? 'employed' : 'unemployed'),
    R('R8', P.r8, '沈玉', 'head', 'tekun', 700, 'retired'),
    R('R9', P.r9a, '韩亮', 'head', 'dibao', 900, 'unemployed'),
    ...(oct ? [] : [R('R9', P.r9son, '韩小亮', 'child', 'dibao', '', 'unable')]),
    R('R10', P.r10a, '杨光', 'head', 'none', 15000, 'employed', '420106003001'),
    R('R10', P.r10b, '朱丽', 'spouse', 'none', '', 'employed', '420106003001'),
    R('R11', P.twin1, '张伟', 'head', 'none', 15000, 'employed', '420106003001'),
    R('R12', twin2, '张伟', 'head', 'none', 16000, 'employed', '420106003002'),
  ];
}

let inbox: string;
beforeAll(async () => {
  inbox = await makeInbox(
    {
      '2026-09': {
        roster: roster('2026-09'),
        disability: [[P.r9son, '韩小亮', 'physical', '1', '2015-01-01']],
        claims: [
          // 12 months of history: R2's two hospital stays, neither in the last 3 months
          ['C-R2-1', P.r2a, '孙强', '2026-03-10', '1', 60000, 30000, '', 30000],
          ['C-R2-2', P.r2a, '孙强', '2026-05-20', '1', 50000, 25000, '', 25000],
        ],
        health: [
          [P.r2a, '孙强', 'C34.1', 'severe', '2026-03-01'],
          [P.r8, '沈玉', 'C16.9', 'severe', '2025-12-01'],
          [P.r6, '卫东', 'I10', 'chronic', '2020-01-01'],
        ],
      },
      '2026-10': {
        roster: roster('2026-10'),
        disability: [
          [slip(P.r3son), '周小斌', 'intellectual', '1', '2016-05-05'], // one wrong digit: rescued
          [slip(P.r10a), '杨广', 'physical', '3', '2019-01-01'], // one wrong digit, another name: weak, review
        ],
        claims: [
          [`C-R5-1`, swap(P.r5a, swapAt), '陈安', '2026-10-05', '1', 30000, 18000, '', 12000], // adjacent swap: rescued
          ['C-X-1', slip(makeId('19990101', 999)), '无名', '2026-10-06', '0', 100, 50, '', 50], // nobody near: stays rejected
          ['C-R5-2', swap(P.r5a, swapAt), '陈安', '2026-10-07', '0', 300, 200, '', 100], // rescuable, but…
          ['C-R5-2', P.r5a, '陈安', '2026-10-07', '0', 300, 200, '', 100], // …a valid line carries the same claim: it wins
        ],
        health: [
          [P.r2a, '孙强', 'C34.1', 'severe', '2026-03-01'],
          [P.r4a, '王福', 'I10', 'chronic', '2015-01-01'],
          [P.r6, '卫东', 'I10', 'chronic', '2020-01-01'],
          [twinSent, '张伟', 'E11.9', 'chronic', '2024-01-01'], // two 张伟 fit: ambiguous, review
          [lookalike, '钱进', 'I10', 'chronic', '2024-01-01'], // valid number: its own person, never "rescued"
        ],
      },
    },
    [['420106', 'urban', '2025-01', '1000']],
  );
  await run(inbox, '2026-09');
  await run(inbox, '2026-10');
});

async function list(period: string, lang: 'en' | 'zh' = 'en'): Promise<Record<string, string>[]> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, { period, lang }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return parse(Buffer.concat(chunks).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
}

describe('suggested route per household', () => {
  it('each warned household carries the programme it most likely fits, with the rule that matched', async () => {
    const rows = await list('2026-10');
    const byId = Object.fromEntries(rows.map((r) => [r.household_id, r]));
    expect(
      Object.fromEntries(['R1', 'R2', 'R3', 'R4', 'R5'].map((h) => [h, byId[h]?.route])),
    ).toEqual({ R1: 'dibao', R2: 'expenditure_hardship', R3: 'single_person', R4: 'dibao_edge', R5: 'temporary' });
    expect(byId.R1!.route_rule).toBe('per-capita income 600 yuan a month is under the dibao standard of 1,000 yuan');
    expect(byId.R2!.route_rule).toBe(
      'per-capita income 3,000 yuan a month, but 708 yuan after out-of-pocket medical spending (55,000 yuan in 12 months): under the dibao standard of 1,000 yuan',
    );
    expect(byId.R5!.route_rule).toBe(
      // the stay (12,000) and a small bill (100) in October
      "out-of-pocket medical 12,100 yuan settled in the last 3 months, 3.36x the household's monthly income, without a lasting income problem",
    );
    // ordinary: not listed (it may be drawn for an audit visit, which is no finding about it)
    expect(byId.R10?.visit_kind ?? 'not on the list').not.toBe('listed');
  });

  it('in Chinese the route is the programme\'s name', async () => {
    const rows = await list('2026-10', 'zh');
    const routes = Object.fromEntries(rows.map((r) => [r['户编号'], r['建议救助路径']]));
    expect([routes.R1, routes.R2, routes.R3, routes.R4, routes.R5]).toEqual(['低保', '支出型困难', '单人户施保', '低保边缘', '临时救助']);
  });

  it('left dibao and still in hardship: on the list for review, not silently dropped', async () => {
    const r6 = (await list('2026-10')).find((r) => r.household_id === 'R6')!;
    expect(r6.route).toBe('dibao_edge');
    expect(r6.reasons).toContain('left dibao after 2026-09 and still in hardship');
    const score = await test.handle.db.selectFrom('household_score').select(['review', 'on_list']).where('period', '=', '2026-10').where('household_id', '=', 'R6').executeTakeFirstOrThrow();
    expect(score).toEqual({ review: true, on_list: false }); // under the threshold, listed for the review
  });

  it('covered households whose facts change a lot are flagged for review, never acted on', async () => {
    const rows = Object.fromEntries((await list('2026-10')).map((r) => [r.household_id, r]));
    expect(rows.R7!.reasons).toContain('covered by dibao, but per-capita income 2,400 yuan a month is 2.40x the dibao standard');
    // and the score's fall since last month is said too, not hidden behind the income reason
    expect(rows.R7!.reasons).toMatch(/already covered by dibao; score down \d+\.\d since 2026-09: review whether the assistance still fits/);
    expect(rows.R8!.reasons).toContain('with a severe illness or disability in 2026-09 no longer has one on record (recovered?)');
    expect(rows.R9!.reasons).toContain("is no longer in the household's records (deceased or moved?)");
    for (const h of ['R7', 'R8', 'R9']) {
      expect(rows[h]!.route).toBe(''); // covered: reviewed, not routed
      expect(rows[h]!.coverage).toMatch(/dibao|tekun/); // still covered: nothing changed by itself
    }
  });

  it('the household card shows the route, the review reasons and the rescued link', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'R3', {});
    expect(card.route?.route).toBe('single_person');
    expect(card.rescued_links).toHaveLength(1);
    expect(card.rescued_links[0]).toMatchObject({ source: 'disability', period: '2026-10', difference: 'substitution', confidence: 0.9 });
    const r7 = await householdCard(test.handle.db, '2026-10', 'R7', {});
    expect(r7.review_reasons[0]).toContain('2.40x the dibao standard');
  });
});

describe('identity rescue', () => {
  const outcomes = async (period: string) =>
    test.handle.db.selectFrom('identity_rescue').select(['source', 'outcome', 'difference', 'id18', 'sent_name']).where('period', '=', period).orderBy('source').orderBy('line').execute();

  it('each case: one wrong digit and an adjacent swap linked; ambiguous and weak to review; nobody near stays rejected', async () => {
    const rows = await outcomes('2026-10');
    expect(rows).toEqual([
      { source: 'disability', outcome: 'rescued', difference: 'substitution', id18: P.r3son, sent_name: '周小斌' },
      { source: 'disability', outcome: 'review', difference: null, id18: null, sent_name: '杨广' },
      { source: 'health', outcome: 'review', difference: null, id18: null, sent_name: '张伟' },
      { source: 'medical-insurance', outcome: 'rescued', difference: 'transposition', id18: P.r5a, sent_name: '陈安' },
      { source: 'medical-insurance', outcome: 'rejected', difference: null, id18: null, sent_name: '无名' },
      { source: 'medical-insurance', outcome: 'rejected', difference: 'transposition', id18: P.r5a, sent_name: '陈安' },
    ]);
  });

  it('a correct number that only looks like a slip is its own person, never rescued', async () => {
    expect(parseIdNumber(lookalike).ok).toBe(true);
    const nr = await test.handle.db.selectFrom('member').select(['household_id']).where('period', '=', '2026-10').where('id18', '=', lookalike).executeTakeFirstOrThrow();
    expect(nr.household_id).toMatch(/^NR-/);
    const r1 = await test.handle.db.selectFrom('household_score').select('rescued_links').where('period', '=', '2026-10').where('household_id', '=', 'R1').executeTakeFirstOrThrow();
    expect(r1.rescued_links).toBe(0);
  });

  it('rescued rows count in the household facts, and the list says the visit should check the ID', async () => {
    const rows = Object.fromEntries((await list('2026-10')).map((r) => [r.household_id, r]));
    // without the rescued grade-1 certificate R3 would score 23 and not be listed
    expect(Number(rows.R3!.disability)).toBe(80);
    expect(rows.R3!.rescued_ids).toBe('1');
    expect(rows.R3!.reasons).toContain('1 fact rests on an ID number corrected from a keying error: check the ID at the visit');
    expect(rows.R5!.rescued_ids).toBe('1');
    expect(rows.R1!.rescued_ids).toBe('0');
  });

  it('the data-quality figures reconcile: rejected = loaded by rescue + sent to review + still rejected', async () => {
    const loads = await test.handle.db.selectFrom('source_load').select(['source', 'rows_read', 'rows_loaded', 'rows_rejected', 'rows_rescued']).where('period', '=', '2026-10').orderBy('source').execute();
    const rescue = await outcomes('2026-10');
    const rejectedRows = await test.handle.db.selectFrom('rejected_row').select(['source']).where('period', '=', '2026-10').execute();
    for (const l of loads) {
      const mine = rescue.filter((r) => r.source === l.source);
      expect(l.rows_read).toBe(l.rows_loaded + l.rows_rejected);
      expect(l.rows_rejected).toBe(rejectedRows.filter((r) => r.source === l.source).length);
      // every rejection in this fixture is an ID number: each has exactly one rescue outcome
      expect(mine.length).toBe(l.rows_rejected);
      expect(l.rows_rescued).toBe(mine.filter((r) => r.outcome === 'rescued').length);
    }
    expect(loads.find((l) => l.source === 'disability')).toMatchObject({ rows_read: 2, rows_rejected: 2, rows_rescued: 1 });
    const summary = await test.handle.db.selectFrom('run').select('summary').where('period', '=', '2026-10').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    expect((summary.summary as { identity_rescue: unknown }).identity_rescue).toEqual({
      disability: { rescued: 1, review: 1, rejected: 0 },
      'medical-insurance': { rescued: 1, review: 0, rejected: 2 },
      health: { rescued: 0, review: 1, rejected: 0 },
    });
  });

  it('the data-quality report and the monthly report show what the rescue did, without the roster\'s people', async () => {
    const chunks: Buffer[] = [];
    await writeQualityReport(test.handle.db, '2026-10', new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
    const lines = parse(Buffer.concat(chunks).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
    const rescue = lines.filter((l) => /identity/.test(l.status!)).map((l) => [l.source, l.status, l.problem]);
    expect(rescue).toEqual([
      ['disability', 'rescued (identity)', 'linked to a roster person: one wrong digit, confidence 0.90 (please correct the number at the source)'],
      ['disability', 'identity review', 'more than one or only a weak roster match: waiting for an analyst (safetynet review)'],
      ['health', 'identity review', 'more than one or only a weak roster match: waiting for an analyst (safetynet review)'],
      ['medical-insurance', 'rescued (identity)', 'linked to a roster person: two adjacent digits swapped, confidence 0.95 (please correct the number at the source)'],
      ['medical-insurance', 'rejected (identity)', 'no roster person matches: stays rejected'],
      ['medical-insurance', 'rejected (identity)', 'would link to a roster person, but the row is invalid otherwise or a valid line carries the same claim: stays rejected'],
    ]);
    // each line shows the number as sent, masked the contract's way, never whole
    for (const l of lines.filter((x) => x.status !== 'kept with warning')) expect(l.id_number_masked).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
    const data = await reportData(test.handle.db, '2026-10');
    expect(data.quality.find((q) => q.source === 'disability')?.rescue).toEqual({ rescued: 1, review: 1, rejected: 0 });
    expect(data.quality.find((q) => q.source === 'civil-affairs')?.rescue).toBeNull();
    expect(data.routes).toEqual([
      { route: 'dibao', households: 1 },
      { route: 'expenditure_hardship', households: 1 },
      { route: 'single_person', households: 1 },
      { route: 'dibao_edge', households: 2 }, // R4, and R6 listed for its exit review
      { route: 'temporary', households: 1 },
    ]);
  });

  it('an analyst answers the review list; the answers are remembered and applied by the rerun', async () => {
    const items = await reviewItems(test.handle.db, '2026-10');
    expect(items.map((i) => i.item)).toEqual(['disability:3', 'health:5']);
    const twins = items[1]!;
    expect(twins.candidates.map((c) => [c.household_id, c.name_matches, c.birth_matches, c.region_matches])).toEqual([
      ['R11', true, true, true],
      ['R12', true, true, true],
    ]);
    expect(twins.candidates[0]!.id18).toMatch(/^420106\*{8}/); // masked
    await decideReviewItem(test.handle.db, { period: '2026-10', item: 'health:5', decision: 'confirmed', candidate: 2, operator: 'wang' });
    await decideReviewItem(test.handle.db, { period: '2026-10', item: 'disability:3', decision: 'refused', operator: 'wang' });

    await run(inbox, '2026-10');
    const rows = await outcomes('2026-10');
    expect(rows.find((r) => r.source === 'health')).toMatchObject({ outcome: 'rescued', difference: 'confirmed', id18: twin2 });
    expect(rows.filter((r) => r.source === 'disability').map((r) => r.outcome)).toEqual(['rescued', 'rejected']);
    const r12 = await test.handle.db.selectFrom('household_score').select('rescued_links').where('period', '=', '2026-10').where('household_id', '=', 'R12').executeTakeFirstOrThrow();
    expect(r12.rescued_links).toBe(1);
    expect(await reviewItems(test.handle.db, '2026-10')).toEqual([]);
  });
});
