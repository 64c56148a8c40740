import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { generateCity } from '../../src/generate/generate-city.js';
import { readCityTruth, simulatedVisits, type HouseholdTruth } from '../../src/generate/truth.js';
import { drawAuditSample } from '../../src/score/audit-sample.js';
import { importVisits } from '../../src/visits/import-visits.js';
import type { Estimate } from '../../src/visits/miss-rate.js';
import { readQualityTables } from '../../src/visits/quality-counts.sql.js';
import { qualityCommand } from '../../src/commands/quality.js';
import { UsageError } from '../../src/errors.js';
import { refuseWidenedGaps } from '../../src/visits/calibrate.js';
import { reportData } from '../../src/report/report-data.js';
import { escapeHtml, renderReport } from '../../src/report/render-report.js';
import { QUALITY_WORDS } from '../../src/visits/quality-words.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The list judged by who it leaves out, on a generated city whose truth is known: a month is run,
 * the audit sample drawn, and street workers' visits to every listed and every audit household
 * simulated from that truth (src/generate/truth.ts). Then the estimated precision and number of
 * missed households per street must hold the true ones within their 95% intervals.
 *
 * Sizes, so that this holds robustly rather than by the seed's luck: 6,000 households make 4
 * streets of ~1,500, each with ~120 listed and ~1,300 in the audit frame, of whom ~15 truly in
 * need. The sample is the most the config allows, 100 per street and tier: the near tier (under
 * 100 households a street here) is visited whole, the far one (~1,200) 1 in 12, ~90 settled.
 * The intervals are conservative where it matters: no finite-population correction (the near
 * tier's census is still given an interval), Agresti-Coull's +2/+4 in the far tier's variance
 * (where a sample of 90 mostly finds 0 or 1 in need), and every listed household is visited. One
 * street out of its interval would be a 1-in-20 event per street and figure at worst; the second
 * test redraws the sample under 20 other seeds and shows the intervals hold the truth in at least
 * 90% of draws (all of them, at this writing): the configured seed is not a lucky one.
 */

const test = useTestDatabase();
const PERIOD = '2026-09';
const SAMPLE = 100;
const loaded = parseConfig({ audit: { samplePerStreet: { near: SAMPLE, far: SAMPLE } } });
const config = loaded.config;

let dir: string;
/** the report's HTML, kept under the test run's folder for a look in a browser (SAFETYNET_MISS_RATE_REPORT_DIR to keep it elsewhere) */
const reportDir = process.env.SAFETYNET_MISS_RATE_REPORT_DIR ?? tmpdir();
let truth: Map<string, HouseholdTruth>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-miss-rate-'));
  await generateCity({ out: join(dir, 'city'), households: 6000, periods: 2, seed: 1818, truth: true });
  truth = await readCityTruth(join(dir, 'city'), PERIOD);
  await runPeriod({ database: test.handle, config: loaded, log: silentLog }, { inbox: join(dir, 'city'), period: PERIOD });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Imports what visits to these households would find, as a street office's report. */
async function visit(ids: string[], name: string) {
  const file = join(dir, name);
  await writeFile(file, simulatedVisits(truth, ids, '2026-10-12'));
  return importVisits(test.handle.pool, file, { operator: 'simulated', today: '2026-10-31', log: silentLog });
}

/** Per street: the listed uncovered households and the audit frame (as the draw defines it), with what the truth says of them. */
async function truthPerStreet() {
  const { rows } = await sql<{ household_id: string; street: string; listed: boolean; in_frame: boolean }>`
    select s.household_id, left(h.region_code, 9) as street, s.on_list and not s.covered as listed,
           not (s.on_list or s.review or s.covered or s.cooled_down) and substr(h.region_code, 7, 3) <> '000' as in_frame
    from household_score s join household h on h.period = s.period and h.household_id = s.household_id
    where s.period = ${PERIOD}
  `.execute(test.handle.db);
  const streets = new Map<string, { listed: number; listedInNeed: number; frame: number; frameInNeed: number }>();
  for (const r of rows) {
    const t = truth.get(r.household_id);
    const s = streets.get(r.street) ?? { listed: 0, listedInNeed: 0, frame: 0, frameInNeed: 0 };
    // households only other departments know have no truth and are never visited: left out of both
    if (t && r.listed) (s.listed++, (s.listedInNeed += t.inNeed ? 1 : 0));
    if (t && r.in_frame) (s.frame++, (s.frameInNeed += t.inNeed ? 1 : 0));
    streets.set(r.street, s);
  }
  return { streets, listedIds: rows.filter((r) => r.listed).map((r) => r.household_id), frameIds: rows.filter((r) => r.in_frame).map((r) => r.household_id) };
}

const holds = (e: Estimate, value: number) => e.value !== null && e.low <= value + 1e-9 && value <= e.high + 1e-9;
const show = (e: Estimate, digits = 3) => (e.value === null ? `none (${e.tooFew.reason})` : `${e.value.toFixed(digits)} [${e.low.toFixed(digits)}, ${e.high.toFixed(digits)}]`);

describe('a generated city\'s truth', () => {
  it('is written beside the city without changing a byte of it, and is what the simulated visits report', async () => {
    const [a, b] = [join(dir, 'plain'), join(dir, 'with-truth')];
    await generateCity({ out: a, households: 300, periods: 1, seed: 7 });
    await generateCity({ out: b, households: 300, periods: 1, seed: 7, truth: true });
    for (const file of ['civil-affairs.csv', 'medical-insurance.csv', 'manifest.json']) {
      expect((await readFile(join(a, PERIOD, file))).equals(await readFile(join(b, PERIOD, file))), file).toBe(true);
    }
    const small = await readCityTruth(b, PERIOD);
    expect(small.size).toBeGreaterThan(290);
    const inNeed = [...small.values()].filter((t) => t.inNeed).length;
    // the city's needy and covered households (~13%), less those with undeclared support, plus overstated incomes
    expect(inNeed / small.size).toBeGreaterThan(0.05);
    expect(inNeed / small.size).toBeLessThan(0.25);
    const [first, second] = [...small.values()].filter((t) => t.opensDoor);
    const report = simulatedVisits(small, [first!.householdId, second!.householdId, 'NR-NOBODY'], '2026-10-12').split('\n');
    expect(report[0]).toBe('household_id,visited_on,outcome,assistance_granted,note');
    expect(report[1]).toBe(`${first!.householdId},2026-10-12,${first!.inNeed ? 'assisted_dibao' : 'not_eligible'},,simulated`);
    expect(report).toHaveLength(4); // two visits and the closing newline: nobody visits a household the truth does not know
  });
});

describe('the measured miss rate on a city whose truth is known', () => {
  it('per street, the estimated precision and missed households hold the truth within their 95% intervals', async () => {
    const drawn = await test.handle.db.selectFrom('audit_sample').select(['household_id']).where('period', '=', PERIOD).execute();
    const frames = await test.handle.db.selectFrom('audit_frame').selectAll().where('period', '=', PERIOD).execute();
    expect(drawn.length).toBeGreaterThan(4 * SAMPLE); // 4 streets, the near tier of some smaller than the sample
    const { streets, listedIds } = await truthPerStreet();
    await visit(listedIds, 'listed-visits.csv');
    await visit(drawn.map((d) => d.household_id), 'audit-visits.csv');

    const tables = await readQualityTables(test.handle.db, PERIOD, config);
    const lines: string[] = [];
    let checked = 0;
    for (const { street, figures } of tables.streets) {
      const t = streets.get(street)!;
      if (!frames.some((f) => f.street === street)) continue; // street 000: people only other departments know, never audited
      const precision = t.listedInNeed / t.listed;
      const strata = tables.strata.filter((x) => x.street === street).map((x) => `${x.tier} ${x.figures.audit.eligible}/${x.figures.audit.settled} of ${x.figures.audit.frame}`);
      lines.push(`${street} precision ${precision.toFixed(3)} in ${show(figures.precision)}; missed ${t.frameInNeed} in ${show(figures.missed, 1)} (${strata.join(', ')})`);
      expect(holds(figures.precision, precision), lines.at(-1)).toBe(true);
      expect(holds(figures.missed, t.frameInNeed), lines.at(-1)).toBe(true);
      // the frame the estimate scales by is the one the draw recorded, and the truth's frame is that one
      expect(figures.audit.frame).toBe(frames.filter((f) => f.street === street).reduce((a, f) => a + f.frame_households, 0));
      expect(figures.audit.frame).toBe(t.frame);
      checked++;
    }
    console.log(lines.join('\n'));
    expect(checked).toBe(4);
    // and in total: the stratified estimate over all strata
    const all = [...streets.values()];
    expect(holds(tables.total.missed, all.reduce((a, s) => a + s.frameInNeed, 0))).toBe(true);
    expect(holds(tables.total.precision, all.reduce((a, s) => a + s.listedInNeed, 0) / all.reduce((a, s) => a + s.listed, 0))).toBe(true);
    // every group has its counts and either a rate or why not
    for (const g of tables.groups) {
      expect(g.households).toBeGreaterThan(0);
      expect(g.figures.missed.value !== null || g.figures.missed.tooFew !== undefined).toBe(true);
    }
  });

  it('quality and the monthly report show precision beside the estimated misses, and the group table, in English and Chinese', async () => {
    const printed = async (opts: { lang?: 'en' | 'zh'; json?: boolean }) => {
      const chunks: string[] = [];
      await qualityCommand({ databaseUrl: test.url, period: PERIOD, ...opts }, silentLog, { write: (c: string) => chunks.push(c) } as unknown as NodeJS.WritableStream);
      return chunks.join('');
    };
    const en = await printed({});
    console.log(en);
    expect(en).toContain(`Precision and estimated miss rate of the list of ${PERIOD}, per street and audit tier`);
    expect(en).toMatch(/^street +tier +listed +settled +precision \(95% CI\) +frame +audited +settled +in need +est\. missed \(95% CI\) +exclusion error \(95% CI\)$/m);
    // a street's line: its listed households' precision beside the misses of its two tiers, then each tier
    expect(en).toMatch(/^420102001 +both +\d+ +\d+ +\d+\.\d% \(\d+\.\d–\d+\.\d%\) +\d+ +\d+ +\d+ +\d+ +\d+ \(\d+–\d+\) +\d+\.\d% \(\d+\.\d–\d+\.\d%\)$/m);
    expect(en).toMatch(/^420102001 +near +\d+ +\d+ +\d+ +\d+ +\d+ \(\d+–\d+\)$/m);
    expect(en).toMatch(/^all streets +both /m);
    expect(en).toContain(`Fairness by group, ${PERIOD}`);
    for (const group of ['hukou +urban', 'hukou +rural', 'age of the head +head 80\\+', 'single-person +one person', 'disabled member +with a disabled member', 'covered +covered', 'street +420102001']) {
      expect(en).toMatch(new RegExp(`^${group} +\\d+ +\\d+ `, 'm'));
    }
    // covered households are listed for review and never audited: said so, not shown as 0
    expect(en).toContain('covered covered: covered households on the list are reviewed, not counted in precision; covered households are not in the audit frame');

    const zh = await printed({ lang: 'zh' });
    expect(zh).toContain(`${PERIOD}预警名单的准确率与估计漏报（按街道与抽查层）`);
    expect(zh).toMatch(/^户籍 +农村 +\d+/m);
    expect(zh).toContain('已获救助家庭不在抽查范围内');

    const json = (await printed({ json: true })).trim().split('\n').map((l) => JSON.parse(l));
    expect(json[0]).toMatchObject({ period: PERIOD, group: 'all' }); // the precision rows as before, first
    const total = json.find((r) => r.table === 'miss_rate' && r.street === 'all');
    expect(total.missed.value).toBeGreaterThan(0);
    expect(total.audit.frame).toBeGreaterThan(4000);
    expect(json.find((r) => r.table === 'fairness' && r.grouping === 'covered' && r.key === 'yes').missed.too_few).toEqual({ reason: 'not_in_audit_frame' });
    expect(Object.keys(total.listed).sort()).toEqual(['assisted', 'listed', 'not_eligible', 'unsettled', 'visited']);
    expect(json.filter((r) => r.table === 'fairness').map((r) => r.grouping)).toEqual(expect.arrayContaining(['street', 'hukou', 'head_age', 'single_person', 'disabled_member', 'covered']));

    // the report of the next month shows this month's list (visits.precisionLagMonths 1)
    await runPeriod({ database: test.handle, config: loaded, log: silentLog }, { inbox: join(dir, 'city'), period: '2026-10' });
    const data = await reportData(test.handle.db, '2026-10', { precisionLagMonths: 1, rules: config });
    expect(data.precision?.period).toBe(PERIOD);
    for (const lang of ['en', 'zh'] as const) {
      const html = renderReport(data, { lang });
      await writeFile(join(reportDir, `report-${lang}.html`), html);
      expect(html).toContain(escapeHtml(QUALITY_WORDS[lang].missTitle(PERIOD)));
      expect(html).toContain(escapeHtml(QUALITY_WORDS[lang].fairTitle(PERIOD)));
      // a row per street, one per street and tier, the total; a row per group
      const tables = html.match(/<table class="wide">.*?<\/table>/gs)!;
      expect(tables).toHaveLength(2);
      expect(tables[0]!.match(/<tr/g)!.length).toBe(1 + data.precision!.quality.streets.length + data.precision!.quality.strata.length + 1);
      expect(tables[1]!.match(/<tr/g)!.length).toBe(1 + data.precision!.quality.groups.length);
    }
  });

  it('calibrate refuses weights that widen a group\'s listing-rate gap, and says which group', async () => {
    // every point on disability: households with a disabled member listed far more readily than the rest
    const skewed = Object.fromEntries(Object.keys(config.weights).map((d) => [d, d === 'disability' ? 1 : 0])) as typeof config.weights;
    const refused = await refuseWidenedGaps(test.handle.db, config, config.weights, skewed).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toMatch(/^the proposed weights widen the listing-rate gap between groups beyond quality\.gapTolerance \(2\.0 points\) on 2026-10: /);
    expect((refused as Error).message).toMatch(/disabled member: \d+\.\d to \d+\.\d points \(with a disabled member \d+\.\d% listed, none disabled \d+\.\d%\)/);
    // the current weights against themselves widen nothing
    await expect(refuseWidenedGaps(test.handle.db, config, config.weights, config.weights)).resolves.toBeUndefined();
  });

  it('covers the truth in about 95% of audit samples drawn under 20 other seeds', async () => {
    const { streets, frameIds } = await truthPerStreet();
    // what a visit would find at every frame household: each redraw then reads its own sample's outcomes
    await visit(frameIds, 'frame-visits.csv');
    let checks = 0;
    let covered = 0;
    for (let i = 1; i <= 20; i++) {
      await sql`delete from audit_sample where period = ${PERIOD}`.execute(test.handle.db);
      await sql`delete from audit_frame where period = ${PERIOD}`.execute(test.handle.db);
      await drawAuditSample(test.handle.db, PERIOD, { ...config, audit: { ...config.audit, seed: `coverage-${i}` } });
      const tables = await readQualityTables(test.handle.db, PERIOD, config);
      for (const { street, figures } of tables.streets) {
        if (figures.missed.value === null || figures.audit.frame === 0) continue;
        checks++;
        if (holds(figures.missed, streets.get(street)!.frameInNeed)) covered++;
      }
    }
    console.log(`missed households per street: the 95% interval held the truth in ${covered} of ${checks} draws`);
    expect(checks).toBe(80);
    expect(covered / checks).toBeGreaterThanOrEqual(0.9);
  });
});
