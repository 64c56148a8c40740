import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { ROOT } from './cli.js';
import { silentLog } from './database.js';

/**
 * What the fault tests (test/integration/faults.test.ts, crash.test.ts) share: a CLI run that
 * can be signalled and still reports its output, the state of the periods as the database holds
 * it, a way to stop a run at a chosen statement, and the table they print.
 */

export interface FaultRow {
  fault: string;
  /** why the fault could not be staged here (the row is then not a result) */
  skipped?: string;
  /** the exit code, or the signal that ended the process */
  exit: string;
  message: string;
  previousIntact: boolean;
  rerunClean: boolean;
}

/** The table every fault test prints, so that a reader sees what each fault did. */
export function faultTable(title: string, rows: FaultRow[]): string {
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  const short = (m: string) => (m.length > 150 ? `${m.slice(0, 149)}…` : m);
  const cells = rows.map((r) =>
    r.skipped ? [r.fault, '-', `SKIPPED: ${r.skipped}`, '-', '-'] : [r.fault, r.exit, short(r.message), yes(r.previousIntact), yes(r.rerunClean)],
  );
  const header = ['fault', 'exit', 'message', 'previous intact', 'rerun clean'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => [...c[i]!].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v + ' '.repeat(widths[i]! - [...v].length)).join(' | ')} |`;
  const table = [title, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)];
  const cut = rows.filter((r) => !r.skipped && short(r.message) !== r.message);
  if (cut.length) table.push('', 'Messages in full:', ...cut.map((r) => `  ${r.fault}: exit ${r.exit}\n    ${r.message}`));
  return table.join('\n');
}

/** The CLI's own one-line account of a failure (what a cron mail shows), else the signal. */
export function cliMessage(r: { stderr: string; signal: NodeJS.Signals | null }): string {
  const line = r.stderr.split('\n').find((l) => l.startsWith('safetynet: '));
  if (line) return line.slice('safetynet: '.length);
  return r.signal ? `(killed by ${r.signal}: no message)` : '(no message)';
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real CLI and collects its output, for tests that act on it while it runs. */
export function startCli(args: string[], env: Record<string, string | undefined>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: undefined, SAFETYNET_HOME: undefined, SAFETYNET_CONFIG: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export const exitOf = (r: CliRun): string => (r.signal ? r.signal : String(r.code));

/** The embedded database under `home`, opened (its server started or taken over) for `fn` only. */
export async function onEmbedded<T>(home: string, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ home, log: silentLog });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** Every scored household of a period as `export --all` writes it, from the tables as they are now. */
export async function allHouseholdsCsv(db: Kysely<Database>, period: string): Promise<string> {
  const chunks: Buffer[] = [];
  await writeWarningList(db, { period, all: true }, new Writable({ write: (chunk: Buffer, _enc, cb) => (chunks.push(chunk), cb()) }), silentLog);
  return Buffer.concat(chunks).toString('utf8');
}

/** The default warning list of a period as the tables hold it now, hashed as a run hashes it. */
export async function listSha256(db: Kysely<Database>, period: string): Promise<string> {
  const hash = createHash('sha256');
  await writeWarningList(db, { period }, new Writable({ write: (chunk, _enc, cb) => (hash.update(chunk), cb()) }), silentLog);
  return hash.digest('hex');
}

export interface PeriodState {
  /** per period: the latest successful run and its list's hash */
  succeeded: Record<string, { run_id: number; output_sha256: string | null } | undefined>;
  /** per period: the list the tables give now (not what the ledger says it was) */
  lists: Record<string, string>;
  /** every run, oldest first */
  runs: { run_id: number; period: string; status: string; error: string | null }[];
}

export async function periodState(db: Kysely<Database>, periods: readonly string[]): Promise<PeriodState> {
  const runs = await db.selectFrom('run').select(['run_id', 'period', 'status', 'output_sha256', 'error']).orderBy('run_id').execute();
  const state: PeriodState = { succeeded: {}, lists: {}, runs: runs.map(({ run_id, period, status, error }) => ({ run_id, period, status, error })) };
  for (const period of periods) {
    const last = runs.filter((r) => r.period === period && r.status === 'succeeded').at(-1);
    state.succeeded[period] = last && { run_id: last.run_id, output_sha256: last.output_sha256 };
    state.lists[period] = await listSha256(db, period);
  }
  return state;
}

/**
 * A statement trigger that holds a run inside its transaction, at the first insert into
 * `table`, for as long as `holdFile` exists: the test acts (stops the server, kills a process)
 * at a known point instead of guessing one with a timer, and deleting the file lets later runs
 * pass. pg_stat_file needs a superuser: the embedded server's own user is one.
 */
export async function installHold(db: Kysely<Database>, table: string, holdFile: string): Promise<void> {
  const { sql } = await import('kysely');
  const fn = `fault_hold_${table}`;
  await sql
    .raw(
      `create or replace function ${fn}() returns trigger language plpgsql as $$
       begin
         -- the row of a missing file is all null, hence .size
         while (pg_stat_file(${pg.escapeLiteral(holdFile)}, true)).size is not null loop
           perform pg_sleep(0.05);
         end loop;
         return null;
       end $$`,
    )
    .execute(db);
  await sql.raw(`create or replace trigger ${fn} before insert on ${table} for each statement execute function ${fn}()`).execute(db);
  // a table partitioned by period (migration 0018) takes a period's first rows in a fresh table
  // of its own: the run is held as it makes that table, the statement before its insert
  const { rows } = await sql<{ partitioned: boolean }>`select relkind = 'p' as partitioned from pg_class where oid = ${table}::regclass`.execute(db);
  if (rows[0]?.partitioned) {
    await sql
      .raw(
        `create or replace function ${fn}_fresh() returns event_trigger language plpgsql as $$
         declare c record;
         begin
           for c in select * from pg_event_trigger_ddl_commands() loop
             if c.command_tag = 'CREATE TABLE' and c.object_identity like ${pg.escapeLiteral(`public.${table}\_p%`)} then
               while (pg_stat_file(${pg.escapeLiteral(holdFile)}, true)).size is not null loop
                 perform pg_sleep(0.05);
               end loop;
             end if;
           end loop;
         end $$`,
      )
      .execute(db);
    await sql.raw(`drop event trigger if exists ${fn}_fresh`).execute(db);
    await sql.raw(`create event trigger ${fn}_fresh on ddl_command_end when tag in ('CREATE TABLE') execute function ${fn}_fresh()`).execute(db);
  }
}

/** The embedded server a CLI started under `home`: its postmaster's pid and a URL to reach it. */
export async function embeddedServer(home: string): Promise<{ pid: number; url: string } | null> {
  const lines = (await readFile(join(home, 'pgdata', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const credentials = await readFile(join(home, 'postgres.json'), 'utf8').catch(() => '');
  if (lines.length < 5 || !credentials || !(Number(lines[3]) > 0)) return null;
  const { user, password } = JSON.parse(credentials) as { user: string; password: string };
  return { pid: Number(lines[0]), url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${lines[3]}/safetynet` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until a backend of `url`'s server satisfies `where` (on pg_stat_activity), and returns
 * its pid and query; fails when `gaveUp` settles first (the CLI ended before reaching it).
 */
export async function waitForBackend(
  url: () => Promise<string | null>,
  where: string,
  gaveUp: Promise<unknown>,
): Promise<{ pid: number; query: string }> {
  let over = false;
  void gaveUp.then(() => (over = true));
  while (!over) {
    const target = await url();
    if (target) {
      const client = new pg.Client({ connectionString: target, application_name: 'safetynet-fault-test' });
      client.on('error', () => {});
      try {
        await client.connect();
        while (!over) {
          const { rows } = await client.query<{ pid: number; query: string }>(
            `select pid, query from pg_stat_activity where pid <> pg_backend_pid() and ${where}`,
          );
          if (rows[0]) return rows[0];
          await sleep(25);
        }
      } catch {
        // the server is still starting: try again
      } finally {
        await client.end().catch(() => {});
      }
    }
    await sleep(25);
  }
  throw new Error(`the run ended before a backend matched: ${where}`);
}

/**
 * Folders for the test file's CLI runs (SAFETYNET_HOME, inboxes), open to the `postgres` user
 * the embedded server runs as; removed after the file only when every test passed, so that a
 * failure leaves its evidence (an embedded data folder, the exports).
 */
export function useScratchDirs(): (prefix: string) => Promise<string> {
  const dirs: string[] = [];
  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    if (failed) console.warn(`kept for inspection: ${dirs.join(', ')}`);
    // tidying up must not fail the tests it follows
    else await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => {})));
  });
  return async (prefix) => {
    const dir = await mkdtemp(join(tmpdir(), `safetynet-${prefix}-`));
    await chmod(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
}
