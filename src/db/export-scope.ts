import { sql, type Kysely } from 'kysely';
import type { Database, ExportScopeTable } from './schema.js';

/** The owner's table of who may export which region (migration 0006): one query each. */
export type ExportScope = Pick<ExportScopeTable, 'login' | 'region_prefix' | 'note'> & { granted_by: string; granted_at: Date };

export async function grantExportScope(db: Kysely<Database>, login: string, regionPrefix: string, note: string | null): Promise<void> {
  await db
    .insertInto('export_scope')
    .values({ login, region_prefix: regionPrefix, note, granted_by: sql<string>`session_user`, granted_at: sql<Date>`now()` })
    .onConflict((oc) =>
      oc.column('login').doUpdateSet({ region_prefix: regionPrefix, note, granted_by: sql<string>`session_user`, granted_at: sql<Date>`now()` }),
    )
    .execute();
}

export async function revokeExportScope(db: Kysely<Database>, login: string): Promise<boolean> {
  const result = await db.deleteFrom('export_scope').where('login', '=', login).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listExportScopes(db: Kysely<Database>): Promise<ExportScope[]> {
  return db.selectFrom('export_scope').select(['login', 'region_prefix', 'note', 'granted_by', 'granted_at']).orderBy('login').execute();
}

/** Whether a role of that name exists on the server (a grant to a typo would never apply). */
export async function loginExists(db: Kysely<Database>, login: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select exists (select 1 from pg_roles where rolname = ${login}) as found`.execute(db);
  return rows[0]?.found === true;
}
