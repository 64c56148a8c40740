/**
 * `tsx bench/duckdb-peer.ts --inbox DIR --period YYYY-MM [--out FILE] [--threads N] [--memory 2GB] [--verbose]`
 *
 * Runs bench/duckdb-peer.sql (the same validation, aggregates, scores and ranking as Safetynet's
 * backfill, over the same CSVs) in an in-memory DuckDB and prints one JSON line:
 * `{"seconds":…,"transcodeSeconds":…,"households":…,"listed":…,"version":…,…}`, or
 * `{"skipped":"why"}` when DuckDB is not installed or fails. It is a timing peer for
 * bench/run.ts, never a dependency of Safetynet: a devDependency pinned to one version so that
 * the ratio's denominator does not move under us. The pin is 1.5.5-r.5, not the newer
 * 1.5.6-r.1: 1.5.6-r.1's native bindings are published for linux-x64 only (glibc and musl), so
 * its lockfile cannot list the six other platforms @duckdb/node-bindings names and `npm ci` refuses
 * it on every machine ("Missing: @duckdb/node-bindings-darwin-arm64@ from lock file"). Move the
 * pin when a release has all eight.
 *
 * GB18030 files: DuckDB's CSV reader takes UTF-8 only; other encodings need the `encodings`
 * extension, which is not bundled in @duckdb/node-api (duckdb_extensions() lists it
 * NOT_INSTALLED) and is downloaded from extensions.duckdb.org on first use, which the build
 * machine cannot reach and a civil-affairs network may well not either. So the peer transcodes
 * each GB18030 file to UTF-8 with the same streaming decoder Safetynet's ingest uses (iconv-lite,
 * file → decodeStream → a UTF-8 file in a scratch directory) and DuckDB reads that copy. The
 * transcoding is inside the peer's timed seconds, because decoding is part of the job Safetynet is
 * timed on, and is also reported alone (`transcodeSeconds`): it is a cost the extension would
 * have paid in C++ (probably faster), so the peer is a slightly slow peer and the ratio slightly
 * flatters Safetynet by at most that figure.
 *
 * DuckDB gets the machine's cores (`--threads`, default os.availableParallelism(), 2 on the build
 * machine) and a memory limit (`--memory`, default 2GB, spilling to the scratch directory beyond
 * it) instead of its default of 80% of RAM: Safetynet runs in ~300 MB of Node plus PostgreSQL's
 * 128 MB of shared buffers, and a peer that may take 19 GB would not be the same machine.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { claimsWindowStart, isoDate, periodEnd } from '../src/period.js';
import { DIMENSIONS } from '../scoring/dimensions.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['civil-affairs', 'disability', 'medical-insurance', 'health'] as const;
const PACKAGE = '@duckdb/node-api';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** the file's encoding: city.json's word, else the manifest's, else a look at the first 256 KiB */
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
  const fh = await open(join(inbox, period, `${source}.csv`), 'r');
  try {
    const head = Buffer.alloc(256 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.subarray(0, bytesRead).lastIndexOf(0x0a) + 1));
    return 'utf-8';
  } catch {
    return 'gb18030';
  } finally {
    await fh.close();
  }
}

/** a GB18030 file as UTF-8, streamed with the decoder Safetynet's ingest uses */
async function transcode(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: 1024 * 1024 }), iconv.decodeStream('gb18030'), createWriteStream(to));
}

async function main(): Promise<void> {
  const inbox = resolve(arg('--inbox') ?? '');
  const period = arg('--period') ?? '';
  const out = resolve(arg('--out') ?? join(inbox, `duckdb-list-${period}.csv`));
  const threads = Number(arg('--threads') ?? availableParallelism());
  const memory = arg('--memory') ?? '2GB';
  const verbose = process.argv.includes('--verbose');
  if (!arg('--inbox') || !/^\d{4}-\d\d$/.test(period) || !Number.isInteger(threads) || threads < 1) {
    process.stderr.write('usage: tsx bench/duckdb-peer.ts --inbox DIR --period YYYY-MM [--out FILE] [--threads N] [--memory 2GB] [--verbose]\n');
    process.exit(2);
  }
  let duckdb: typeof import('@duckdb/node-api');
  try {
    duckdb = await import('@duckdb/node-api');
  } catch {
    process.stdout.write(
      `${JSON.stringify({ skipped: `${PACKAGE} is not installed (a timing peer only, a devDependency: npm install to run it)` })}\n`,
    );
    return;
  }

  const scratch = await mkdtemp(join(tmpdir(), 'safetynet-duckdb-peer-'));
  try {
    const values: Record<string, string> = {
      period,
      period_end: isoDate(periodEnd(period)),
      window_start: claimsWindowStart(period),
      out,
      'dibao-standards': join(inbox, 'dibao-standards.csv'),
    };
    const gb18030: string[] = [];
    for (const s of SOURCES) {
      const file = join(inbox, period, `${s}.csv`);
      if ((await encodingOf(inbox, period, s)) === 'gb18030') {
        gb18030.push(s);
        values[s] = join(scratch, `${s}.utf-8.csv`);
      } else {
        values[s] = file;
      }
    }
    // comments go first: they may name a {{placeholder}} too
    const script = (await readFile(join(here, 'duckdb-peer.sql'), 'utf8'))
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('--'))
      .join('\n');
    // the registry's dimensions, in its order, with their default weights (summed in the order
    // scoring/combine.ts sums them); the peer's SQL must give each its column
    const unscored = DIMENSIONS.filter((d) => !new RegExp(`\\bas ${d.id}\\b`).test(script)).map((d) => d.id);
    if (unscored.length) throw new Error(`duckdb-peer.sql scores no column for dimension(s) ${unscored.join(', ')}: add its SQL to the dims CTE`);
    values.weighted_total = DIMENSIONS.map((d) => `${d.weight} * ${d.id}`).join(' + ');
    values.dimension_columns = DIMENSIONS.map((d) => d.id).join(', ');
    const statements = script
      .replace(/\{\{([a-z_:-]+)\}\}/g, (_, k: string) => {
        const v = values[k];
        if (v === undefined) throw new Error(`duckdb-peer.sql: no value for {{${k}}}`);
        return v.replaceAll("'", "''");
      })
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter(Boolean);

    const instance = await duckdb.DuckDBInstance.create(':memory:', {
      threads: String(threads),
      memory_limit: memory,
      temp_directory: join(scratch, 'spill'),
    });
    const connection = await instance.connect();

    const t0 = performance.now();
    for (const s of gb18030) await transcode(join(inbox, period, `${s}.csv`), values[s]!);
    const transcodeSeconds = round2((performance.now() - t0) / 1000);
    let last: Record<string, unknown> = {};
    for (const [i, statement] of statements.entries()) {
      const ts = performance.now();
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
      if (verbose) process.stderr.write(`${((performance.now() - ts) / 1000).toFixed(2).padStart(7)} s  ${statement.replace(/\s+/g, ' ').slice(0, 110)}\n`);
    }
    const seconds = round2((performance.now() - t0) / 1000);
    connection.closeSync();
    instance.closeSync();
    process.stdout.write(
      `${JSON.stringify({
        seconds,
        transcodeSeconds,
        transcoded: gb18030,
        households: Number(last.households),
        listed: Number(last.listed),
        covered: Number(last.covered),
        notOnRoster: Number(last.not_on_roster),
        rowsRead: Number(last.rows_read),
        rowsRejected: Number(last.rows_rejected),
        threads,
        memory,
        rssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        version: `DuckDB ${duckdb.version()}`,
      })}\n`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ skipped: `the DuckDB peer failed: ${err instanceof Error ? err.message : String(err)}` })}\n`);
  process.exit(0);
});
