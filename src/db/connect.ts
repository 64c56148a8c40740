import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Logger } from 'pino';
import { DatabaseUnavailable } from '../errors.js';
import { startEmbedded } from './embedded.js';
import type { Database } from './schema.js';

// numeric and bigint as JS numbers (amounts have 2 decimals, counts fit easily); dates stay
// 'YYYY-MM-DD' strings so that no time zone ever shifts a settlement date.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Kysely<Database>;
  /** where the data is, without the password */
  description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** any PostgreSQL server; when unset an embedded one is started under `home` */
  databaseUrl?: string;
  home: string;
  log: Logger;
  /** false for throwaway databases (replay): no fsync */
  durable?: boolean;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export function kyselyFor(pool: Pick<pg.Pool, 'connect' | 'end'>): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as pg.Pool, cursor: Cursor }) });
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
  let connectionString: string;
  let stopServer = async () => {};
  let description: string;
  if (opts.databaseUrl) {
    connectionString = opts.databaseUrl;
    description = redactUrl(opts.databaseUrl);
  } else {
    const server = await startEmbedded(opts.home, opts.log, { durable: opts.durable });
    stopServer = server.stop;
    try {
      await ensureDatabase(server.connectionString, 'safetynet');
    } catch (cause) {
      await stopServer();
      throw new DatabaseUnavailable(`embedded PostgreSQL started but did not accept a connection: ${(cause as Error).message}`, { cause });
    }
    connectionString = server.connectionString.replace(/\/postgres$/, '/safetynet');
    description = `embedded PostgreSQL in ${opts.home}`;
  }

  const pool = new pg.Pool({ connectionString, max: 4, application_name: 'safetynet' });
  // an idle client that loses its server must not crash the process; the next query reports it
  pool.on('error', (err) => opts.log.warn({ err }, 'idle database connection failed'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    await stopServer();
    throw new DatabaseUnavailable(`cannot connect to ${description}: ${(cause as Error).message}`, { cause });
  }
  const db = kyselyFor(pool);
  return {
    pool,
    db,
    description,
    async close() {
      await db.destroy(); // ends the pool
      await stopServer();
    },
  };
}
