import type { Logger } from 'pino';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createRoles, grantRoles, PASSWORD_ENV, passwordsFromEnv, ROLES, type RoleKind } from '../db/roles.js';
import { resolveHome, type GlobalOptions } from '../context.js';

export interface MigrateOptions extends GlobalOptions {
  /** also create the owner, batch and exporter roles and grant them this database (docs/privacy.md) */
  createRoles?: boolean;
}

/**
 * `safetynet migrate`: brings the database schema to the latest version. With `--create-roles`,
 * run by a superuser or a CREATEROLE login, it also creates the three least-privilege roles
 * (cluster-wide) and hands this database to them: from then on exports and household cards
 * read as safetynet_exporter under row-level security by region.
 */
export async function migrateCommand(opts: MigrateOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<string[]> {
  const database = await openDatabase({
    databaseUrl: opts.databaseUrl ?? (process.env.DATABASE_URL || undefined),
    home: resolveHome(opts),
    log,
  });
  try {
    const roles = opts.createRoles ? await createRoles(database.db, { passwords: passwordsFromEnv(), log }) : [];
    const { applied } = await migrateToLatest(database.db, log);
    out.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
    if (opts.createRoles) {
      await grantRoles(database.db, log);
      for (const r of roles) {
        const kind = (Object.keys(ROLES) as RoleKind[]).find((k) => ROLES[k] === r.role)!;
        const password =
          r.password === 'set' ? `password set from ${PASSWORD_ENV[kind]}` : r.password === 'none' ? `no password (set ${PASSWORD_ENV[kind]} to log in with one)` : 'password unchanged';
        out.write(`role ${r.role}: ${r.created ? 'created' : 'already there'}, ${password}\n`);
      }
      out.write(`privileges granted in ${database.description}: exports and household cards now read as ${ROLES.exporter} under row-level security by region\n`);
    }
    return applied;
  } finally {
    await database.close();
  }
}
