import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import pg from 'pg';
import type { Logger } from 'pino';
import { periodFiles } from '../../jobs/period-files.js';
import { runMonth } from '../../jobs/run-month.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { ReplayDiffers, UsageError } from '../errors.js';
import { PRIVATE } from '../export/output-file.js';
import { periodsInInbox } from '../pull/inbox.js';

/**
 * `safetynet replay DIR`: what deployers put in their CI. DIR holds `inbox/` (the contract's
 * layout), `expected/warning-list-<period>.csv` for each period, and optionally `config.json`.
 * Every period runs in order on a throwaway database; any list that differs from the expected
 * one fails the replay with a readable diff. `--update` rewrites the expected lists instead.
 */
export interface ReplayOptions extends GlobalOptions {
  dir: string;
  update?: boolean;
}

export interface ReplayResult {
  periods: string[];
  differing: string[];
  updated: string[];
}

async function isFile(p: string) {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** A database that exists only for this replay: a fresh one on DATABASE_URL's server, or an embedded server in a temp folder. */
async function throwawayDatabase(opts: GlobalOptions, log: Logger) {
  const serverUrl = opts.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  if (serverUrl) {
    const name = `safetynet_replay_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const drop = async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name}`);
      await c.end();
    };
    const database = await openMigrated({ ...opts, databaseUrl: url.toString() }, log).catch(async (err: unknown) => {
      await drop().catch(() => {});
      throw err;
    });
    return {
      database,
      async dispose() {
        await database.close();
        await drop();
      },
    };
  }
  const home = await mkdtemp(join(tmpdir(), 'safetynet-replay-'));
  await chmod(home, 0o755);
  const database = await openMigrated({ ...opts, databaseUrl: undefined }, log, { home, durable: false }).catch(async (err: unknown) => {
    await rm(home, { recursive: true, force: true });
    throw err;
  });
  return {
    database,
    async dispose() {
      await database.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

const stripBom = (s: string) => s.replace(/^\uFEFF/, '');

export async function replayCommand(opts: ReplayOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<ReplayResult> {
  const dir = resolve(opts.dir);
  const inbox = join(dir, 'inbox');
  const periods = await periodsInInbox(inbox).catch(() => [] as string[]);
  if (periods.length === 0) throw new UsageError(`${dir} is not a replay folder: no inbox/YYYY-MM folders`);
  const fixtureConfig = join(dir, 'config.json');
  const config: LoadedConfig = opts.config || process.env.SAFETYNET_CONFIG || !(await isFile(fixtureConfig))
    ? resolveConfig(opts)
    : loadConfig(fixtureConfig);

  // the files the month writes, as `run` writes them: the list compared is the list file itself
  const home = await mkdtemp(join(tmpdir(), 'safetynet-replay-files-'));
  const files = { dir: join(home, 'exports'), access: PRIVATE };
  const result: ReplayResult = { periods, differing: [], updated: [] };
  const diffs: string[] = [];
  const { database, dispose } = await throwawayDatabase(opts, log).catch(async (err: unknown) => {
    await rm(home, { recursive: true, force: true });
    throw err;
  });
  try {
    await mkdir(files.dir, { mode: 0o700 });
    for (const period of periods) {
      await runMonth({ database, config, log, home }, { period, inbox, files });
      const actual = await readFile(periodFiles(files, period).warning_list, 'utf8');
      const expectedFile = join(dir, 'expected', `warning-list-${period}.csv`);
      const expected = (await isFile(expectedFile)) ? await readFile(expectedFile, 'utf8') : null;
      if (opts.update) {
        if (expected !== actual) {
          await mkdir(join(dir, 'expected'), { recursive: true });
          await writeFile(expectedFile, actual);
          result.updated.push(period);
        }
        out.write(`${period}: ${expected === actual ? 'unchanged' : `updated ${expectedFile}`}\n`);
        continue;
      }
      if (expected === actual) {
        out.write(`${period}: warning list matches\n`);
        continue;
      }
      result.differing.push(period);
      const patch =
        expected === null
          ? `${period}: no expected list at ${expectedFile} (run replay --update to create it)\n`
          : createTwoFilesPatch(`expected/warning-list-${period}.csv`, `actual/warning-list-${period}.csv`, stripBom(expected), stripBom(actual), '', '', { context: 1 });
      diffs.push(patch);
      out.write(`${period}: warning list DIFFERS\n${patch}\n`);
    }
  } finally {
    await dispose();
    await rm(home, { recursive: true, force: true });
  }
  if (diffs.length > 0) throw new ReplayDiffers(result.differing);
  return result;
}
