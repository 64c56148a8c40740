import type { Logger } from 'pino';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { resolveHome, type GlobalOptions } from '../context.js';

/** `safetynet migrate`: brings the database schema to the latest version. */
export async function migrateCommand(opts: GlobalOptions, log: Logger): Promise<string[]> {
  const database = await openDatabase({
    databaseUrl: opts.databaseUrl ?? (process.env.DATABASE_URL || undefined),
    home: resolveHome(opts),
    log,
  });
  try {
    const { applied } = await migrateToLatest(database.db, log);
    return applied;
  } finally {
    await database.close();
  }
}
