import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.js';
import { useScratchDatabase } from '../helpers/database.js';
import { zipBomb } from '../helpers/hostile-xlsx.js';
import { CLAIMS_HEADER, encode } from '../helpers/inbox.js';

/**
 * The loop from the street back to the list, as an analyst runs it on the shipped district:
 * visit reports in, the list's precision, a calibration that refuses too few outcomes, a night's
 * claims raising an urgent warning, and the identity review list.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const db = useScratchDatabase('loop');
const env = () => ({ DATABASE_URL: db.url });

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    const r = await cli(['run', '--inbox', INBOX, '--period', period, '--no-export'], env());
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('safetynet visits, quality, calibrate', () => {
  it('imports a report, answers with the precision of the list, and will not calibrate on two outcomes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-'));
    const report = join(dir, 'street-001.csv');
    await writeFile(
      report,
      encode({
        rows: [
          ['户编号', '走访日期', '走访结果', '救助金额', '备注'],
          ['WC001', '2026-10-05', '纳入低保', '1050', ''],
          ['WC002', '2026-10-06', '不符合条件', '', '子女赡养'],
          ['WC003', '2026-10-07', '回头再说', '', ''],
        ],
      }),
    );
    const imported = await cli(['visits', 'import', report, '--json'], env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows_read: 3, rows_loaded: 2, rows_rejected: 1, rows_duplicate: 0 });

    const quality = await cli(['quality', '--period', '2026-09', '--json'], env());
    expect(quality.code, quality.stderr).toBe(0);
    const all = JSON.parse(quality.stdout.split('\n')[0]!);
    expect(all).toMatchObject({ period: '2026-09', group: 'all', listed: 7, visited: 2, assisted: 1, not_eligible: 1, precision: 0.5 });

    const calibrate = await cli(['calibrate', '--out', join(dir, 'proposed.json')], env());
    expect(calibrate.code).toBe(2);
    expect(calibrate.stderr).toContain('not enough settled visits to calibrate on: 2 (1 assisted, 1 not eligible)');
  });
});

describe('safetynet visits import: a workbook that cannot be trusted', () => {
  it('refuses a zip bomb with exit code 3 under the CLI\'s heap cap, importing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-loop-bomb-'));
    const bomb = join(dir, 'street-009.xlsx');
    await writeFile(bomb, zipBomb(['户编号', '走访日期', '走访结果'], ['WC001', '2026-10-05', '不符合条件'], 916e6));
    const r = await cli(['visits', 'import', bomb], { ...env(), NODE_OPTIONS: '--max-old-space-size=160' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/street-009\.xlsx: the workbook inflates to 87\d\.\d MiB, over the 100 MiB a visit report may hold \(a zip bomb, or send it as CSV\); the file was refused whole, nothing was imported/);
    expect(r.stdout).toBe('');
  });
});

describe('safetynet nightly', () => {
  it('raises an urgent warning the same night for a large inpatient bill, once', async () => {
    // a person of the shipped roster (2026-10 is UTF-8 with English headers)
    const roster = parse(await readFile(join(INBOX, '2026-10', 'civil-affairs.csv')), { columns: true, bom: true }) as Record<string, string>[];
    const person = roster.find((r) => r.household_id === 'WC021')!;
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-night-'));
    await mkdir(join(inbox, 'daily', '2026-11-03'), { recursive: true });
    await writeFile(
      join(inbox, 'daily', '2026-11-03', 'medical-insurance.csv'),
      encode({ rows: [CLAIMS_HEADER, ['N-1103-1', person.id_number!, person.name!, '2026-11-03', '是', 200000, 120000, '', 80000]] }),
    );
    const night = await cli(['nightly', '--inbox', inbox, '--json'], env());
    expect(night.code, night.stderr).toBe(0);
    expect(JSON.parse(night.stdout.trim())).toMatchObject({ day: '2026-11-03', base_period: '2026-10', households_touched: 1, urgent_raised: 1 });
    // everything delivered has run: a second night finds nothing due; a forced rerun raises nothing new
    expect((await cli(['nightly', '--inbox', inbox, '--json'], env())).stdout).toBe('');
    const rerun = await cli(['nightly', '--inbox', inbox, '--day', '2026-11-03'], env());
    expect(rerun.stdout).toContain('0 urgent warnings raised (1 raised before)');

    expect((await cli(['nightly'], env())).code).toBe(2); // no inbox given or configured
    expect((await cli(['nightly', '--inbox', inbox, '--day', '2026-11-31'], env())).code).toBe(2);
  });
});

describe('safetynet review', () => {
  it('lists nothing to review on the shipped district, and refuses an item that is not on the list', async () => {
    const list = await cli(['review', '--period', '2026-10'], env());
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('no identity rescue item waits for review in 2026-10');
    const bad = await cli(['review', '--period', '2026-10', '--confirm', 'health:999', '--candidate', '1'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no identity rescue item health:999 in 2026-10');
  });
});
