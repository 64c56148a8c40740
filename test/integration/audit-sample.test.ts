import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { cardsCommand } from '../../src/commands/cards.js';
import { exportCommand } from '../../src/commands/export.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigInvalid, UsageError } from '../../src/errors.js';
import { capacityCuts, readCapacityCsv } from '../../src/export/street-capacity.js';
import { AUDIT_VISIT_NOTE, warningListEntries, writeWarningList, writeWarningListJson, type EntryOptions, type WarningListEntry } from '../../src/export/warning-list.js';
import { writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The month's audit sample (src/score/audit-sample.ts) and the list cut to a street's visits
 * (src/export/street-capacity.ts), on the district-a fixture: the sample expected is worked out
 * here from the scored households by the rule the docs state (md5 of seed:period:household in
 * each street and tier, the first few), and compared with what the run recorded.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const PERIOD = '2026-10';
const test = useTestDatabase();
const config = parseConfig(undefined);
const { audit, warningThreshold } = config.config;
const summaries: Record<string, RunSummary> = {};
let dir = '';

const run = (period: string, loaded = config) => runPeriod({ database: test.handle, config: loaded, log: silentLog }, { inbox: INBOX, period });

beforeAll(async () => {
  for (const period of ['2026-09', PERIOD]) summaries[period] = await run(period);
  dir = await mkdtemp(join(tmpdir(), 'safetynet-audit-sample-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Drawn {
  household_id: string;
  street: string;
  tier: string;
  draw_order: number;
}

const recorded = async (period = PERIOD): Promise<Drawn[]> =>
  (await sql<Drawn>`select household_id, street, tier, draw_order from audit_sample where period = ${period} order by street, tier, draw_order`.execute(test.handle.db)).rows;

/** The sample as the documented rule draws it from the period's scores, computed here without the SQL. */
async function expectedSample(period: string, seed: string, near: number, far: number) {
  const { rows } = await sql<{ household_id: string; region_code: string; total: string; on_list: boolean; review: boolean; covered: boolean; cooled_down: boolean }>`
    select s.household_id, h.region_code, s.total::text as total, s.on_list, s.review, s.covered, s.cooled_down
    from household_score s join household h using (period, household_id) where s.period = ${period}`.execute(test.handle.db);
  const strata = new Map<string, { id: string; key: string }[]>();
  for (const r of rows) {
    if (r.on_list || r.review || r.covered || r.cooled_down || r.region_code.slice(6, 9) === '000') continue;
    const tier = Number(r.total) >= warningThreshold - audit.nearMargin ? 'near' : 'far';
    const stratum = `${r.region_code.slice(0, 9)} ${tier}`;
    const key = createHash('md5').update(`${seed}:${period}:${r.household_id}`).digest('hex');
    strata.set(stratum, [...(strata.get(stratum) ?? []), { id: r.household_id, key }]);
  }
  const sample: Drawn[] = [];
  const frame: { street: string; tier: string; frame_households: number; sample_size: number }[] = [];
  for (const [stratum, members] of [...strata].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [street, tier] = stratum.split(' ') as [string, string];
    members.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const size = Math.min(members.length, tier === 'near' ? near : far);
    frame.push({ street, tier, frame_households: members.length, sample_size: size });
    members.slice(0, size).forEach((m, i) => sample.push({ household_id: m.id, street, tier, draw_order: i + 1 }));
  }
  return { sample, frame };
}

async function entries(opts: Omit<EntryOptions, 'period'>): Promise<WarningListEntry[]> {
  const out: WarningListEntry[] = [];
  for await (const e of warningListEntries(test.handle.db, { period: PERIOD, ...opts })) out.push(e);
  return out;
}

describe('the audit sample', () => {
  it('draws per street and tier the households the seeded hash puts first, among the unlisted uncovered ones, and records the frame', async () => {
    const { sample, frame } = await expectedSample(PERIOD, audit.seed, audit.samplePerStreet.near, audit.samplePerStreet.far);
    expect(sample.length).toBeGreaterThan(0);
    expect(await recorded()).toEqual(sample);
    const { rows } = await sql`
      select street, tier, frame_households, sample_size from audit_frame where period = ${PERIOD} and seed = ${audit.seed} order by street, tier`.execute(test.handle.db);
    expect(rows).toEqual(frame);
    expect(summaries[PERIOD]!.audit_visits).toBe(sample.length);
  });

  it('takes none that is listed, flagged for review, covered or cooled down, and none from the not-on-roster street', async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from audit_sample a
      join household_score s using (period, household_id) join household h using (period, household_id)
      where a.period = ${PERIOD} and (s.on_list or s.review or s.covered or s.cooled_down or substr(h.region_code, 7, 3) = '000' or a.street <> left(h.region_code, 9))`.execute(test.handle.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('caps each stratum at its frame: a street with fewer households than the size gives all of them', async () => {
    const { frame } = await expectedSample(PERIOD, audit.seed, 1000, 1000);
    const big = parseConfig({ audit: { samplePerStreet: { near: 100, far: 100 } } });
    await run(PERIOD, big);
    const { rows } = await sql<{ street: string; tier: string; frame_households: number; sample_size: number; drawn: number }>`
      select f.street, f.tier, f.frame_households, f.sample_size, (select count(*)::int from audit_sample a where a.period = f.period and a.street = f.street and a.tier = f.tier) as drawn
      from audit_frame f where f.period = ${PERIOD} order by f.street, f.tier`.execute(test.handle.db);
    expect(rows.map(({ drawn: _, ...f }) => f)).toEqual(frame);
    for (const r of rows) expect(r.drawn).toBe(r.frame_households);
    await run(PERIOD);
  });

  it('draws the same households on a rerun with the same seed, other ones with another seed or in another month', async () => {
    const before = await recorded();
    await run(PERIOD);
    expect(await recorded()).toEqual(before);

    const other = await expectedSample(PERIOD, 'another-seed', audit.samplePerStreet.near, audit.samplePerStreet.far);
    await run(PERIOD, parseConfig({ audit: { seed: 'another-seed' } }));
    expect(await recorded()).toEqual(other.sample);
    expect(other.sample).not.toEqual(before);
    // a rerun replaced the month's sample: no row of the first draw is left beside the new one
    const { rows } = await sql<{ seeds: string[] }>`select array_agg(distinct seed) as seeds from audit_frame where period = ${PERIOD}`.execute(test.handle.db);
    expect(rows[0]!.seeds).toEqual(['another-seed']);

    await run(PERIOD);
    expect(await recorded()).toEqual(before);
    const september = await recorded('2026-09');
    expect(september).toEqual((await expectedSample('2026-09', audit.seed, audit.samplePerStreet.near, audit.samplePerStreet.far)).sample);
  });
});

describe('the street\'s list with its audit visits', () => {
  it('lists the street\'s audit households after its listed ones, as audit visits, without the facts that would list them', async () => {
    const sample = await recorded();
    const street = sample[0]!.street;
    const list = await entries({ region: street });
    const listed = list.filter((e) => e.visit_kind === 'listed');
    const audited = list.filter((e) => e.visit_kind === 'audit');
    expect(list).toEqual([...listed, ...audited]);
    expect(listed.map((e) => e.rank)).toEqual(listed.map((_, i) => i + 1));
    expect(audited.map((e) => e.household_id)).toEqual(sample.filter((s) => s.street === street).sort((a, b) => (a.tier === b.tier ? a.draw_order - b.draw_order : a.tier === 'near' ? -1 : 1)).map((s) => s.household_id));
    for (const e of audited) {
      expect(e).toMatchObject({ rank: null, reasons: AUDIT_VISIT_NOTE.en, facts: [], route: '', route_rule: '' });
      // masked like every row of a masked list
      expect(e.head_id_number).toMatch(/^\d{6}\*+[\dX]{4}$/);
    }
    // the same list without them, when asked, and none where the list is chosen by rank
    expect(await entries({ region: street, audit: false })).toEqual(listed);
    expect((await entries({ top: 3 })).every((e) => e.visit_kind === 'listed')).toBe(true);
    expect((await entries({ all: true })).every((e) => e.visit_kind === 'listed')).toBe(true);
  });

  it('puts each street\'s audit visits after its own households on a list by street, and all of them after the list by rank', async () => {
    const byStreet = await entries({ order: 'street' });
    const streets = byStreet.map((e) => `${e.region_code.slice(0, 9)} ${e.visit_kind}`);
    // listed then audit within a street, streets in order: each street and kind is one run
    const runs = streets.filter((s, i) => s !== streets[i - 1]);
    const order = (s: string) => s.replace(' listed', ' 1').replace(' audit', ' 2');
    expect(runs).toEqual([...runs].sort((a, b) => (order(a) < order(b) ? -1 : 1)));
    expect(runs.filter((s) => s.endsWith('audit')).length).toBeGreaterThan(1);
    const byRank = await entries({});
    const firstAudit = byRank.findIndex((e) => e.visit_kind === 'audit');
    expect(byRank.slice(firstAudit).every((e) => e.visit_kind === 'audit')).toBe(true);
    expect(byRank.length - firstAudit).toBe((await recorded()).length);
  });

  it('writes the kind of visit in the CSV\'s column 走访类型, 抽查走访 in Chinese', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const rows = await writeWarningList(test.handle.db, { period: PERIOD, lang: 'zh' }, out, silentLog);
    const [header, ...records] = parse(Buffer.concat(chunks).toString('utf8'), { bom: true }) as string[][];
    // after the columns the list had before it
    expect(header!.indexOf('走访类型')).toBeGreaterThan(header!.indexOf('数据指向部门'));
    const kinds = records.map((r) => r[header!.indexOf('走访类型')]);
    expect(kinds.filter((k) => k === '抽查走访')).toHaveLength((await recorded()).length);
    expect(kinds.filter((k) => k === '名单走访')).toHaveLength(rows - (await recorded()).length);
  });

  it('ends each street\'s sheet of the workbook with its audit visits, and marks them in the JSON', async () => {
    const sample = await recorded();
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeWarningListXlsx(test.handle.db, { period: PERIOD }, sink, silentLog);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    let audited = 0;
    for (const ws of wb.worksheets.slice(1)) {
      const header = (ws.getRow(1).values as unknown[]).map(String);
      const kind = header.indexOf('visit_kind');
      const id = header.indexOf('household_id');
      const kinds: string[] = [];
      ws.eachRow((row, n) => n > 1 && kinds.push(String(row.getCell(kind).value)));
      const firstAudit = kinds.indexOf('audit') < 0 ? kinds.length : kinds.indexOf('audit');
      expect(kinds.slice(0, firstAudit).every((k) => k === 'listed')).toBe(true);
      expect(kinds.slice(firstAudit).every((k) => k === 'audit')).toBe(true);
      const street = String(ws.getRow(2).getCell(header.indexOf('region_code')).value).slice(0, 9);
      const ids: string[] = [];
      ws.eachRow((row, n) => n > firstAudit + 1 && ids.push(String(row.getCell(id).value)));
      expect(ids).toEqual(sample.filter((d) => d.street === street).sort((a, b) => (a.tier === b.tier ? a.draw_order - b.draw_order : a.tier === 'near' ? -1 : 1)).map((d) => d.household_id));
      audited += ids.length;
    }
    expect(audited).toBe(sample.length);

    const json = new PassThrough();
    const lines: Buffer[] = [];
    json.on('data', (c: Buffer) => lines.push(c));
    await writeWarningListJson(test.handle.db, { period: PERIOD }, json, silentLog);
    const objects = Buffer.concat(lines).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { visit_kind: string; rank: number | null });
    expect(objects.filter((o) => o.visit_kind === 'audit').map((o) => o.rank)).toEqual(sample.map(() => null));
  });

  it('prints the audit visits\' cards after the listed ones, saying what they are and not why they would be listed', async () => {
    const street = (await recorded())[0]!.street;
    const file = join(dir, 'cards.html');
    const result = await cardsCommand({ databaseUrl: test.url, period: PERIOD, region: street, lang: 'zh', out: file }, silentLog);
    const pages = [...(await readFile(file, 'utf8')).matchAll(/<section class="card">([\s\S]*?)<\/section>/g)].map((m) => m[1]!);
    const list = await entries({ region: street });
    expect(pages.map((p) => /核查卡 · (\S+?)<\/h1>/.exec(p)?.[1])).toEqual(list.map((e) => e.household_id));
    const audited = pages.slice(list.filter((e) => e.visit_kind === 'listed').length);
    expect(audited.length).toBe(result.audit_visits);
    expect(audited.length).toBeGreaterThan(0);
    for (const p of audited) {
      expect(p).toContain('<div class="rank">抽查走访</div>');
      expect(p).toContain(AUDIT_VISIT_NOTE.zh);
      expect(p).not.toContain('预警原因');
      expect(p).not.toContain('建议救助路径');
    }
  });
});

describe('lists cut to what streets can visit', () => {
  /** The listed households of each street in rank order, with the street's audit visits. */
  async function streetsOfList() {
    const byStreet = new Map<string, { listed: string[]; audit: number }>();
    for (const e of await entries({})) {
      const s = byStreet.get(e.region_code.slice(0, 9)) ?? { listed: [], audit: 0 };
      if (e.visit_kind === 'listed') s.listed.push(e.household_id);
      else s.audit++;
      byStreet.set(e.region_code.slice(0, 9), s);
    }
    return byStreet;
  }

  it('keeps the highest-need households of each street, the audit visits counted first, and says how many fall beyond', async () => {
    const streets = await streetsOfList();
    const [street, { listed, audit: auditVisits }] = [...streets].find(([, s]) => s.listed.length >= 2 && s.audit > 0)!;
    const capacity = new Map([[street, auditVisits + 1]]);
    const cut = await entries({ capacity });
    // the street keeps its first listed household and its audit visits; the other streets are not cut
    expect(cut.filter((e) => e.region_code.startsWith(street) && e.visit_kind === 'listed').map((e) => e.household_id)).toEqual([listed[0]]);
    expect(cut.filter((e) => e.region_code.startsWith(street) && e.visit_kind === 'audit')).toHaveLength(auditVisits);
    for (const [other, s] of streets) {
      if (other !== street) expect(cut.filter((e) => e.region_code.startsWith(other) && e.visit_kind === 'listed').map((e) => e.household_id)).toEqual(s.listed);
    }
    expect(await capacityCuts(test.handle.db, capacity, { period: PERIOD })).toEqual([
      { street, capacity: auditVisits + 1, audit_visits: auditVisits, listed: listed.length, within: 1, beyond: listed.length - 1 },
    ]);
    // a capacity the audit visits use up leaves no listed household, not a negative number
    const none = await entries({ region: street, capacity: new Map([[street, 0]]) });
    expect(none.map((e) => e.visit_kind)).toEqual(Array(auditVisits).fill('audit'));
  });

  it('cuts the export and the cards at the configured capacity, and the run\'s summary counts the households beyond it', async () => {
    const streets = await streetsOfList();
    const [street, { listed, audit: auditVisits }] = [...streets].find(([, s]) => s.listed.length >= 2)!;
    const capacityFile = join(dir, 'capacity.csv');
    await writeFile(capacityFile, `\uFEFFstreet,visits_per_month\r\n${street},${auditVisits + 1}\r\n`);
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ visits: { capacityFile: 'capacity.csv' } }));

    const out = join(dir, 'cut.csv');
    const result = await exportCommand({ databaseUrl: test.url, config: configFile, period: PERIOD, region: street, format: 'csv', out, capacity: true }, silentLog);
    expect(result.beyond_capacity).toEqual({ [street]: listed.length - 1 });
    expect(result.rows).toBe(1 + auditVisits);
    const csv = await readFile(out, 'utf8');
    expect(csv).toContain(`1,${listed[0]},`);
    for (const id of listed.slice(1)) expect(csv).not.toContain(`,${id},`);

    const cards = await cardsCommand({ databaseUrl: test.url, config: configFile, period: PERIOD, region: street, out: join(dir, 'cut.html'), capacity: true }, silentLog);
    expect(cards).toMatchObject({ households: 1 + auditVisits, audit_visits: auditVisits, beyond_capacity: { [street]: listed.length - 1 } });

    const summary = await run(PERIOD, parseConfig({ visits: { capacity: { [street]: auditVisits + 1 } } }));
    expect(summary.beyond_capacity).toEqual({ [street]: listed.length - 1 });
    expect(summaries[PERIOD]!.beyond_capacity).toEqual({});
  });

  it('refuses a cut it cannot make: no capacity configured, with --all, for a community', async () => {
    await expect(exportCommand({ databaseUrl: test.url, period: PERIOD, format: 'csv', out: join(dir, 'x.csv'), capacity: true }, silentLog)).rejects.toThrow(
      /visits\.capacity or visits\.capacityFile/,
    );
    await expect(entries({ all: true, capacity: new Map([['420106001', 3]]) })).rejects.toThrow(UsageError);
    await expect(entries({ region: '420106001001', capacity: new Map([['420106001', 3]]) })).rejects.toThrow(/--region 420106001\)/);
  });

  it('reads a capacity CSV, naming every bad line and column at once', () => {
    expect(readCapacityCsv('c.csv', '街道代码,每月走访户数\n420106001,40\n\n420106002,25\n')).toEqual(
      new Map([['420106001', 40], ['420106002', 25]]),
    );
    let error: unknown;
    try {
      readCapacityCsv('c.csv', 'street,visits_per_month\n42010600,40\n420106002,many\n420106003,5\n420106003,6\n');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).problems).toEqual([
      'line 2, column street: "42010600" is not a 9-digit street code',
      'line 3, column visits_per_month: "many" is not a whole number of visits',
      'line 5, column street: 420106003 is given twice',
    ]);
    expect(() => readCapacityCsv('c.csv', 'code,n\n')).toThrow(/must name the columns street and visits_per_month/);
  });
});
