import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';

export const silentLog = pino({ level: 'silent' });

export function urlFor(database: string): string {
  const url = new URL(inject('pgServerUrl'));
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('pgServerUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database cloned from the migrated template. */
export async function createDatabase(prefix = 't'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`create database ${name} template ${inject('pgTemplate')}`));
  return { name, url: urlFor(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`drop database if exists ${name} with (force)`));
}

/**
 * The database of one test file: cloned from the template before the file's tests, dropped
 * after them only when every test passed, so that a failure leaves its evidence (as pg-boss does).
 */
export function useTestDatabase(): { readonly handle: DatabaseHandle; readonly url: string } {
  const state = { handle: undefined as DatabaseHandle | undefined, name: '', url: '', failed: false };
  beforeAll(async () => {
    const created = await createDatabase();
    Object.assign(state, created);
    state.handle = await openDatabase({ databaseUrl: created.url, home: '', log: silentLog });
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') state.failed = true;
  });
  afterAll(async () => {
    await state.handle?.close();
    if (!state.name) return;
    if (state.failed) console.warn(`kept database ${state.name} of a failing test file for inspection`);
    else await dropDatabase(state.name);
  });
  return {
    get handle() {
      if (!state.handle) throw new Error('test database not ready');
      return state.handle;
    },
    get url() {
      return state.url;
    },
  };
}

/**
 * An empty database cloned from the template for the enclosing describe block, for tests that
 * hand its URL to a CLI process (DATABASE_URL). Dropped after the block.
 */
export function useScratchDatabase(prefix: string): { readonly url: string } {
  let db: { name: string; url: string } | undefined;
  beforeAll(async () => {
    db = await createDatabase(prefix);
  });
  afterAll(async () => {
    if (db) await dropDatabase(db.name);
  });
  return {
    get url() {
      if (!db) throw new Error('scratch database not ready');
      return db.url;
    },
  };
}
