import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { whatIf } from '../../src/score/what-if.js';
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
    expect(r).toMatchObject({ households: 45, entering: [], leaving: [], biggest_moves: [] });
    expect(r.on_list_after).toBe(r.on_list_before);
  });

  it('a stricter threshold lists who would leave, by how much, and leaves the stored list alone', async () => {
    const before = await list();
    const r = await whatIf(test.handle.pool, '2026-10', parseConfig({ warningThreshold: 40, tiers: { orange: 50, red: 65 } }).config);
    expect(r.entering).toEqual([]);
    expect(r.leaving.map((m) => m.household_id).sort()).toEqual(['NR-34f4ccc054b2', 'WC004', 'WC006', 'WC007'].sort());
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
  });
});
