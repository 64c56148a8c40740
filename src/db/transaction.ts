import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { Interrupted } from '../errors.js';
import { shutdown, type StopSignal } from '../interrupt.js';
import { asDatabaseUnavailable, describePool, kyselyFor } from './connect.js';
import type { Database } from './schema.js';

export interface Tx {
  /** the raw connection, for COPY */
  client: pg.PoolClient;
  /** kysely bound to the same connection, so its queries run inside the transaction */
  db: Kysely<Database>;
}

/**
 * One transaction on one connection shared by kysely and COPY (kysely's own transactions
 * cannot lend their connection to pg-copy-streams). Commits when `fn` resolves, rolls back
 * when it throws: a failed run leaves the previous good state as it was.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((err: unknown) => {
    throw asDatabaseUnavailable(err, describePool(pool), 'connecting') ?? err;
  });
  // a connection lost mid-run (server stopped, network) surfaces as the failed query's error;
  // without a listener the same event would also crash the process
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  // a pool of exactly this one connection: kysely "releases" it, the transaction keeps it
  const borrowed = { query: (...args: unknown[]) => (client.query as (...a: unknown[]) => unknown).apply(client, args), release() {} };
  const single = { connect: async () => borrowed, end: async () => {} };
  const db = kyselyFor(single as unknown as pg.Pool);
  let broken: Error | undefined;
  let committing = false;
  // SIGINT/SIGTERM: the server ends this backend (whatever statement it is in, even one that
  // never reads its socket) and rolls the transaction back; the caller's error path then runs
  // with the server still up, so that a run can record why it stopped
  let backend: number | undefined;
  let over = false;
  const stop = () => {
    const ended = backend === undefined ? Promise.resolve() : pool.query('select pg_terminate_backend($1)', [backend]);
    // not a connection already back in the pool, in use by someone else
    void ended.catch(() => {}).finally(() => (over ? undefined : client.end().catch(() => {})));
  };
  shutdown.addEventListener('abort', stop, { once: true });
  try {
    if (shutdown.aborted) throw new Interrupted(shutdown.reason as StopSignal);
    backend = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    await client.query('begin');
    const result = await fn({ client, db });
    committing = true;
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => {
      broken = e;
    });
    // (cut off in its commit, the transaction may have committed: that message says so, and why not)
    if (shutdown.aborted && !committing && !(err instanceof Interrupted)) throw new Interrupted(shutdown.reason as StopSignal, { cause: err });
    // a server that went away (stopped, crashed, disk full, connection cut: in a COPY too) is
    // exit code 5 with what to do, not an unexpected error
    throw asDatabaseUnavailable(err, describePool(pool), committing ? 'committing' : 'working') ?? err;
  } finally {
    over = true;
    shutdown.removeEventListener('abort', stop);
    client.off('error', onError);
    client.release(broken ?? lost);
  }
}

/**
 * `fn` in a savepoint of `tx`: its result, or `denied(err)`'s when this login may not do what it
 * does (SQLSTATE 42501, insufficient privilege), the savepoint rolled back so that the
 * transaction goes on. Any other error is thrown.
 */
export async function unlessDenied<T, F>(tx: Tx, savepoint: string, fn: () => Promise<T>, denied: (err: Error) => F): Promise<T | F> {
  const name = sql.id(savepoint);
  await sql`savepoint ${name}`.execute(tx.db);
  try {
    const result = await fn();
    await sql`release savepoint ${name}`.execute(tx.db);
    return result;
  } catch (err) {
    if ((err as { code?: string } | null)?.code !== '42501') throw err;
    await sql`rollback to savepoint ${name}`.execute(tx.db);
    await sql`release savepoint ${name}`.execute(tx.db);
    return denied(err as Error);
  }
}
