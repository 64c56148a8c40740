import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { UsageError } from './errors.js';
import { secureFolder, type FileAccess } from './export/output-file.js';
import { preparePrivateHome } from './private-home.js';

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

/** What a command prints in: --lang, else the config's `lang` (a bureau that set 'zh' needs no flag). */
export function outputLang(opts: GlobalOptions & { lang?: 'en' | 'zh' }): 'en' | 'zh' {
  return opts.lang ?? resolveConfig(opts).config.lang;
}

/** The database the command opened last, for messages that must say where they looked (PeriodNotRun). */
export let lastOpened: string | undefined;

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
  lastOpened = database.description;
  return database;
}

/** Who may read the files a command writes: `access.exportGroup` resolved to its number. */
export async function fileAccess(config: LoadedConfig): Promise<FileAccess> {
  const group = config.config.access.exportGroup;
  if (group === null) return { group: null };
  if (typeof group === 'number') return { group };
  // no getgrnam in Node: /etc/group is what `getent group` reads on the machines we run on
  const line = (await readFile('/etc/group', 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === group);
  const gid = Number(line?.[2]);
  if (!line || !Number.isInteger(gid)) {
    throw new UsageError(`access.exportGroup "${group}" is not a group on this machine (getent group ${group}): create it, or set its number, or null`);
  }
  return { group: gid };
}

/** SAFETYNET_HOME/exports, created private (0700, or 0750 for the export group), who reads its files, and their language. */
export async function exportsFolder(opts: GlobalOptions, config: LoadedConfig): Promise<{ dir: string; access: FileAccess; lang: 'en' | 'zh' }> {
  const home = resolveHome(opts);
  await preparePrivateHome(home);
  const access = await fileAccess(config);
  const dir = join(home, 'exports');
  await secureFolder(dir, access);
  return { dir, access, lang: config.config.lang };
}
