import { chmod, mkdtemp, rm } from 'node:fs/promises';
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

let server: EmbeddedServer | undefined;
let home: string | undefined;

export default async function setup(project: TestProject) {
  const log = pino({ level: 'silent' });
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    home = await mkdtemp(join(tmpdir(), 'safetynet-test-pg-'));
    await chmod(home, 0o755);
    server = await startEmbedded(home, log, { durable: false });
    serverUrl = server.connectionString;
  }
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

  return async () => {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  };
}
