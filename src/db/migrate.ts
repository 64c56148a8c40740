import { type Kysely, Migrator, sql } from 'kysely';
import type { Logger } from 'pino';
import { migrations } from '../../migrations/index.js';
import { DatabaseUnavailable } from '../errors.js';
import { grantObjects, ROLES } from './roles.js';

export interface MigrateResult {
  applied: string[];
}

/** Names recorded as applied, or null when they cannot be read (no table yet, or no right to). */
async function executedMigrations(db: Kysely<any>): Promise<Set<string> | null> {
  try {
    const { rows: found } = await sql<{ present: boolean }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
    if (!found[0]?.present) return null;
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return new Set(rows.map((r) => r.name));
  } catch {
    return null;
  }
}

/**
 * After `migrate --create-roles` the tables belong to safetynet_owner: an admin login (or the
 * embedded superuser) runs later migrations as that role, so that new tables are the owner's too.
 */
async function ownerToBecome(db: Kysely<any>): Promise<string | null> {
  const { rows } = await sql<{ become: boolean }>`
    select case when to_regrole(${ROLES.owner}) is null or to_regclass('household') is null then false
                else (select c.relowner = to_regrole(${ROLES.owner}) from pg_class c where c.oid = to_regclass('household'))
                     and current_user <> ${ROLES.owner}
                     and pg_has_role(current_user, ${ROLES.owner}, 'MEMBER') end as become`.execute(db);
  return rows[0]?.become ? ROLES.owner : null;
}

async function runMigrator(db: Kysely<any>, log: Logger): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const r of results) {
    if (r.status === 'Error') log.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error) {
    if ((error as { code?: string }).code === '42501') {
      // a batch or exporter login meeting a schema that is behind: only the owner may fix it
      throw new DatabaseUnavailable(
        `the database schema needs migrating and this login may not change it (${(error as Error).message}): ` +
          `run \`safetynet migrate\` as ${ROLES.owner} or an admin, then rerun`,
        { cause: error },
      );
    }
    throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Brings the schema to the latest migration; kysely's own lock table keeps two processes apart.
 * When nothing is pending it changes nothing, so that the batch and exporter logins, which may
 * not run DDL, can open the database.
 */
export async function migrateToLatest(db: Kysely<any>, log: Logger): Promise<MigrateResult> {
  const known = Object.keys(migrations);
  const executed = await executedMigrations(db);
  if (executed && known.every((n) => executed.has(n)) && [...executed].every((n) => known.includes(n))) return { applied: [] };

  const owner = await ownerToBecome(db);
  let applied: string[];
  if (owner) {
    applied = await db.connection().execute(async (conn) => {
      await sql`set role ${sql.raw(`"${owner}"`)}`.execute(conn);
      try {
        const done = await runMigrator(conn, log);
        // a migration that added a table: the batch and the exporter get exactly their share of it
        if (done.length) await conn.transaction().execute((trx) => grantObjects(trx));
        return done;
      } finally {
        await sql`reset role`.execute(conn);
      }
    });
  } else {
    applied = await runMigrator(db, log);
  }
  if (applied.length) log.info({ applied, as: owner ?? undefined }, 'database migrated');
  return { applied };
}
