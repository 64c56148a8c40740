/**
 * `npm run bench -- [--households N] [--keep DIR] [--seed S] [--max-period-seconds S] [--max-rss-mib M] [--slow-ms MS]`
 *
 * Generates a synthetic city (bench/generate-city.ts, in a child process so that its memory is
 * not counted), runs both periods with `runPeriod` on a throwaway embedded PostgreSQL, exports
 * the warning list, and prints per period the rows read per source, the seconds of each stage,
 * rows per second and the Node process's peak RSS, then checks the targets:
 *
 *   - every period finishes under 120 s (for 100k households; scaled up linearly above that)
 *   - Node's peak RSS stays under 512 MiB (Node must stream; PostgreSQL's memory is separate)
 *
 * Exits 1 when a target fails. With `--keep DIR` the city is generated into DIR (and reused
 * when DIR already holds one of the same size and seed) and the database is kept in DIR/home
 * for EXPLAIN ANALYZE by hand; otherwise everything lives in a temp folder that is removed.
 * Statements slower than --slow-ms (default 1000) are captured from PostgreSQL's log and listed.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { pino } from 'pino';
import { runPeriod, type RunSummary } from '../jobs/run-period.js';
import { parseConfig } from '../src/config/load-config.js';
import { openMigrated } from '../src/context.js';
import { writeWarningList } from '../src/export/warning-list.js';
import { PERIODS, type CityStats } from './generate-city.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function arg(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}
const num = (name: string, dflt: number) => {
  const v = Number(arg(name) ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

const households = num('--households', 100_000);
const seed = num('--seed', 20260901);
const maxPeriodSeconds = num('--max-period-seconds', 120 * Math.max(1, households / 100_000));
const maxRssMiB = num('--max-rss-mib', 512);
const slowMs = num('--slow-ms', 1000);
const keep = arg('--keep');

const mib = (kib: number) => Math.round(kib / 1024);
const peakRssMiB = () => mib(process.resourceUsage().maxRSS);
const sec = (ms: number) => Math.round(ms / 10) / 100;

// ------------------------------------------------------------------------------------------
// the city

async function cityIn(dir: string): Promise<CityStats> {
  const existing = await readFile(join(dir, 'city.json'), 'utf8').then(
    (t) => JSON.parse(t) as CityStats & { seed: number },
    () => null,
  );
  if (existing && existing.households === households && existing.seed === seed) {
    process.stderr.write(`reusing the city in ${dir} (${households} households, generated in ${existing.seconds}s)\n`);
    return existing;
  }
  process.stderr.write(`generating ${households} households into ${dir} …\n`);
  await rm(join(dir, 'inbox'), { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'generate-city.ts'), '--out', dir, '--households', String(households), '--seed', String(seed)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  if (code !== 0) throw new Error(`generate-city exited with ${code}`);
  const stats = JSON.parse(out.trim().split('\n').pop()!) as CityStats;
  process.stderr.write(`generated ${stats.people} people in ${stats.seconds}s\n`);
  return stats;
}

// ------------------------------------------------------------------------------------------
// the log: stage timings and slow statements captured, warnings passed to stderr

interface Captured {
  ingested: Record<string, number>;
  linked?: number;
  scored?: number;
  total?: number;
}
const captured: Record<string, Captured> = {};
const slow: { period: string; ms: number; statement: string }[] = [];
let currentPeriod = '';

const sink = {
  write(line: string) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const period = typeof o.period === 'string' ? o.period : currentPeriod;
    const c = (captured[period] ??= { ingested: {} });
    const seconds = typeof o.seconds === 'number' ? o.seconds : undefined;
    if (o.msg === 'ingested' && seconds !== undefined) c.ingested[String(o.source)] = seconds;
    else if (o.msg === 'linked') c.linked = seconds;
    else if (o.msg === 'scored') c.scored = seconds;
    else if (o.msg === 'run succeeded') c.total = seconds;
    else if (typeof o.postgres === 'string') {
      const m = /duration: ([\d.]+) ms\s+(?:statement|execute [^:]*):\s*([\s\S]*)/.exec(o.postgres);
      if (m) slow.push({ period: currentPeriod, ms: Number(m[1]), statement: m[2]!.replace(/\s+/g, ' ').trim() });
    }
    if ((o.level as number) >= 40) process.stderr.write(`  [${o.level === 40 ? 'warn' : 'error'}] ${String(o.msg)}\n`);
  },
};
// trace, so that the embedded server's log lines (duration of slow statements) reach the sink
const log = pino({ level: 'trace', base: null }, sink);

// ------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const workDir = keep ? resolve(keep) : await mkdtemp(join(tmpdir(), 'safetynet-bench-'));
  await mkdir(workDir, { recursive: true });
  await chmod(workDir, 0o755); // the embedded server runs as `postgres` when we are root
  const city = await cityIn(workDir);
  const inbox = join(workDir, 'inbox');
  const rssAfterGenerate = peakRssMiB();

  const home = join(workDir, 'home');
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true });
  await chmod(home, 0o755);

  const config = parseConfig(undefined);
  const database = await openMigrated({}, log, { home, durable: false });
  const results: { period: string; summary: RunSummary; seconds: number; rss: number; exportSeconds: number; exported: number }[] = [];
  try {
    // statements slower than --slow-ms show up in the server's log, which reaches our sink
    await sql`alter system set log_min_duration_statement = ${sql.lit(Math.round(slowMs))}`.execute(database.db);
    await sql`select pg_reload_conf()`.execute(database.db);

    for (const period of PERIODS) {
      currentPeriod = period;
      process.stderr.write(`running ${period} …\n`);
      const t = performance.now();
      const summary = await runPeriod({ database, config, log }, { inbox, period });
      const seconds = sec(performance.now() - t);
      const rss = peakRssMiB();
      const t2 = performance.now();
      const out = createWriteStream(join(workDir, `warning-list-${period}.csv`));
      const exported = await writeWarningList(database.db, { period }, out, log);
      await finished(out).catch(() => {});
      results.push({ period, summary, seconds, rss, exportSeconds: sec(performance.now() - t2), exported });
    }
    // give the server a moment to flush its last log lines
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await database.close();
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------
  // report
  const sources = ['civil-affairs', 'disability', 'medical-insurance', 'health'] as const;
  const rows: string[][] = [];
  const header = ['', ...results.map((r) => r.period)];
  const add = (label: string, f: (r: (typeof results)[number]) => string | number | undefined) =>
    rows.push([label, ...results.map((r) => String(f(r) ?? '–'))]);
  for (const s of sources) add(`rows read   ${s}`, (r) => r.summary.sources[s]?.rows_read);
  add('rows rejected (all sources)', (r) => sources.reduce((n, s) => n + (r.summary.sources[s]?.rows_rejected ?? 0), 0));
  add('households scored', (r) => r.summary.households_scored);
  add('  of which not on roster', (r) => r.summary.not_on_roster);
  add('warnings (uncovered)', (r) => r.summary.warnings);
  for (const s of sources) add(`s  ingest ${s}`, (r) => captured[r.period]?.ingested[s]);
  add('s  link', (r) => captured[r.period]?.linked);
  add('s  score', (r) => captured[r.period]?.scored);
  add('s  other (pull/sha256, deletes, commit)', (r) => {
    const c = captured[r.period];
    if (!c) return undefined;
    const staged = Object.values(c.ingested).reduce((a, b) => a + b, 0) + (c.linked ?? 0) + (c.scored ?? 0);
    return Math.round((r.seconds - staged) * 100) / 100;
  });
  add('s  TOTAL period', (r) => r.seconds);
  add('rows/second (rows read / total)', (r) => Math.round(sources.reduce((n, s) => n + (r.summary.sources[s]?.rows_read ?? 0), 0) / r.seconds));
  add('s  export warning list', (r) => r.exportSeconds);
  add('   rows exported', (r) => r.exported);
  add('Node peak RSS MiB (after period)', (r) => r.rss);

  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out: string[] = [];
  out.push('');
  out.push(`Safetynet bench: ${city.households} households, ${city.people} people, ${city.outsiders} outsiders, ${city.invalidIds} mistyped IDs (seed ${seed})`);
  out.push(`node ${process.version}, embedded PostgreSQL (fsync off), work dir ${keep ? workDir : '(temp, removed)'}`);
  out.push('');
  out.push(fmt(header));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) out.push(fmt(r));

  if (slow.length > 0) {
    out.push('');
    out.push(`statements over ${slowMs} ms (from PostgreSQL's log), slowest first:`);
    for (const s of [...slow].sort((a, b) => b.ms - a.ms).slice(0, 12)) {
      out.push(`  ${s.period}  ${(s.ms / 1000).toFixed(2).padStart(7)} s  ${s.statement.slice(0, 160)}`);
    }
  }

  const peak = peakRssMiB();
  const checks = [
    ...results.map((r) => ({ what: `period ${r.period} under ${maxPeriodSeconds} s`, value: `${r.seconds} s`, ok: r.seconds < maxPeriodSeconds })),
    { what: `Node peak RSS under ${maxRssMiB} MiB`, value: `${peak} MiB (${rssAfterGenerate} MiB before the database)`, ok: peak < maxRssMiB },
  ];
  out.push('');
  out.push('targets:');
  for (const c of checks) out.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.what.padEnd(36)} ${c.value}`);
  const ok = checks.every((c) => c.ok);
  out.push(ok ? 'PASS' : 'FAIL');
  process.stdout.write(out.join('\n') + '\n');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
