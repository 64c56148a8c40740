import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';

/**
 * Least privilege in the database: three roles, the same names in every database of a cluster
 * (roles are cluster-wide). None is superuser, none bypasses row-level security.
 *
 * - owner: owns the schema and runs migrations (DDL);
 * - batch: runs the monthly job: DML on the tables it fills, temp tables, ANALYZE of its period
 *   tables through the owner's function safetynet_analyze (migration 0005);
 * - exporter: reads the warning list and household cards under row-level security keyed on the
 *   region scope, and appends to the export audit log. It reads no raw extract but the categories
 *   of disabilities and diagnoses that the card shows.
 *
 * `createRoles` is cluster-wide (run once per server, by a superuser or a CREATEROLE login);
 * `grantRoles` is per database and is what switches row security on for exports
 * (`rowSecurityActive`). Both are idempotent and safe to run concurrently.
 */
export const ROLES = { owner: 'safetynet_owner', batch: 'safetynet_batch', exporter: 'safetynet_exporter' } as const;
export type RoleKind = keyof typeof ROLES;

/** Where each role's password comes from; unset: a role without password (trust/peer on a local socket, or SET ROLE). */
export const PASSWORD_ENV: Record<RoleKind, string> = {
  owner: 'SAFETYNET_OWNER_PASSWORD',
  batch: 'SAFETYNET_BATCH_PASSWORD',
  exporter: 'SAFETYNET_EXPORTER_PASSWORD',
};

/** The transaction-local setting the row-security policies read (migrations/0003). */
export const REGION_SETTING = 'safetynet.region';

/**
 * Tables the exporter reads: the run ledger and the schema version. Households, scores, members
 * and what the card shows it reads only through the masked views of schema safetynet_export
 * (migration 0006), never the tables.
 */
const EXPORTER_TABLES = ['run', 'kysely_migration', 'kysely_migration_lock'];
/** The schema of masked views that exports and cards read (migration 0006). */
export const EXPORT_SCHEMA = 'safetynet_export';
/** The batch may read but not write these: the schema's bookkeeping, and an audit log written only through its functions. */
const BATCH_READ_ONLY = new Set(['kysely_migration', 'kysely_migration_lock', 'export_audit']);
/** Views of the schema the batch reads as it reads their tables: the scores with their explanations (migration 0026), the members (0027), the households (0028). */
const BATCH_VIEWS = ['household_score', 'member', 'household'];
/** Neither batch nor exporter touches these: who may export where is the owner's to say, and the key of person_key. */
const OWNER_ONLY = new Set(['export_scope', 'safetynet_secret']);
/**
 * The owner's functions only the batch may call: the run's ANALYZE on every server version
 * (migration 0005; not MAINTAIN, which is PostgreSQL 17+ only and would let the batch VACUUM,
 * CLUSTER and LOCK the tables too).
 */
const BATCH_FUNCTIONS = ['safetynet_analyze(text[])'];
/** The audited path: the only way to write export_audit, and to open the masked views (migration 0006). */
const AUDIT_FUNCTIONS = [
  'safetynet_audit_begin(text, text, text, text, jsonb, boolean, text)',
  'safetynet_audit_finish(bigint, integer, text, text)',
];

export interface RoleReport {
  role: string;
  created: boolean;
  /** 'set' from its environment variable, or 'none' (never the password itself) */
  password: 'set' | 'unchanged' | 'none';
}

/** SQLSTATEs of a concurrent CREATE ROLE / GRANT on the same catalog row: the other process did our work. */
const RACE = new Set(['42710', '23505']);
/** "tuple concurrently updated" (XX000) and serialization failures: try again. */
const RETRY = new Set(['XX000', '40001', '40P01']);

const code = (err: unknown) => (err as { code?: string })?.code ?? '';
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!RETRY.has(code(err)) || attempt >= 5) throw err;
      await sleep(50 * (attempt + 1));
    }
  }
}

/**
 * A SCRAM-SHA-256 verifier computed here, as psql's \password does: the server stores it as
 * given, so the password itself never travels in a statement that a server log could keep.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  // SASLprep is NFKC plus a few mappings; for the passwords people type the two agree
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export function passwordsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<RoleKind, string>> {
  const out: Partial<Record<RoleKind, string>> = {};
  for (const kind of Object.keys(ROLES) as RoleKind[]) {
    const value = env[PASSWORD_ENV[kind]];
    if (value) out[kind] = value;
  }
  return out;
}

const ATTRIBUTES = 'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls';

/**
 * Creates the three roles (cluster-wide) and the memberships that let a login switch to them.
 * Idempotent and race-safe: test files and containers starting together may all call it.
 */
export async function createRoles(
  db: Kysely<any>,
  opts: { passwords?: Partial<Record<RoleKind, string>>; log: Logger },
): Promise<RoleReport[]> {
  const reports: RoleReport[] = [];
  try {
    for (const kind of Object.keys(ROLES) as RoleKind[]) {
      const role = ROLES[kind];
      const password = opts.passwords?.[kind];
      const secret = password === undefined ? sql`` : sql` password ${sql.lit(scramVerifier(password))}`;
      let created = false;
      try {
        await sql`create role ${sql.raw(ident(role))} ${sql.raw(ATTRIBUTES)}${secret}`.execute(db);
        created = true;
      } catch (err) {
        if (!RACE.has(code(err))) throw err;
      }
      if (!created) {
        // an existing role is brought back to least privilege; a password given is a rotation
        const { rows } = await sql<{ ok: boolean }>`
          select not (rolsuper or rolcreatedb or rolcreaterole or rolreplication or rolbypassrls) and rolcanlogin as ok
          from pg_roles where rolname = ${role}`.execute(db);
        if (!rows[0]?.ok || password !== undefined) {
          await retrying(() => sql`alter role ${sql.raw(ident(role))} ${sql.raw(ATTRIBUTES)}${secret}`.execute(db));
        }
      }
      reports.push({ role, created, password: password !== undefined ? 'set' : created ? 'none' : 'unchanged' });
      opts.log.info({ role, created, password: password !== undefined ? `set from ${PASSWORD_ENV[kind]}` : 'not given' }, 'database role ready');
    }
    // a batch login writes the run's own list through the export chokepoint, as the exporter
    await grantMembership(db, ROLES.exporter, ROLES.batch);
    // a login that is not superuser (a managed server's admin) must be able to switch to the
    // owner (to hand it the tables, and for later migrations) and to the exporter (for exports)
    const { rows } = await sql<{ user: string; superuser: boolean }>`
      select session_user as user, rolsuper as superuser from pg_roles where rolname = session_user`.execute(db);
    const me = rows[0];
    if (me && !me.superuser && !(Object.values(ROLES) as string[]).includes(me.user)) {
      await grantMembership(db, ROLES.owner, me.user);
      await grantMembership(db, ROLES.exporter, me.user);
    }
  } catch (err) {
    if (code(err) === '42501') {
      throw new UsageError(
        `creating the database roles needs a superuser or a login with CREATEROLE: ${(err as Error).message}. ` +
          'Connect as one (DATABASE_URL), or have the DBA run `safetynet migrate --create-roles` (docs/privacy.md).',
        { cause: err },
      );
    }
    throw err;
  }
  return reports;
}

async function grantMembership(db: Kysely<any>, role: string, member: string): Promise<void> {
  // USAGE, not mere membership: from PostgreSQL 16 the creator of a role is a member with ADMIN
  // but neither INHERIT nor SET, which lets it grant the role and nothing more
  const { rows } = await sql<{ member: boolean }>`select pg_has_role(${member}, ${role}, 'USAGE') as member`.execute(db);
  if (rows[0]?.member) return;
  try {
    await retrying(() => sql`grant ${sql.raw(ident(role))} to ${sql.raw(ident(member))}`.execute(db));
  } catch (err) {
    if (!RACE.has(code(err))) throw err;
  }
}

/**
 * This database's part, run by the admin login after the migrations: the owner gets the tables,
 * PUBLIC loses CREATE on the schema and TEMP on the database (the exporter must not make
 * objects, even temporary ones), then the per-object grants.
 */
export async function grantRoles(db: Kysely<any>, log: Logger): Promise<void> {
  const { owner, batch, exporter } = ROLES;
  // two admins granting at once collide on the same catalog rows: the loser tries again
  await retrying(() => db.transaction().execute(async (trx) => {
    await sql`grant usage, create on schema public to ${sql.raw(ident(owner))}`.execute(trx);
    await sql`revoke create on schema public from public`.execute(trx);
    await sql`grant usage on schema public to ${sql.raw(ident(batch))}, ${sql.raw(ident(exporter))}`.execute(trx);
    const { rows: dbs } = await sql<{ name: string }>`select current_database() as name`.execute(trx);
    const database = sql.raw(ident(dbs[0]!.name));
    await sql`revoke temporary on database ${database} from public`.execute(trx);
    await sql`grant connect, temporary on database ${database} to ${sql.raw(ident(owner))}, ${sql.raw(ident(batch))}`.execute(trx);
    // the owner makes schemas too (safetynet_export's masked views, migration 0006)
    await sql`grant create on database ${database} to ${sql.raw(ident(owner))}`.execute(trx);
    await sql`grant connect on database ${database} to ${sql.raw(ident(exporter))}`.execute(trx);

    // the owner owns every table (their sequences follow) and the policy functions
    const { rows: tables } = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relowner <> to_regrole(${owner}) order by 1`.execute(trx);
    for (const t of tables) await sql`alter table ${sql.raw(ident(t.name))} owner to ${sql.raw(ident(owner))}`.execute(trx);
    const { rows: schema } = await sql<{ present: boolean }>`select to_regnamespace(${EXPORT_SCHEMA}) is not null as present`.execute(trx);
    if (schema[0]?.present) await sql`alter schema ${sql.raw(ident(EXPORT_SCHEMA))} owner to ${sql.raw(ident(owner))}`.execute(trx);
    const { rows: views } = await sql<{ name: string }>`
      select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', ${EXPORT_SCHEMA}) and c.relkind = 'v' and c.relowner <> to_regrole(${owner}) order by 1`.execute(trx);
    for (const v of views) await sql`alter view ${sql.raw(v.name)} owner to ${sql.raw(ident(owner))}`.execute(trx);
    const { rows: functions } = await sql<{ signature: string }>`
      select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname like 'safetynet\\_%' and p.proowner <> to_regrole(${owner})`.execute(trx);
    for (const f of functions) await sql`alter function ${sql.raw(f.signature)} owner to ${sql.raw(ident(owner))}`.execute(trx);
    // and the row types a stage is made like (roster_row, migration 0025)
    const { rows: types } = await sql<{ name: string }>`
      select format('%I.%I', n.nspname, t.typname) as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
      join pg_class c on c.oid = t.typrelid
      where n.nspname = 'public' and t.typtype = 'c' and c.relkind = 'c' and t.typowner <> to_regrole(${owner}) order by 1`.execute(trx);
    for (const t of types) await sql`alter type ${sql.raw(t.name)} owner to ${sql.raw(ident(owner))}`.execute(trx);
    await grantObjects(trx);
  }));
  log.info({ roles: Object.values(ROLES) }, 'database privileges granted; exports now go through row-level security');
}

/**
 * Exact privileges on every table of the schema: revoked, then granted, in the caller's
 * transaction. The owner can run it, so migrations that add tables re-run it (src/db/migrate.ts).
 */
export async function grantObjects(db: Kysely<any>): Promise<void> {
  const { batch, exporter } = ROLES;
  const B = sql.raw(ident(batch));
  const E = sql.raw(ident(exporter));
  const { rows: tables } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(db);
  await sql`revoke all on all tables in schema public from ${B}, ${E}`.execute(db);
  await sql`revoke all on all sequences in schema public from ${B}, ${E}`.execute(db);
  for (const { name } of tables) {
    const T = sql.raw(ident(name));
    if (OWNER_ONLY.has(name)) continue;
    if (BATCH_READ_ONLY.has(name)) await sql`grant select on ${T} to ${B}`.execute(db);
    else await sql`grant select, insert, update, delete on ${T} to ${B}`.execute(db);
  }
  for (const name of BATCH_VIEWS) {
    const { rows: view } = await sql<{ present: boolean }>`select to_regclass(${`public.${name}`}) is not null as present`.execute(db);
    if (view[0]?.present) await sql`grant select on ${sql.raw(ident(name))} to ${B}`.execute(db);
  }
  await sql`grant usage, select, update on all sequences in schema public to ${B}`.execute(db);
  for (const signature of BATCH_FUNCTIONS) {
    const { rows: fn } = await sql<{ present: boolean }>`select to_regprocedure(${signature}) is not null as present`.execute(db);
    if (fn[0]?.present) await sql`grant execute on function ${sql.raw(signature)} to ${B}`.execute(db);
  }
  const present = new Set(tables.map((t) => t.name));
  for (const name of EXPORTER_TABLES.filter((t) => present.has(t))) await sql`grant select on ${sql.raw(ident(name))} to ${E}`.execute(db);
  const { rows: schema } = await sql<{ present: boolean }>`select to_regnamespace(${EXPORT_SCHEMA}) is not null as present`.execute(db);
  if (schema[0]?.present) {
    const S = sql.raw(ident(EXPORT_SCHEMA));
    await sql`revoke all on all tables in schema ${S} from ${B}, ${E}`.execute(db);
    await sql`grant usage on schema ${S} to ${B}, ${E}`.execute(db);
    await sql`grant select on all tables in schema ${S} to ${B}, ${E}`.execute(db);
  }
  for (const signature of AUDIT_FUNCTIONS) {
    const { rows: fn } = await sql<{ present: boolean }>`select to_regprocedure(${signature}) is not null as present`.execute(db);
    if (fn[0]?.present) await sql`grant execute on function ${sql.raw(signature)} to ${B}, ${E}`.execute(db);
  }
}

/**
 * Row security is on for exports in this database when the exporter exists and was granted
 * the masked views here (`migrate --create-roles`): roles are cluster-wide, grants are per database.
 */
export async function rowSecurityActive(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ active: boolean }>`
    select case when to_regrole(${ROLES.exporter}) is null or to_regnamespace(${EXPORT_SCHEMA}) is null then false
                else has_schema_privilege(${ROLES.exporter}, ${EXPORT_SCHEMA}, 'USAGE') end as active`.execute(db);
  return rows[0]?.active === true;
}

/**
 * The export chokepoint's first statements, in the export's transaction: act as the exporter
 * and set the region scope the policies read (both end with the transaction). The scope can only
 * narrow what the login was granted (`safetynet access grant`; a trusted session's scope is the
 * one given here). Returns whether row security applies.
 */
export async function enterExportScope(db: Kysely<any>, scope: string | null): Promise<boolean> {
  if (!(await rowSecurityActive(db))) return false;
  const { rows } = await sql<{ exporter: boolean }>`select current_user = ${ROLES.exporter} as exporter`.execute(db);
  if (!rows[0]?.exporter) {
    try {
      await sql`set local role ${sql.raw(ident(ROLES.exporter))}`.execute(db);
    } catch (err) {
      if (code(err) === '42501') {
        throw new UsageError(
          `this database login may not act as ${ROLES.exporter}: run \`safetynet migrate --create-roles\` as an admin, or connect as ${ROLES.exporter}`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  // always set, even to nothing: a default scope left on the login must not widen the export
  await sql`select set_config(${REGION_SETTING}, ${scope ?? ''}, true)`.execute(db);
  return true;
}

/** Under row security, a scope asked for that the login was not granted is refused, not shown as an empty list. */
export async function requireScopeGranted(db: Kysely<any>, requested: string | null): Promise<string | null> {
  const seen = await effectiveScope(db);
  if (requested && seen === null) {
    const { rows } = await sql<{ login: string }>`select session_user as login`.execute(db);
    throw new UsageError(
      `region ${requested} is outside what the database login ${rows[0]?.login ?? ''} may see: ` +
        'ask the owner for a grant (safetynet access grant LOGIN --region CODE), or give a region inside yours',
    );
  }
  return seen;
}

/** The region this transaction may see (migration 0006): the login's grant narrowed by the setting; null is nothing. */
export async function effectiveScope(db: Kysely<any>): Promise<string | null> {
  const { rows } = await sql<{ scope: string | null }>`select safetynet_region_scope() as scope`.execute(db);
  return rows[0]?.scope ?? null;
}
