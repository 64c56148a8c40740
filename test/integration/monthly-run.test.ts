import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ExtractRejected, ExtractsMissing, ManifestMismatch, PeriodLocked } from '../../src/errors.js';
import { writeQualityReport } from '../../src/export/quality-report.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { checkDigit } from '../../src/identity/id-number.js';
import { rosterAsOf } from '../../src/ingest/civil-affairs/civil-affairs.source.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId, makeInbox, type PeriodSpec } from '../helpers/inbox.js';

/**
 * The contract's rules, each on a household built for it, through the real pipeline on real
 * PostgreSQL: ingest → link → score → export.
 */

const config = parseConfig(undefined);
const test = useTestDatabase();
const run = (inbox: string, period: string) => runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });

async function exportList(period: string, opts: { all?: boolean; unmasked?: boolean; lang?: 'en' | 'zh'; region?: string; audit?: boolean } = {}): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) });
  await writeWarningList(test.handle.db, { period, ...opts }, sink, silentLog);
  return Buffer.concat(chunks).toString('utf8');
}

function rowsOf(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
  const cols = header!.split(',');
  // reasons is the last column and may hold commas: split only the first cols.length-1 commas
  return lines.map((l) => {
    const parts = l.split(',');
    const head = parts.slice(0, cols.length - 1);
    return Object.fromEntries([...head.map((v, i) => [cols[i]!, v]), [cols.at(-1)!, parts.slice(cols.length - 1).join(',')]]);
  });
}

// an ID whose check character is X, to test lowercase x
function idWithX(birth: string): string {
  for (let seq = 1; seq < 999; seq++) {
    const id17 = `420106${birth}${String(seq).padStart(3, '0')}`;
    if (checkDigit(id17) === 'X') return `${id17}X`;
  }
  throw new Error('no X id');
}

// People of the scenario district
const A = makeId('19800101', 11); // H1 head, the patient
const B = makeId('19820202', 22); // H1 spouse
const C = makeId('20150303', 31); // H1 child
const D = makeId('19500505', 41); // H2 head, 76, disability sent as a 15-digit ID
const D15 = `420106500505041`;
const E = idWithX('19550606'); // H2 spouse, sent with lowercase x
const G = makeId('19850707', 51); // H3 well-off
const H = makeId('19870808', 62); // H3 well-off
const K = makeId('19600909', 71); // H4 dibao, alone
const F = makeId('19400404', 81); // outsider: only the disability federation knows him
const BAD_CHECK = `${makeId('19900101', 91).slice(0, 17)}${makeId('19900101', 91).endsWith('1') ? '2' : '1'}`;
const FEB30 = (() => {
  const id17 = '42010619900230101';
  return id17 + checkDigit(id17);
})();

const fullWidth = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const september: PeriodSpec = {
  roster: [],
  files: {
    // the civil-affairs bureau sends GB18030 with Chinese headers and values
    'civil-affairs.csv': {
      encoding: 'gb18030',
      rows: [
        ['户编号', '身份证号', '姓名', '与户主关系', '区划代码', '户籍性质', '救助类型', '家庭月收入', '就业状况', '住址', '联系电话'],
        ['H1', A, '张伟', '户主', '420106001001', '城镇', '无', '3000', '在业', '武昌区中山路1号, 3单元', '13800000001'],
        ['H1', B, '李娜', '配偶', '420106001001', '城镇', '无', '', '失业', '', ''],
        ['H1', C, '张小明', '子女', '420106001001', '城镇', '无', '', '在校', '', ''],
        ['H2', D, '王建国', '户主', '420106001002', '城镇', '无', '2500', '退休', '', ''],
        ['H2', E, '赵秀兰', '配偶', '420106001002', '城镇', '无', '', '退休', '', ''],
        ['H3', G, '陈刚', '户主', '420106002001', '城镇', '无', '20000', '在业', '', ''],
        ['H3', H, '周丽', '配偶', '420106002001', '城镇', '无', '20000', '在业', '', ''],
        ['H4', K, '孙强', '户主', '420106002001', '城镇', '低保', '500', '无劳动能力', '', ''],
        ['H5', BAD_CHECK, '错号', '户主', '420106002001', '城镇', '无', '100', '在业', '', ''],
        ['', makeId('19910101', 93), '无户号', '户主', '420106002001', '城镇', '无', '100', '在业', '', ''],
      ],
    },
  },
  disability: [
    [D15, '王建国', 'physical', '一级', '20100101'],
    [F, '钱老汉', '肢体', '2', '2001-05-05'],
    ['4201061990010', '短号', 'physical', '3', ''],
  ],
  claims: [
    ['c1', A, '张伟', '2025-10-15', '1', '5000', '3000', '', '2000'],
    ['c2', A, '张伟', '20260310', 'Y', '40000', '20000', '', '20000'],
    ['c3', A, '张伟', '2026-09-05', '是', '30000', '15000', '0', '15000'],
    ['c9', FEB30, '二月', '2026-09-01', '0', '100', '50', '', '50'],
    ['c8', G, '陈刚', '2026-08-01', 'N', '900', '600', '', '300'],
  ],
  health: [
    [A, '张伟', 'C18.7', '重特大疾病', '2026-03-01'],
    [E.toLowerCase(), '赵秀兰', 'I10', 'chronic', '2020-01-01'],
    [fullWidth(D), '王建国', 'E11.9', '慢性病', '2019-01-01'],
  ],
  manifest: true,
};

const october: PeriodSpec = {
  roster: [
    ['H1', A, '张伟', 'head', '420106001001', 'urban', 'none', '3000', 'employed', '', ''],
    ['H1', B, '李娜', 'spouse', '420106001001', 'urban', 'none', '', 'unemployed', '', ''],
    ['H1', C, '张小明', 'child', '420106001001', 'urban', 'none', '', 'student', '', ''],
    ['H2', D, '王建国', 'head', '420106001002', 'urban', 'none', '2500', 'retired', '', ''],
    ['H2', E, '赵秀兰', 'spouse', '420106001002', 'urban', 'none', '', 'retired', '', ''],
    ['H3', G, '陈刚', 'head', '420106002001', 'urban', 'none', '20000', 'employed', '', ''],
    ['H3', H, '周丽', 'spouse', '420106002001', 'urban', 'none', '20000', 'employed', '', ''],
    ['H4', K, '孙强', 'head', '420106002001', 'urban', 'dibao', '500', 'unable', '', ''],
    ['H6', G, '陈刚', 'head', '420106002001', 'urban', 'none', '1', 'employed', '', ''],
  ],
  disability: [
    [D15, '王建国', 'physical', '1', '20100101'],
    [F, '钱老汉', 'physical', '2', '2001-05-05'],
  ],
  claims: [
    // c3 corrected: 15,000 was wrong, 5,000 is right; never counted twice
    ['c3', A, '张伟', '2026-09-05', 'true', '20000', '15000', '', '5000'],
    ['c4', A, '张伟', '2026-10-02', 'false', '2000', '1000', '', '1000'],
    ['c5', K, '孙强', '2026-10-10', '1', '60000', '30000', '', '30000'],
  ],
  health: [
    [A, '张伟', 'C18.7', 'severe', '2026-03-01'],
    [E, '赵秀兰', 'I10', 'chronic', '2020-01-01'],
    [D, '王建国', 'E11.9', 'chronic', '2019-01-01'],
    [K, '孙强', 'N18.5', 'severe', '2026-10-09'],
  ],
};

let inbox: string;
let sep: RunSummary;
let oct: RunSummary;

beforeAll(async () => {
  inbox = await makeInbox(
    { '2026-09': september, '2026-10': october },
    [
      ['420106', 'urban', '2025-01', '1000'],
      ['420106', 'rural', '2025-01', '850'],
      // a street raises its standard from October: longest prefix and latest month win
      ['420106001', 'urban', '2026-10', '1200'],
    ],
  );
  sep = await run(inbox, '2026-09');
  oct = await run(inbox, '2026-10');
});

const score = (period: string, household: string) =>
  test.handle.db
    .selectFrom('household_score')
    .selectAll()
    .where('period', '=', period)
    .where('household_id', '=', household)
    .executeTakeFirstOrThrow();

describe('counting what was read', () => {
  it('accounts for every row: read = loaded + rejected, per source', () => {
    for (const summary of [sep, oct]) {
      for (const counts of Object.values(summary.sources)) {
        expect(counts.rows_read).toBe(counts.rows_loaded + counts.rows_rejected);
      }
    }
    expect(sep.sources['civil-affairs']).toEqual({ rows_read: 10, rows_loaded: 8, rows_rejected: 2 });
    expect(sep.sources.disability).toEqual({ rows_read: 3, rows_loaded: 2, rows_rejected: 1 });
    expect(sep.sources['medical-insurance']).toEqual({ rows_read: 5, rows_loaded: 4, rows_rejected: 1 });
    // a person listed in two households: the second row is refused, pointing at the first
    expect(oct.sources['civil-affairs']).toEqual({ rows_read: 9, rows_loaded: 8, rows_rejected: 1 });
  });

  it('keeps each rejected row with its line, column and reason', async () => {
    const rejects = await test.handle.db
      .selectFrom('rejected_row')
      .select(['source', 'line', 'column_name', 'reason'])
      .where('period', '=', '2026-09')
      .orderBy('source').orderBy('line')
      .execute();
    expect(rejects).toEqual([
      { source: 'civil-affairs', line: 10, column_name: '身份证号', reason: expect.stringMatching(/身份证号: invalid ID number \(checksum\)/) },
      { source: 'civil-affairs', line: 11, column_name: '户编号', reason: '户编号: value is missing' },
      { source: 'disability', line: 4, column_name: 'id_number', reason: expect.stringContaining('(length)') },
      { source: 'medical-insurance', line: 5, column_name: 'id_number', reason: expect.stringContaining('(birthdate)') },
    ]);
    const dup = await test.handle.db.selectFrom('rejected_row').select(['line', 'reason']).where('period', '=', '2026-10').execute();
    expect(dup).toEqual([{ line: 10, reason: expect.stringContaining('already listed on line 7 (household H3)') }]);
  });
});

describe('identity', () => {
  it('decodes GB18030 with Chinese headers and values', async () => {
    const { rows: [row] } = await sql`select * from ${rosterAsOf('2026-09')} as r where id18 = ${A}`.execute(test.handle.db);
    expect(row).toMatchObject({ name: '张伟', relation: 'head', hukou_type: 'urban', assistance: 'none', employment: 'employed', address: '武昌区中山路1号, 3单元' });
  });

  it('links a 15-digit number, a lowercase x and full-width digits to the same people', async () => {
    const persons = await sql<{ household_id: string; id18: string; grade: number | null; categories: string[] }>`
      select m.household_id, m.id18, min(d.disability_grade) as grade, array_agg(distinct x.category) filter (where x.category is not null) as categories
      from member m
      left join disability d on d.period = m.period and d.id18 = m.id18
      left join diagnosis x on x.period = m.period and x.id18 = m.id18
      where m.period = '2026-09' and m.household_id = 'H2'
      group by m.household_id, m.id18 order by m.id18
    `.execute(test.handle.db);
    expect(persons.rows).toEqual(
      [
        { household_id: 'H2', id18: D, grade: 1, categories: ['chronic'] },
        { household_id: 'H2', id18: E, grade: null, categories: ['chronic'] },
      ].sort((a, b) => a.id18.localeCompare(b.id18)),
    );
  });

  it('makes a person known only to another department a one-person household "not on roster"', async () => {
    const outsider = await test.handle.db.selectFrom('household').selectAll().where('period', '=', '2026-09').where('head_id18', '=', F).executeTakeFirstOrThrow();
    expect(outsider).toMatchObject({ on_roster: false, members: 1, head_name: '钱老汉', region_code: '420106000000' });
    expect(outsider.household_id).toMatch(/^NR-[0-9a-f]{12}$/);
    expect(oct.not_on_roster).toBe(1);
  });
});

describe('medical claims', () => {
  it('counts a year of history in the first extract, by settlement date', async () => {
    // c1 (2,000, 2025-10-15) + c2 (20,000) + c3 (15,000); c8 is another household's
    const h1 = await score('2026-09', 'H1');
    expect(JSON.stringify(h1.reasons)).toContain('out-of-pocket medical 37,000 yuan in 12 months');
  });

  it('replaces a re-sent claim and drops what left the 12-month window', async () => {
    // October: c1 is 13 months old, c3 corrected to 5,000, c4 new: 20,000 + 5,000 + 1,000
    const h1 = await score('2026-10', 'H1');
    expect(JSON.stringify(h1.reasons)).toContain('out-of-pocket medical 26,000 yuan in 12 months');
  });

  it('keeps the history of corrections: both versions of c3 are stored, the latest is used', async () => {
    const versions = await test.handle.db.selectFrom('claim').select(['received_period', 'out_of_pocket']).where('claim_id', '=', 'c3').orderBy('received_period').execute();
    expect(versions).toEqual([
      { received_period: '2026-09', out_of_pocket: 15000 },
      { received_period: '2026-10', out_of_pocket: 5000 },
    ]);
  });
});

describe('dibao standards', () => {
  it('uses the longest matching region prefix in force for the period', async () => {
    const h1sep = await score('2026-09', 'H1');
    const h1oct = await score('2026-10', 'H1');
    expect(JSON.stringify(h1sep.reasons)).toContain('dibao standard of 1,000 yuan');
    expect(JSON.stringify(h1oct.reasons)).toContain('dibao standard of 1,200 yuan');
  });
});

describe('the warning list', () => {
  it('finds the households in hardship and leaves the well-off one off', async () => {
    // the listed households: the month's audit visits (any unlisted household, the well-off one too) follow them unless left out
    const list = rowsOf(await exportList('2026-10', { audit: false }));
    const ids = list.map((r) => r.household_id);
    expect(ids).toContain('H1');
    expect(ids).toContain('H2');
    expect(ids).not.toContain('H3');
    const outsider = list.find((r) => r.coverage === 'not_on_roster');
    expect(outsider?.reasons).toContain('not on the civil-affairs roster');
  });

  it('shows covered households after the new finds and flags a worsened one for review', async () => {
    const list = rowsOf(await exportList('2026-10', { audit: false }));
    const covered = list.findIndex((r) => r.coverage === 'dibao');
    expect(covered).toBeGreaterThan(-1);
    expect(list.slice(0, covered).every((r) => r.coverage !== 'dibao' && r.coverage !== 'tekun')).toBe(true);
    expect(list[covered]).toMatchObject({ household_id: 'H4', change: 'up' });
    expect(list[covered]!.reasons).toMatch(/already covered by dibao; score up [\d.]+ since 2026-09: review the assistance/);
    const h4 = await score('2026-10', 'H4');
    expect(h4).toMatchObject({ covered: true, review: true });
    // covered households are not counted as new finds
    const uncoveredOnList = list.filter((r) => !['dibao', 'tekun'].includes(r.coverage!)).length;
    expect(oct.warnings).toBe(uncoveredOnList);
  });

  it('marks change against the previous period', async () => {
    expect((await score('2026-09', 'H1')).change).toBe('new');
    const h1 = await score('2026-10', 'H1');
    expect(h1.previous_total).toBe((await score('2026-09', 'H1')).total);
    expect(h1.change).toBe(h1.total > h1.previous_total! ? 'up' : h1.total < h1.previous_total! ? 'down' : 'same');
    expect((await score('2026-10', 'H3')).change).toBe('same');
  });

  it('masks IDs and names unless asked, and starts with a BOM', async () => {
    const csv = await exportList('2026-10');
    expect(csv.startsWith('\uFEFFrank,household_id,region_code,head_name,head_id_number,members,score,tier,')).toBe(true);
    expect(csv).not.toContain(A);
    expect(csv).toContain(`${A.slice(0, 6)}********${A.slice(-4)}`);
    expect(csv).toContain('张*');
    const clear = await exportList('2026-10', { unmasked: true });
    expect(clear).toContain(A);
    expect(clear).toContain('张伟');
  });

  it('gives address and phone for the visit: masked district-wide, in clear for the street, its community or unmasked', async () => {
    const h1 = (csv: string) => (parse(csv, { columns: true, bom: true }) as Record<string, string>[]).find((r) => r.household_id === 'H1');
    expect(h1(await exportList('2026-09'))).toMatchObject({ address: '武昌区中山路…', phone: '138****0001' });
    for (const opts of [{ region: '420106001' }, { region: '420106001001' }, { unmasked: true }]) {
      expect(h1(await exportList('2026-09', opts))).toMatchObject({ address: '武昌区中山路1号, 3单元', phone: '13800000001' });
    }
    // a county is district-wide
    expect(h1(await exportList('2026-09', { region: '420106' }))).toMatchObject({ address: '武昌区中山路…', phone: '138****0001' });
  });
});

describe('the list in Chinese', () => {
  it('has Chinese headers, values and reasons', async () => {
    const csv = await exportList('2026-10', { lang: 'zh' });
    expect(csv.startsWith('\uFEFF排名,户编号,区划代码,户主姓名,户主身份证号,家庭人口,预警总分,预警等级,')).toBe(true);
    const h1 = csv.split('\r\n').find((l) => l.includes(',H1,'))!;
    expect(h1).toContain('人均月收入1,000元，低于当地低保标准1,200元');
    expect(h1).toContain('近12个月个人自付医疗费26,000元');
    const h4 = csv.split('\r\n').find((l) => l.includes(',H4,'))!;
    expect(h4).toMatch(/,低保,上升,"已享受低保；比2026-09上升[\d.]+分：请复核救助；/);
  });
});

describe('reruns and refusals', () => {
  it('gives a byte-identical export when a period is run again on the same inputs', async () => {
    const before = await exportList('2026-10', { all: true });
    await run(inbox, '2026-10');
    expect(await exportList('2026-10', { all: true })).toBe(before);
  });

  it('refuses a period whose file does not match its manifest, and keeps the previous results', async () => {
    const before = await exportList('2026-09', { all: true });
    const tampered = await makeInbox({ '2026-09': september });
    // same bytes, then one household's income changed: the hash no longer matches
    const path = join(tampered, '2026-09', 'medical-insurance.csv');
    await writeFile(path, (await readFile(path, 'utf8')).replace('20000,,20000', '20000,,2000'));
    await expect(run(tampered, '2026-09')).rejects.toBeInstanceOf(ManifestMismatch);
    expect(await exportList('2026-09', { all: true })).toBe(before);
    const last = await test.handle.db.selectFrom('run').select(['status', 'error']).where('period', '=', '2026-09').orderBy('run_id', 'desc').executeTakeFirstOrThrow();
    expect(last.status).toBe('refused');
    expect(last.error).toContain('2026-09/medical-insurance.csv does not match manifest.json: sha256');
  });

  it('refuses a period whose row count differs from the manifest, loading nothing of it', async () => {
    const before = await exportList('2026-09', { all: true });
    const short = await makeInbox({ '2026-09': { ...september, manifest: (m) => (m.files['health.csv']!.rows = 4) } });
    await expect(run(short, '2026-09')).rejects.toThrow(/manifest says 4 data rows, the file has 3/);
    expect(await exportList('2026-09', { all: true })).toBe(before);
  });

  it('refuses a file without a required column as a whole', async () => {
    const before = await exportList('2026-10', { all: true });
    const broken = await makeInbox({
      '2026-10': { ...october, files: { 'disability.csv': { rows: [['id_number', 'name', 'disability_type'], [F, 'x', 'physical']] } } },
    });
    const err = await run(broken, '2026-10').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as Error).message).toBe(
      '2026-10/disability.csv, line 1: missing required column(s) disability_grade (残疾等级); the header has "id_number", "name", "disability_type"; ' +
        'accepted: disability_grade as "disability_grade", "残疾等级" (a bureau adds its own names in config: departments.disability.columns.<column>.aliases); ' +
        'the file was refused whole',
    );
    expect(await exportList('2026-10', { all: true })).toBe(before);
  });

  it('lets only one run of a period go at a time; the other writes nothing', async () => {
    const before = await exportList('2026-10', { all: true });
    const runsBefore = await test.handle.db.selectFrom('run').select('run_id').execute();
    // another process is running October: it holds the period's lock in its transaction
    const other = await test.handle.pool.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtext('safetynet:period'), hashtext('2026-10'))`);
      await expect(run(inbox, '2026-10')).rejects.toBeInstanceOf(PeriodLocked);
      // September is not locked
      await run(inbox, '2026-09');
    } finally {
      await other.query('rollback');
      other.release();
    }
    expect(await exportList('2026-10', { all: true })).toBe(before);
    const runsAfter = await test.handle.db.selectFrom('run').select('run_id').execute();
    expect(runsAfter.length).toBe(runsBefore.length + 1); // September's, and nothing of the locked attempt
  });

  it('says which extracts have not arrived', async () => {
    const partial = await makeInbox({ '2026-11': { roster: october.roster } });
    await rm(join(partial, '2026-11', 'health.csv'));
    await rm(join(partial, '2026-11', 'disability.csv'));
    const err = await run(partial, '2026-11').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractsMissing);
    expect((err as Error).message).toBe('period 2026-11: not delivered yet: disability.csv, health.csv');
  });

  it('records every run in the ledger with its inputs and config version', async () => {
    const runs = await test.handle.db.selectFrom('run').selectAll().where('status', '=', 'succeeded').orderBy('run_id').execute();
    expect(runs.map((r) => r.period)).toEqual(['2026-09', '2026-10', '2026-10', '2026-09']);
    expect(runs[0]!.config_version).toBe(config.version);
    expect(Object.keys(runs[0]!.input_hashes!).sort()).toEqual(['civil-affairs', 'disability', 'health', 'medical-insurance']);
  });
});

describe('dibao standards from the config', () => {
  it('says how many households were scored against the default standard for want of a local one', async () => {
    const noStandards = await makeInbox({ '2026-10': october });
    const summary = await run(noStandards, '2026-10');
    expect(summary.default_standard).toBe(summary.households_scored);
    const issue = await test.handle.db.selectFrom('quality_issue').select('detail').where('period', '=', '2026-10').where('kind', '=', 'dibao_standard_default').executeTakeFirstOrThrow();
    expect(issue.detail).toBe(`${summary.households_scored} households have no dibao standard for their region and hukou type in dibao-standards.csv: the config default (urban 1000, rural 850 yuan) was used`);
    expect(JSON.stringify((await score('2026-10', 'H1')).reasons)).toContain('dibao standard of 1,000 yuan');
    await run(inbox, '2026-10');
  });

  it('refuses a standards file that gives two standards for one region, hukou type and month', async () => {
    const twice = await makeInbox({ '2026-10': october }, [
      ['420106', 'urban', '2026-01', '1000'],
      ['420106', 'urban', '2026-01-01', '1010'],
    ]);
    const err = await run(twice, '2026-10').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as Error).message).toBe('dibao-standards.csv, line 3: a second standard for 420106, urban, 2026-01 (first on line 2)');
  });

  it('accepts a date as the month a standard takes effect from', async () => {
    const dated = await makeInbox({ '2026-10': october }, [['420106', 'urban', '2026-10-01', '1111']]);
    await run(dated, '2026-10');
    expect(JSON.stringify((await score('2026-10', 'H1')).reasons)).toContain('dibao standard of 1,111 yuan');
    await run(inbox, '2026-10');
  });
});

describe('data-quality report', () => {
  it('flags unknown region codes and out-of-pocket amounts that do not add up, keeping the rows', async () => {
    const flagged = await makeInbox({
      '2026-10': {
        roster: [
          ['Q1', makeId('19700101', 11, '111111'), '吴一', 'head', '420106001001', 'urban', 'none', '5000', 'employed', '', ''],
          // a NUL byte is never text: the row is refused, the run goes on
          ['Q2', makeId('19700101', 21), '吴二', 'head', '420106001001', 'urban', 'none', '5000', 'employed', 'a\u0000b', ''],
        ],
        claims: [['q1', makeId('19700101', 11, '111111'), '吴一', '2026-10-01', '0', '1000', '600', '100', '400']],
      },
    });
    const summary = await run(flagged, '2026-10');
    expect(summary.sources['civil-affairs']).toEqual({ rows_read: 2, rows_loaded: 1, rows_rejected: 1 });
    const issues = await test.handle.db.selectFrom('quality_issue').select(['source', 'kind']).where('period', '=', '2026-10').orderBy('source').orderBy('kind').execute();
    expect(issues).toEqual(
      expect.arrayContaining([
        { source: 'civil-affairs', kind: 'region_unknown' },
        { source: 'medical-insurance', kind: 'out_of_pocket_mismatch' },
        { source: 'medical-insurance', kind: 'region_unknown' },
      ]),
    );
    // restore the scenario's October for any later reader of this database
    await run(inbox, '2026-10');
  });

  it('is written in one total order: a rerun, or rows stored in another order, give the same bytes', async () => {
    const qualityReport = async (period: string) => {
      const chunks: Buffer[] = [];
      await writeQualityReport(test.handle.db, period, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
      return Buffer.concat(chunks).toString('utf8');
    };
    // three notes on line 2 of the claims (two kinds), a refused roster row and its note
    const flagged = await makeInbox({
      '2026-10': {
        roster: [
          ['Q1', makeId('19700101', 11, '111111'), '吴一', 'head', '420106001001', 'urban', 'none', '5000', 'employed', '', ''],
          ['Q2', makeId('19700101', 21), '吴二', '吴二', '420106001001', 'urban', 'none', '5000', 'employed', '', ''],
        ],
        claims: [['q1', makeId('19700101', 11, '111111'), '吴一', '2026-10-01', '0', '1000', '600', '100', '400']],
      },
    });
    await run(flagged, '2026-10');
    const [report, list] = [await qualityReport('2026-10'), await exportList('2026-10', { all: true })];
    expect(report.split('\r\n').length).toBeGreaterThan(4);
    await run(flagged, '2026-10');
    expect(await qualityReport('2026-10')).toBe(report);
    expect(await exportList('2026-10', { all: true })).toBe(list);
    // the same rows in the table in another physical order, as a rerun that reuses freed space leaves them
    for (const order of [sql`kind desc, detail desc`, sql`kind, detail`]) {
      await sql`with d as (delete from quality_issue where period = '2026-10' returning *) insert into quality_issue select * from d order by ${order}`.execute(test.handle.db);
      expect(await qualityReport('2026-10')).toBe(report);
    }
    await run(inbox, '2026-10');
  });
});
