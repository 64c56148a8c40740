import type { Kysely } from 'kysely';
import type pg from 'pg';
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
  try {
    await client.query('begin');
    const result = await fn({ client, db });
    committing = true;
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => {
      broken = e;
    });
    // a server that went away (stopped, crashed, disk full, connection cut: in a COPY too) is
    // exit code 5 with what to do, not an unexpected error
    throw asDatabaseUnavailable(err, describePool(pool), committing ? 'committing' : 'working') ?? err;
  } finally {
    client.off('error', onError);
    client.release(broken ?? lost);
  }
}
