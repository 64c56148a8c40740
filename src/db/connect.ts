import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Logger } from 'pino';
import { DatabaseUnavailable } from '../errors.js';
import { removeScratchLeftovers } from '../scratch.js';
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
  /** the SAFETYNET_HOME it was opened for (the CLI always has one): private spill files go under it */
  home?: string;
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

// Server-side SQLSTATEs that say the server, not the statement, failed: connection exceptions
// (08), shutdown and crash of the server (57P01-57P05), exhausted resources such as a full disk
// (53000-53300) and I/O errors (58000, 58030). A retry of the statement would fail the same way.
const SERVER_GONE = /^(08...|57P0[1-5]|53000|53100|53200|53300|58000|58030)$/;
// Client-side: the socket failed, or pg gave up on a connection that had failed before.
const SOCKET_GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CLIENT_GONE = /Connection terminated|connection error|is not queryable|timeout exceeded when trying to connect/i;

/** What the messages call a pool's server (set by openDatabase); the password never appears. */
const descriptions = new WeakMap<object, string>();

export function describePool(pool: object): string | undefined {
  return descriptions.get(pool);
}

/**
 * The failure as `DatabaseUnavailable` (exit code 5) when the server went away, is out of disk
 * space or could not be reached, with what happened and what to do; undefined for any other
 * error (a bug or a constraint stays what it is). `cause` keeps the driver's error for the log.
 */
export function asDatabaseUnavailable(
  err: unknown,
  server?: string,
  doing: 'connecting' | 'working' | 'committing' = 'working',
): DatabaseUnavailable | undefined {
  if (err instanceof DatabaseUnavailable) return err;
  if (!(err instanceof Error)) return undefined;
  const given = (err as Error & { code?: unknown }).code;
  const code = typeof given === 'string' ? given : '';
  const who = server ? `PostgreSQL (${server})` : 'PostgreSQL';
  // a refused connection to a name with several addresses is an AggregateError without a message
  const text = err.message || code || err.name;
  const reason = /^[0-9A-Z]{5}$/.test(code) ? `${text} [SQLSTATE ${code}]` : text;
  const uncommitted = 'Nothing of the interrupted work was committed.';
  // only the server's own 53100: a local ENOSPC (an export file) is not PostgreSQL's disk
  if (code === '53100') {
    return new DatabaseUnavailable(`${who} is out of disk space: ${reason}. Free space where its data is kept, then rerun. ${uncommitted}`, { cause: err });
  }
  if (!SERVER_GONE.test(code) && !SOCKET_GONE.has(code) && !CLIENT_GONE.test(err.message)) return undefined;
  if (doing === 'connecting') {
    return new DatabaseUnavailable(`cannot connect to ${who}: ${reason}. Check that the server is running and reachable, then rerun.`, { cause: err });
  }
  if (doing === 'committing') {
    // the commit may have reached the server before the connection went: say so, never guess
    return new DatabaseUnavailable(
      `lost the connection to ${who} while committing: ${reason}. Whether the commit happened is unknown: once the server is back, check (for a run: safetynet runs) and rerun if needed.`,
      { cause: err },
    );
  }
  return new DatabaseUnavailable(`lost the connection to ${who}: ${reason}. Check that the server is running and reachable, then rerun. ${uncommitted}`, {
    cause: err,
  });
}

/**
 * The pool as kysely sees it: errors that mean the server is gone become DatabaseUnavailable
 * where they happen, so that every command reports them with exit code 5 and not as a bug.
 * Cursors (streamed reads) pass through; their errors surface in the transaction around them.
 */
function reportingPool(pool: pg.Pool, server: string): Pick<pg.Pool, 'connect' | 'end'> {
  const map = (err: unknown, doing?: 'connecting' | 'committing') => asDatabaseUnavailable(err, server, doing) ?? err;
  const connect = async () => {
    const client = await pool.connect().catch((err: unknown) => {
      throw map(err, 'connecting');
    });
    const query = (...args: unknown[]) => {
      const result = (client.query as (...a: unknown[]) => unknown).apply(client, args);
      // kysely's own transactions commit through here
      const doing = typeof args[0] === 'string' && /^\s*commit\b/i.test(args[0]) ? 'committing' : undefined;
      return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(map(err, doing))) : result;
    };
    return { query, release: (err?: Error | boolean) => client.release(err) };
  };
  return { connect, end: () => pool.end() } as unknown as Pick<pg.Pool, 'connect' | 'end'>;
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
  descriptions.set(pool, description);
  let closing = false;
  // an idle client that loses its server must not crash the process; the next query reports it.
  // While closing, pool.end() has not waited for the sockets to shut, and stopping the embedded
  // server cuts them: that is the shutdown, not a failure. pg-pool hangs the whole client on
  // the error (`err.client`): log the error only.
  pool.on('error', (err) => {
    if (!closing) opts.log.warn({ err: { message: err.message, code: (err as Error & { code?: string }).code } }, 'idle database connection failed');
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    await stopServer();
    throw new DatabaseUnavailable(`cannot connect to ${description}: ${(cause as Error).message}`, { cause });
  }
  const db = kyselyFor(reportingPool(pool, description));
  // what a command killed mid-ingest left (refused rows in clear) goes at the next start
  if (opts.home) {
    await removeScratchLeftovers(opts.home, opts.log).catch((err: unknown) => opts.log.warn({ err }, 'could not remove the spill files of a killed command'));
  }
  return {
    pool,
    db,
    description,
    home: opts.home || undefined,
    async close() {
      closing = true;
      // after a lost server, closing must neither hang nor replace the error that ended the command
      await db.destroy().catch((err: unknown) => opts.log.warn({ err }, 'closing the database connections failed'));
      await stopServer().catch((err: unknown) => opts.log.warn({ err }, 'stopping the embedded PostgreSQL failed'));
    },
  };
}
