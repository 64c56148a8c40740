import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { generateCommand } from '../../src/commands/generate.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { CITY_SOURCES, generateCity, type CityStats } from '../../src/generate/generate-city.js';
import { claimsWindowStart } from '../../src/period.js';
import { cli } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The generator's city through the real pipeline: every row the generator wrote is read, every
 * row it made wrong is refused and nothing else, the households and the people not on the
 * roster are the ones it made; and a seed gives the same bytes every time.
 */

const config = parseConfig(undefined);
const test = useTestDatabase();
const HOUSEHOLDS = 1000;
const PERIODS = 3;
const SEED = 424242;

let dir: string;
let city: CityStats;
const summaries: Record<string, RunSummary> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-generate-'));
  city = await generateCity({ out: join(dir, 'a'), households: HOUSEHOLDS, periods: PERIODS, seed: SEED });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(root.length + 1))
    .sort();
}

describe('safetynet generate', () => {
  it('writes the contract inbox layout, every encoding and both header languages', async () => {
    expect(city.periods).toEqual(['2026-09', '2026-10', '2026-11']);
    const files = await filesUnder(join(dir, 'a'));
    expect(files).toEqual([
      // a file per department the city writes rows for, and the manifest
      ...city.periods.flatMap((p) => [...CITY_SOURCES.map((s) => `${s}.csv`), 'manifest.json'].map((f) => join(p, f))),
      'city.json',
      'dibao-standards.csv',
    ].sort());
    const styles = Object.values(city.period).flatMap((p) => Object.values(p.files));
    expect(new Set(styles.map((f) => f.encoding))).toEqual(new Set(['utf-8', 'utf-8-bom', 'gb18030']));
    expect(new Set(styles.map((f) => f.headers))).toEqual(new Set(['en', 'zh']));
    // a BOM exactly where the city says there is one
    for (const p of city.periods) {
      for (const s of CITY_SOURCES) {
        const bytes = await readFile(join(dir, 'a', p, `${s}.csv`));
        const f = city.period[p]!.files[s];
        expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), `${p}/${s}`).toBe(f.encoding === 'utf-8-bom');
      }
    }
    // a few percent of dirty rows, over the whole city
    const rows = styles.reduce((n, f) => n + f.rows, 0);
    const rejects = styles.reduce((n, f) => n + f.rejects, 0);
    expect(rejects / rows).toBeGreaterThan(0.01);
    expect(rejects / rows).toBeLessThan(0.05);
  });

  it('gives byte-identical files for the same seed, and another city for another seed', async () => {
    await generateCity({ out: join(dir, 'b'), households: HOUSEHOLDS, periods: PERIODS, seed: SEED });
    const files = await filesUnder(join(dir, 'a'));
    expect(await filesUnder(join(dir, 'b'))).toEqual(files);
    for (const f of files) {
      const [a, b] = await Promise.all([readFile(join(dir, 'a', f)), readFile(join(dir, 'b', f))]);
      expect(a.equals(b), f).toBe(true);
    }
    await generateCity({ out: join(dir, 'c'), households: HOUSEHOLDS, periods: PERIODS, seed: SEED + 1 });
    const [a, c] = await Promise.all([readFile(join(dir, 'a', '2026-09', 'civil-affairs.csv')), readFile(join(dir, 'c', '2026-09', 'civil-affairs.csv'))]);
    expect(a.equals(c)).toBe(false);
  });

  it('as a command: refuses to write over a city unless --force, which replaces only the city', async () => {
    const out = join(dir, 'cmd');
    const printed: string[] = [];
    const sink = { write: (s: string) => printed.push(s) } as unknown as NodeJS.WritableStream;
    await generateCommand({ households: 20, periods: 1, out }, silentLog, sink);
    expect(printed.join('')).toContain('2026-09');
    await writeFile(join(out, 'notes.txt'), 'mine');
    await expect(generateCommand({ households: 20, periods: 1, out }, silentLog, sink)).rejects.toBeInstanceOf(UsageError);
    await generateCommand({ households: 20, periods: 2, out, force: true, json: true }, silentLog, sink);
    expect(JSON.parse(printed.at(-1)!).periods).toEqual(['2026-09', '2026-10']);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('as the CLI: --help with an example, exit 2 on a city already there', async () => {
    const help = await cli(['generate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('safetynet generate --households 300 --periods 3 --seed 7 --out /tmp/city');
    expect(help.stdout).toContain('Exit codes:');
    const out = join(dir, 'cli');
    const first = await cli(['generate', '--households', '10', '--out', out, '--json', '--log-level', 'warn']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trim()).households).toBe(10);
    const again = await cli(['generate', '--households', '10', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds a city');
  });

  it('runs through the pipeline with counts that reconcile, period after period', async () => {
    for (const period of city.periods) {
      summaries[period] = await runPeriod({ database: test.handle, config, log: silentLog }, { inbox: join(dir, 'a'), period });
    }
    const table: string[] = [];
    for (const period of city.periods) {
      const s = summaries[period]!;
      const expected = city.period[period]!;
      for (const source of CITY_SOURCES) {
        const got = s.sources[source]!;
        const want = expected.files[source];
        table.push(`${period} ${source.padEnd(17)} read ${got.rows_read}/${want.rows} rejected ${got.rows_rejected}/${want.rejects}`);
        expect(got.rows_read, `${period} ${source} rows read`).toBe(want.rows);
        expect(got.rows_rejected, `${period} ${source} rows rejected`).toBe(want.rejects);
        expect(got.rows_loaded + got.rows_rejected).toBe(got.rows_read);
      }
      expect(s.not_on_roster, `${period} not on roster`).toBe(expected.notOnRoster);
      expect(s.households_scored, `${period} households`).toBe(expected.rosterHouseholds + expected.notOnRoster);
      expect(s.warnings).toBeGreaterThan(0);
      expect(s.warnings).toBeLessThan(s.households_scored / 2);
    }
    console.log(table.join('\n'));
  });

  it('loads a year of claims with the first period and a month with each later one', async () => {
    const db = test.handle.db;
    for (const [i, period] of city.periods.entries()) {
      const { rows } = await sql<{ n: number; months: number; first: string; last: string }>`
        select count(*)::int as n, count(distinct to_char(settled_on, 'YYYY-MM'))::int as months,
               to_char(min(settled_on), 'YYYY-MM-DD') as first, to_char(max(settled_on), 'YYYY-MM-DD') as last
        from claim where received_period = ${period}
      `.execute(db);
      const got = rows[0]!;
      const s = summaries[period]!;
      const rescued = s.identity_rescue['medical-insurance']?.rescued ?? 0;
      // a claim sent twice in one file is kept once; rescued rows are loaded on top of the valid ones
      expect(got.n, period).toBe(s.sources['medical-insurance']!.rows_loaded - city.period[period]!.claimsResentInFile + rescued);
      if (i === 0) {
        expect(got.months).toBe(12);
        expect(got.first >= claimsWindowStart(period)).toBe(true);
      } else {
        // the month's claims, and corrections of the weeks before
        expect(got.last.slice(0, 7)).toBe(period);
        const { rows: own } = await sql<{ n: number }>`
          select count(*)::int as n from claim where received_period = ${period} and to_char(settled_on, 'YYYY-MM') = ${period}
        `.execute(db);
        expect(own[0]!.n / got.n).toBeGreaterThan(0.8);
      }
    }
  });
});
