import { type Kysely, Migrator } from 'kysely';
import type { Logger } from 'pino';
import { migrations } from '../../migrations/index.js';

export interface MigrateResult {
  applied: string[];
}

/** Brings the schema to the latest migration; kysely's own lock table keeps two processes apart. */
export async function migrateToLatest(db: Kysely<any>, log: Logger): Promise<MigrateResult> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const r of results) {
    if (r.status === 'Error') log.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length) log.info({ applied }, 'database migrated');
  return { applied };
}
