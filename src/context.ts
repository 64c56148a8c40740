import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';

/** What every command needs, from the environment and the global options. */
export interface GlobalOptions {
  home?: string;
  config?: string;
  databaseUrl?: string;
}

export function resolveHome(opts: GlobalOptions): string {
  return resolve(opts.home ?? process.env.SAFETYNET_HOME ?? '.safetynet');
}

export function resolveConfig(opts: GlobalOptions): LoadedConfig {
  return loadConfig(opts.config ?? process.env.SAFETYNET_CONFIG);
}

/** Opens the database (embedded unless DATABASE_URL), migrated to the latest schema. */
export async function openMigrated(opts: GlobalOptions, log: Logger, extra: { durable?: boolean; home?: string } = {}): Promise<DatabaseHandle> {
  const database = await openDatabase({
    databaseUrl: opts.databaseUrl ?? (process.env.DATABASE_URL || undefined),
    home: extra.home ?? resolveHome(opts),
    log,
    durable: extra.durable,
  });
  try {
    await migrateToLatest(database.db, log);
  } catch (err) {
    await database.close();
    throw err;
  }
  log.debug({ database: database.description }, 'database ready');
  return database;
}
