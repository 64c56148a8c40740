import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { formatWhatIf, whatIf } from '../../src/score/what-if.js';
import { importVisits } from '../../src/visits/import-visits.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/** Trying a rule change on a period without touching its stored list. */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const test = useTestDatabase();

async function list(): Promise<string> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, { period: '2026-10', all: true }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

describe('safetynet diff', () => {
  it('the same config changes nothing', async () => {
    const r = await whatIf(test.handle.pool, '2026-10', parseConfig(undefined).config);
    expect(r).toMatchObject({ households: 59, entering: [], leaving: [], biggest_moves: [] });
    expect(r.on_list_after).toBe(r.on_list_before);
  });

  it('a stricter threshold lists who would leave, by how much, and leaves the stored list alone', async () => {
    const before = await list();
    const r = await whatIf(test.handle.pool, '2026-10', parseConfig({ warningThreshold: 40, tiers: { orange: 50, red: 65 } }).config);
    expect(r.entering).toEqual([]);
    // every listed household scoring 30 to 40: the fixture's ones of old, and the new departments' households that sit there
    // (WC104 exactly at the standard scores what just under it does; WC004, WC006 and WC141 count
    // their unemployed as no earner and score 40 or more)
    expect(r.leaving.map((m) => m.household_id).sort()).toEqual(
      ['NR-34f4ccc054b2', 'WC101', 'WC104', 'WC106', 'WC107', 'WC122', 'WC123', 'WC142'].sort(),
    );
    for (const m of r.leaving) {
      expect(m.before).toBeGreaterThanOrEqual(30);
      expect(m.after).toBeLessThan(40);
      expect(m.tier_after).toBe('none');
    }
    expect(r.on_list_after).toBe(r.on_list_before - r.leaving.length);
    expect(await list()).toBe(before);
  });

  it('a heavier medical weight moves the medical households up', async () => {
    const r = await whatIf(
      test.handle.pool,
      '2026-10',
      parseConfig({ weights: { medical_burden: 0.35, economic: 0.3, health: 0.15, age_structure: 0.05, labour_capacity: 0.05 } }).config,
      { top: 100 },
    );
    const wc001 = [...r.entering, ...r.leaving, ...r.biggest_moves].find((m) => m.household_id === 'WC001');
    expect(wc001?.delta).toBeGreaterThan(0);
    // what moved it, dimension by dimension in the registry's order: weighted points before and after
    expect(wc001?.dimensions).toEqual([
      { dimension: 'age_structure', before: 1, after: 0.5 },
      { dimension: 'economic', before: 35, after: 30 },
      { dimension: 'health', before: 7, after: 10.5 },
      { dimension: 'medical_burden', before: 25, after: 35 },
      { dimension: 'labour_capacity', before: 4, after: 2 },
    ]);
    expect(formatWhatIf(r)).toMatch(/WC001 .* economic 35 → 30, health 7 → 10\.5, medical burden 25 → 35/);
  });
});

describe('safetynet diff after the street office visited', () => {
  it('a household kept off the list by a "not eligible" visit neither enters nor leaves under the same config', async () => {
    // WC003 was on the 2026-09 list; the visit on 2026-10-03 found it not eligible, and 2026-10 is run again
    const reports = await mkdtemp(join(tmpdir(), 'safetynet-diff-visits-'));
    const file = join(reports, 'street-001.csv');
    await writeFile(file, 'household_id,visited_on,outcome\nWC003,2026-10-03,not_eligible\n');
    const visits = await importVisits(test.handle.pool, file, { operator: 'street-001', today: '2026-11-23', log: silentLog });
    expect(visits).toMatchObject({ rows_loaded: 1, rows_rejected: 0 });
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period: '2026-10' });
    const stored = await test.handle.db
      .selectFrom('household_score')
      .select(['on_list', 'cooled_down'])
      .where('period', '=', '2026-10')
      .where('household_id', '=', 'WC003')
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ on_list: false, cooled_down: true });

    // 2026-09 is not run again: the visit came after its end, and its list stands as it was
    for (const period of ['2026-09', '2026-10']) {
      const r = await whatIf(test.handle.pool, period, parseConfig(undefined).config);
      expect(r, period).toMatchObject({ entering: [], leaving: [], biggest_moves: [] });
      expect(r.on_list_after, period).toBe(r.on_list_before);
    }
  });
});
