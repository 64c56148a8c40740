/**
 * `tsx bench/duckdb-peer.ts --inbox DIR --period YYYY-MM [--out FILE]`
 *
 * Runs bench/duckdb-peer.sql (the same validation, aggregates, scores and ranking as Safetynet's
 * backfill, over the same CSVs) in an in-memory DuckDB and prints one JSON line:
 * `{"seconds":…,"households":…,"listed":…,"version":…}`, or `{"skipped":"why"}` when DuckDB is
 * not installed. It is a timing peer for bench/run.ts, never a dependency of Safetynet:
 *
 *     npm install --save-dev @duckdb/node-api@1.5.6-r.1
 *
 * GB18030 files need DuckDB's `encodings` extension, which DuckDB downloads on first use
 * (INSTALL encodings); that happens before the clock starts.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimsWindowStart, isoDate, periodEnd } from '../src/period.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['civil-affairs', 'disability', 'medical-insurance', 'health'] as const;
// a variable, so that TypeScript does not require the optional package to be installed
const PACKAGE = '@duckdb/node-api';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** the file's encoding as DuckDB names it: city.json's word, else the manifest's, else a look at the bytes */
async function encodingOf(inbox: string, period: string, source: string): Promise<'utf-8' | 'gb18030'> {
  const city = await readFile(join(inbox, 'city.json'), 'utf8').then(
    (t) => JSON.parse(t) as { period?: Record<string, { files?: Record<string, { encoding?: string }> }> },
    () => null,
  );
  const known = city?.period?.[period]?.files?.[source]?.encoding ?? '';
  if (known) return known === 'gb18030' ? 'gb18030' : 'utf-8';
  const manifest = await readFile(join(inbox, period, 'manifest.json'), 'utf8').then(
    (t) => JSON.parse(t) as { files?: Record<string, { encoding?: string }> },
    () => null,
  );
  const declared = (manifest?.files?.[`${source}.csv`]?.encoding ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  if (declared) return ['gb18030', 'gbk', 'gb2312', 'cp936'].includes(declared) ? 'gb18030' : 'utf-8';
  const head = (await readFile(join(inbox, period, `${source}.csv`))).subarray(0, 256 * 1024);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.lastIndexOf(0x0a) + 1));
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

async function main(): Promise<void> {
  const inbox = resolve(arg('--inbox') ?? '');
  const period = arg('--period') ?? '';
  const out = resolve(arg('--out') ?? join(inbox, `duckdb-list-${period}.csv`));
  if (!arg('--inbox') || !/^\d{4}-\d\d$/.test(period)) {
    process.stderr.write('usage: tsx bench/duckdb-peer.ts --inbox DIR --period YYYY-MM [--out FILE]\n');
    process.exit(2);
  }
  let duckdb: any;
  try {
    duckdb = await import(PACKAGE);
  } catch {
    process.stdout.write(
      `${JSON.stringify({ skipped: `${PACKAGE} is not installed (a timing peer only: npm install --save-dev ${PACKAGE}@1.5.6-r.1 to run it)` })}\n`,
    );
    return;
  }

  const values: Record<string, string> = {
    period,
    period_end: isoDate(periodEnd(period)),
    window_start: claimsWindowStart(period),
    out,
    'dibao-standards': join(inbox, 'dibao-standards.csv'),
  };
  const encodings = new Set<string>();
  for (const s of SOURCES) {
    values[s] = join(inbox, period, `${s}.csv`);
    values[`${s}:encoding`] = await encodingOf(inbox, period, s);
    encodings.add(values[`${s}:encoding`]!);
  }
  const text = (await readFile(join(here, 'duckdb-peer.sql'), 'utf8')).replace(/\{\{([a-z_:-]+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`duckdb-peer.sql: no value for {{${k}}}`);
    return v.replaceAll("'", "''");
  });
  const statements = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);

  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  if (encodings.has('gb18030')) {
    try {
      await connection.run('install encodings');
      await connection.run('load encodings');
    } catch (err) {
      process.stdout.write(`${JSON.stringify({ skipped: `DuckDB's encodings extension (for the GB18030 files) could not be loaded: ${(err as Error).message}` })}\n`);
      return;
    }
  }
  const t0 = performance.now();
  let last: Record<string, unknown> = {};
  for (const [i, statement] of statements.entries()) {
    try {
      if (i === statements.length - 1) {
        const reader = await connection.runAndReadAll(statement);
        last = (reader.getRowObjectsJson() as Record<string, unknown>[])[0] ?? {};
      } else {
        await connection.run(statement);
      }
    } catch (err) {
      throw new Error(`duckdb-peer.sql statement ${i + 1} failed: ${(err as Error).message}\n${statement.slice(0, 300)}`);
    }
  }
  const seconds = Math.round((performance.now() - t0) / 10) / 100;
  process.stdout.write(
    `${JSON.stringify({ seconds, households: Number(last.households), listed: Number(last.listed), version: `DuckDB ${String(duckdb.version?.() ?? '')}`.trim() })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ skipped: `the DuckDB peer failed: ${err instanceof Error ? err.message : String(err)}` })}\n`);
  process.exit(0);
});
