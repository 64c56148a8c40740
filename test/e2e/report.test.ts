import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { periodRows } from '../../src/ingest/department.js';
import { department, departments } from '../../src/ingest/departments.js';
import { COLUMNS, writeWarningList, writeWarningListJson } from '../../src/export/warning-list.js';
import { reportData, type ReportData } from '../../src/report/report-data.js';
import { renderReport } from '../../src/report/render-report.js';
import { writeReport } from '../../src/report/write-report.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * `safetynet report` on the fixture district: the aggregates held against SQL counts and the CSV
 * and JSON exports, the HTML checked for privacy and self-containment, then opened in headless
 * Chromium (Debian's `chromium` package) with no console error and no request off the file.
 */

const INBOX = resolve('fixtures/district-a/inbox');
const PERIOD = '2026-10';
const config = parseConfig(undefined);
const test = useTestDatabase();
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let summary: RunSummary;
let data: ReportData;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-report-'));
  for (const period of ['2026-09', PERIOD]) {
    summary = await runPeriod({ database: test.handle, config, log: silentLog }, { inbox: INBOX, period });
  }
  data = await reportData(test.handle.db, PERIOD);
});

function sink(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

const col = (key: string) => COLUMNS.findIndex(([k]) => k === key);

/** The default CSV export's rows of households on the list (it also holds covered ones to review). */
async function listedCsvRows(): Promise<string[][]> {
  const s = sink();
  await writeWarningList(test.handle.db, { period: PERIOD }, s.out, silentLog);
  const [, ...rows] = parse(s.text(), { bom: true }) as string[][];
  return rows.filter((r) => r[col('tier')] !== 'none');
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

const q = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(test.handle.db)).rows;

describe('report data', () => {
  it('counts the households on the list per tier and per street as the CSV export lists them', async () => {
    const rows = await listedCsvRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(data.totals.onList).toBe(rows.length);
    expect(data.totals.uncovered).toBe(summary.warnings);
    expect(data.totals.uncovered + data.totals.covered).toBe(rows.length);
    expect(data.totals.households).toBe(summary.households_scored);
    expect(data.totals.notOnRoster).toBe(summary.not_on_roster);

    const tiers = countBy(rows, (r) => r[col('tier')]!);
    expect(Object.fromEntries(data.tiers.filter((t) => t.uncovered + t.covered > 0).map((t) => [t.tier, t.uncovered + t.covered]))).toEqual(tiers);
    // on the list as the export has it: over the line, or covered and flagged for review
    const [covered] = await q(sql<{ n: number }>`select count(*)::int as n from household_score where period = ${PERIOD} and (on_list or review) and covered`);
    expect(data.tiers.reduce((a, t) => a + t.covered, 0)).toBe(covered!.n);

    const streets = countBy(rows, (r) => r[col('region_code')]!.slice(0, 9));
    expect(Object.fromEntries(data.streets.map((s) => [s.street, s.uncovered + s.covered]))).toEqual(streets);
    expect(data.streets.length).toBeGreaterThan(1);
    expect(data.streets.reduce((a, s) => a + s.uncovered, 0)).toBe(summary.warnings);
  });

  it('sums the weighted points per dimension as the JSON export states them', async () => {
    const s = sink();
    await writeWarningListJson(test.handle.db, { period: PERIOD }, s.out, silentLog);
    const entries = s
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tier: string; facts: { dimension: string; points: number }[] })
      .filter((e) => e.tier !== 'none');
    const sums: Record<string, { points: number; households: number }> = {};
    for (const e of entries) {
      for (const f of e.facts) {
        const d = (sums[f.dimension] ??= { points: 0, households: 0 });
        d.points += f.points;
        d.households += 1;
      }
    }
    expect(data.dimensions).toHaveLength(6);
    for (const d of data.dimensions) {
      expect(d.points, d.dimension).toBeCloseTo(sums[d.dimension]?.points ?? 0, 1);
      expect(d.households, d.dimension).toBe(sums[d.dimension]?.households ?? 0);
    }
    expect(data.dimensions[0]!.points).toBeGreaterThan(0);
    expect(data.dimensions.map((d) => d.points)).toEqual([...data.dimensions.map((d) => d.points)].sort((a, b) => b - a));
  });

  it('bins every scored household by 5 points and counts the change of the list, resolved included', async () => {
    expect(data.histogram.reduce((a, b) => a + b.households, 0)).toBe(summary.households_scored);
    expect(data.histogram[0]).toMatchObject({ from: 0, to: 5 });
    const [over] = await q(sql<{ n: number }>`select count(*)::int as n from household_score where period = ${PERIOD} and total >= 30`);
    expect(data.histogram.filter((b) => b.from >= 30).reduce((a, b) => a + b.households, 0)).toBe(over!.n);

    expect(data.previousPeriod).toBe('2026-09');
    const rows = await listedCsvRows();
    const changes = countBy(rows, (r) => r[col('change')]!);
    for (const k of ['new', 'up', 'down', 'same'] as const) expect(data.change[k], k).toBe(changes[k] ?? 0);
    const [resolved] = await q(sql<{ n: number }>`
      select count(*)::int as n from household_score p
      left join household_score c on c.period = ${PERIOD} and c.household_id = p.household_id
      where p.period = '2026-09' and p.on_list and coalesce(c.on_list, false) = false`);
    expect(data.change.resolved).toBe(resolved!.n);
  });

  it('reports rows, rejects by reason, link rate and row-count change per department', async () => {
    // every registered department that delivered this month, in the registry's order
    const delivered = new Set(await readdir(join(INBOX, PERIOD)));
    expect(data.quality.map((x) => x.source)).toEqual(
      departments().filter((d) => delivered.has(`${d.file}.csv`) || delivered.has(`${d.file}.xlsx`)).map((d) => d.id),
    );
    const previous = await q(sql<{ source: string; rows_read: number }>`select source, rows_read from source_load where period = '2026-09'`);
    for (const x of data.quality) {
      const counts = summary.sources[x.source]!;
      expect({ read: x.rowsRead, loaded: x.rowsLoaded, rejected: x.rowsRejected }).toEqual({
        read: counts.rows_read,
        loaded: counts.rows_loaded,
        rejected: counts.rows_rejected,
      });
      const [rejected] = await q(sql<{ n: number }>`select count(*)::int as n from rejected_row where period = ${PERIOD} and source = ${x.source}`);
      expect(x.rejects.reduce((a, r) => a + r.rows, 0)).toBe(rejected!.n);
      for (const r of x.rejects) expect(r.reason).not.toMatch(/\d{6}/);
      expect(x.previousRowsRead).toBe(previous.find((p) => p.source === x.source)?.rows_read ?? null);
    }
    expect(data.quality.some((x) => x.rejects.length > 0)).toBe(true);

    expect(data.quality[0]!.linkRate).toBeNull();
    // link rate: the department's people of the period, and how many of them the roster holds
    for (const x of data.quality.slice(1)) {
      const d = department(x.source);
      const [link] = await q(sql<{ people: number; linked: number }>`
        select count(distinct d.id18)::int as people, count(distinct d.id18) filter (where h.on_roster)::int as linked
        from ${periodRows(d, PERIOD)} d
        left join member m on m.period = ${PERIOD} and m.id18 = d.id18
        left join household h on h.period = m.period and h.household_id = m.household_id`);
      expect({ people: x.people, linked: x.linked }, x.source).toEqual(link);
    }
    for (const x of data.quality.slice(1)) {
      expect(x.people).toBeGreaterThan(0);
      expect(x.linkRate).toBeGreaterThan(0);
      expect(x.linkRate).toBeLessThanOrEqual(1);
    }
    // the people other departments know and the roster does not are the not-on-roster households
    expect(data.quality.slice(1).some((x) => x.linked! < x.people!)).toBe(true);
  });

  it('refuses a period without a successful run', async () => {
    await expect(reportData(test.handle.db, '2026-11')).rejects.toBeInstanceOf(UsageError);
    await expect(writeReport(test.handle.db, { period: '2026-08' }, sink().out)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('report html', () => {
  async function html(lang: 'en' | 'zh'): Promise<string> {
    const file = join(dir, `report-${PERIOD}-${lang}.html`);
    const { createWriteStream } = await import('node:fs');
    await writeReport(test.handle.db, { period: PERIOD, lang }, createWriteStream(file));
    return readFile(file, 'utf8');
  }

  it.each(['en', 'zh'] as const)('is one self-contained document with 5 charts and no personal data (%s)', async (lang) => {
    const doc = await html(lang);
    expect(doc.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(doc.match(/<svg[\s>]/g)).toHaveLength(5);
    const urls = doc.match(/https?:\/\/[^\s"'<>)]*/g) ?? [];
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u))).toEqual([]);
    expect(doc).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(doc).not.toMatch(/\d{17}[\dX]/);

    const names = await q(sql<{ name: string }>`
      select distinct name from member where period in ('2026-09', ${PERIOD}) and name <> '(name unknown)'
      union select distinct head_name from household where period in ('2026-09', ${PERIOD})`);
    expect(names.length).toBeGreaterThan(0);
    expect(names.map((n) => n.name).filter((n) => n.length >= 2 && doc.includes(n))).toEqual([]);

    if (lang === 'zh') expect(doc).toContain('各街道预警户数');
    else expect(doc).toContain('Warnings per street');
    for (const s of data.streets) expect(doc).toContain(s.street);
  });

  it('escapes text it puts in the page', () => {
    const doc = renderReport(
      { ...data, quality: [{ ...data.quality[0]!, source: '<b>x</b>', rejects: [{ reason: '<script>alert(1)</script>', rows: 1 }] }] },
      {},
    );
    expect(doc).not.toContain('<script>');
    expect(doc).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(doc).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it.each(['en', 'zh'] as const)('opens in headless Chromium with no console error and no request off the file (%s)', async (lang) => {
    const file = join(dir, `report-${PERIOD}-${lang}.html`);
    await writeFile(file, await html(lang));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      const errors: string[] = [];
      const external: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      expect(await page.locator('svg').count()).toBe(5);
      // every chart is drawn: it holds bars (paths) and visible text
      for (const svg of await page.locator('.chart svg').all()) {
        expect(await svg.locator('path').count()).toBeGreaterThan(3);
        expect((await svg.boundingBox())!.width).toBeGreaterThan(500);
      }
      const shot = join(dir, `report-${PERIOD}-${lang}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`report screenshot (${lang}): ${shot}`);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
