import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';

/**
 * Least privilege in the database: three roles, the same names in every database of a cluster
 * (roles are cluster-wide). None is superuser, none bypasses row-level security.
 *
 * - owner: owns the schema and runs migrations (DDL);
 * - batch: runs the monthly job: DML on the tables it fills, temp tables, ANALYZE (PostgreSQL 17+);
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

/** Tables the exporter reads whole: the list (household_score, household, run), the card (member) and the schema version. */
const EXPORTER_TABLES = ['household', 'household_score', 'member', 'run', 'identity_rescue_link', 'kysely_migration', 'kysely_migration_lock'];
/**
 * Per-household tables an export reads that came after migration 0003: granted only once a
 * migration has put them under row security, never open to every street meanwhile.
 */
const EXPORTER_TABLES_WHEN_SECURED = ['urgent_warning'];
/** Of the raw extracts only what the card shows: categories and grades, never names or dates. */
const EXPORTER_COLUMNS: Record<string, string[]> = {
  disability: ['period', 'id18', 'disability_type', 'disability_grade'],
  diagnosis: ['period', 'id18', 'category', 'diagnosis_code'],
};
/** The batch may read but not write these: the schema's bookkeeping, and an audit log that is append-only. */
const BATCH_READ_ONLY = new Set(['kysely_migration', 'kysely_migration_lock']);
const APPEND_ONLY = new Set(['export_audit']);

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
    await sql`grant connect on database ${database} to ${sql.raw(ident(exporter))}`.execute(trx);

    // the owner owns every table (their sequences follow) and the policy functions
    const { rows: tables } = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relowner <> to_regrole(${owner}) order by 1`.execute(trx);
    for (const t of tables) await sql`alter table ${sql.raw(ident(t.name))} owner to ${sql.raw(ident(owner))}`.execute(trx);
    const { rows: views } = await sql<{ name: string }>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'v' and c.relowner <> to_regrole(${owner}) order by 1`.execute(trx);
    for (const v of views) await sql`alter view ${sql.raw(ident(v.name))} owner to ${sql.raw(ident(owner))}`.execute(trx);
    const { rows: functions } = await sql<{ signature: string }>`
      select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname like 'safetynet\\_%' and p.proowner <> to_regrole(${owner})`.execute(trx);
    for (const f of functions) await sql`alter function ${sql.raw(f.signature)} owner to ${sql.raw(ident(owner))}`.execute(trx);
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
  const { rows: version } = await sql<{ v: number }>`select current_setting('server_version_num')::int as v`.execute(db);
  // ANALYZE by a non-owner needs MAINTAIN, which exists from PostgreSQL 17; before, the run's
  // ANALYZE of these tables only warns and skips (docs/privacy.md says what that costs)
  const maintain = version[0]!.v >= 170000;
  await sql`revoke all on all tables in schema public from ${B}, ${E}`.execute(db);
  await sql`revoke all on all sequences in schema public from ${B}, ${E}`.execute(db);
  for (const { name } of tables) {
    const T = sql.raw(ident(name));
    if (BATCH_READ_ONLY.has(name)) await sql`grant select on ${T} to ${B}`.execute(db);
    else if (APPEND_ONLY.has(name)) await sql`grant select, insert on ${T} to ${B}`.execute(db);
    else await sql`grant select, insert, update, delete${sql.raw(maintain ? ', maintain' : '')} on ${T} to ${B}`.execute(db);
  }
  await sql`grant usage, select, update on all sequences in schema public to ${B}`.execute(db);
  const { rows: views } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'v'`.execute(db);
  const { rows: secured } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relrowsecurity and c.relforcerowsecurity`.execute(db);
  const present = new Set([...tables, ...views].map((t) => t.name));
  const readable = [...EXPORTER_TABLES.filter((t) => present.has(t)), ...EXPORTER_TABLES_WHEN_SECURED.filter((t) => secured.some((x) => x.name === t))];
  for (const name of readable) await sql`grant select on ${sql.raw(ident(name))} to ${E}`.execute(db);
  for (const [name, columns] of Object.entries(EXPORTER_COLUMNS).filter(([t]) => present.has(t))) {
    await sql`grant select (${sql.raw(columns.map(ident).join(', '))}) on ${sql.raw(ident(name))} to ${E}`.execute(db);
  }
  // the exporter writes its audit line but cannot read the log of others' exports
  await sql`grant insert on export_audit to ${E}`.execute(db);
  await sql`grant usage on sequence export_audit_audit_id_seq to ${E}`.execute(db);
}

/**
 * Row security is on for exports in this database when the exporter exists and was granted
 * the list here (`migrate --create-roles`): roles are cluster-wide, grants are per database.
 */
export async function rowSecurityActive(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ active: boolean }>`
    select case when to_regrole(${ROLES.exporter}) is null then false
                else has_table_privilege(${ROLES.exporter}, 'household_score', 'SELECT') end as active`.execute(db);
  return rows[0]?.active === true;
}

/**
 * The export chokepoint's first statements, in the export's transaction: act as the exporter
 * and set the region scope the policies read (both end with the transaction). With no scope
 * the policies return no household at all. Returns whether row security applies.
 */
export async function enterExportScope(db: Kysely<any>, scope: string | null): Promise<boolean> {
  if (!(await rowSecurityActive(db))) return false;
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
  // always set, even to nothing: a default scope left on the login must not widen the export
  await sql`select set_config(${REGION_SETTING}, ${scope ?? ''}, true)`.execute(db);
  return true;
}
