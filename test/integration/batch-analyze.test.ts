import { join } from 'node:path';
import { partitionOf } from '../../src/db/period-partitions.js';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import * as m0005 from '../../migrations/0005-batch-analyze.js';
import { parseConfig } from '../../src/config/load-config.js';
import { analyzeTables } from '../../src/db/analyze-tables.js';
import { kyselyFor, type DatabaseHandle } from '../../src/db/connect.js';
import { createRoles, grantRoles, ROLES } from '../../src/db/roles.js';
import { withTransaction } from '../../src/db/transaction.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The monthly run as the batch login gets planner statistics for the tables it filled on every
 * server version (this file also runs on Debian's PostgreSQL: the system-pg project): before 17
 * only a table's owner may ANALYZE it, so the run asks safetynet_analyze, the owner's function,
 * which analyses Safetynet's period tables and nothing else. Without statistics the month's facts
 * query plans for the previous month and runs for hours; what is checked here is that the
 * statistics exist, not how long a run takes.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const PERIOD = '2026-10';
// a table partitioned by period (migration 0018) is analysed in its period's partition
// and the versions of the roster (migration 0025), the households (0028), the diagnoses (0032) and the certificates (0037), and the members outside the roster (0027), whole
const ANALYZED = ['disability_version', 'diagnosis_version', 'claim', 'roster_version', 'household_version', 'member_row', 'audit_frame', 'audit_sample', 'household_asset_check', ...(['scored_household'] as const).map((t) => partitionOf(t, PERIOD))];
// roles are cluster-wide: the password test/integration/row-security.test.ts gives the batch too
const BATCH_PASSWORD = 'row-security-test-batch';

const test = useTestDatabase();
let batch: DatabaseHandle;
const warnings: { msg: string; tables?: string[] }[] = [];
const warnLog = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });

function loginAs(user: string, password: string): DatabaseHandle {
  const url = new URL(test.url);
  url.username = user;
  url.password = password;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const db = kyselyFor(pool);
  return { pool, db, description: `${user} login`, close: () => db.destroy() };
}

interface TableStats {
  table: string;
  analyzed: boolean;
  reltuples: number;
  columns: number;
}

/**
 * What the planner knows of each table: whether a manual ANALYZE ran (autovacuum's count as
 * last_autoanalyze) and the row estimate, read by the batch login itself; the column statistics
 * from pg_statistic, which only a superuser reads (pg_stats hides tables under row security).
 */
async function statistics(tables: string[]): Promise<TableStats[]> {
  const { rows } = await batch.pool.query<Omit<TableStats, 'columns'>>(
    `select c.relname as table, s.last_analyze is not null as analyzed, c.reltuples::float8 as reltuples
     from pg_class c join pg_stat_user_tables s on s.relid = c.oid
     where c.relnamespace = 'public'::regnamespace and c.relname = any($1) order by 1`,
    [tables],
  );
  const { rows: columns } = await test.handle.pool.query<{ table: string; columns: number }>(
    `select c.relname as table, (select count(*)::int from pg_statistic s where s.starelid = c.oid) as columns
     from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname = any($1)`,
    [tables],
  );
  return rows.map((r) => ({ ...r, columns: columns.find((c) => c.table === r.table)?.columns ?? 0 }));
}

beforeAll(async () => {
  await createRoles(test.handle.db, { passwords: { batch: BATCH_PASSWORD }, log: silentLog });
  await grantRoles(test.handle.db, silentLog);
  batch = loginAs(ROLES.batch, BATCH_PASSWORD);
});

afterAll(async () => {
  await batch?.close();
});

describe('the run as the batch login', () => {
  it('leaves statistics on every table it filled, on this server version too', async () => {
    // cloned from the migrated template: nothing analysed yet
    expect((await statistics(ANALYZED)).filter((s) => s.analyzed)).toEqual([]);
    await runPeriod({ database: batch, config: parseConfig(undefined), log: warnLog }, { inbox: INBOX, period: PERIOD });
    const stats = await statistics(ANALYZED);
    expect(stats.map((s) => s.table)).toEqual([...ANALYZED].sort());
    for (const s of stats) {
      expect(s, s.table).toMatchObject({ analyzed: true });
      expect(s.reltuples, s.table).toBeGreaterThan(0);
      expect(s.columns, s.table).toBeGreaterThan(0);
    }
    expect(warnings.filter((w) => /ANALYZE/.test(w.msg))).toEqual([]);
  });

  it('may not use the function on any table but the period tables, nor ANALYZE through it by name tricks', async () => {
    for (const tables of [['export_audit'], ['kysely_migration'], ['pg_authid'], ['public.household_version'], ['"household_version"'], ['household_version', 'run'], [null]]) {
      await expect(batch.pool.query('select safetynet_analyze($1::text[])', [tables]), JSON.stringify(tables)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/^safetynet_analyze analyses only Safetynet's period tables, not /),
      });
    }
    // a refused call analyses nothing, not even the allowed names before the refused one
    const before = await batch.pool.query(`select coalesce(analyze_count, 0)::int as n from pg_stat_user_tables where relname = 'household_version'`);
    await expect(batch.pool.query(`select safetynet_analyze(array['household_version', 'export_audit'])`)).rejects.toMatchObject({ code: '42501' });
    const after = await batch.pool.query(`select coalesce(analyze_count, 0)::int as n from pg_stat_user_tables where relname = 'household_version'`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('the function is the owner\'s, runs as its owner with a fixed search_path, and only the batch (and owner) may call it', async () => {
    expect(await theFunction()).toEqual(OWNED_AND_GRANTED);
  });
});

const OWNED_AND_GRANTED = { owner: ROLES.owner, definer: true, config: ['search_path=pg_catalog, public'], batch: true, exporter: false, public: false };

async function theFunction() {
  const { rows } = await test.handle.pool.query(`
    select pg_get_userbyid(p.proowner) as owner, p.prosecdef as definer, p.proconfig as config,
           has_function_privilege($1, p.oid, 'EXECUTE') as batch, has_function_privilege($2, p.oid, 'EXECUTE') as exporter,
           has_function_privilege('public', p.oid, 'EXECUTE') as public
    from pg_proc p where p.oid = 'safetynet_analyze(text[])'::regprocedure`, [ROLES.batch, ROLES.exporter]);
  return rows[0];
}

describe('migration 0005 in a database already set up by `migrate --create-roles`', () => {
  it('run as the owner (src/db/migrate.ts), lets the batch call the function at once', async () => {
    await m0005.down(test.handle.db as Kysely<any>);
    await test.handle.db.connection().execute(async (conn) => {
      await sql`set role ${sql.raw(ROLES.owner)}`.execute(conn);
      try {
        await m0005.up(conn as Kysely<any>);
      } finally {
        await sql`reset role`.execute(conn);
      }
    });
    expect(await theFunction()).toEqual(OWNED_AND_GRANTED);
  });
});

describe('an ANALYZE that cannot run', () => {
  it('is a warning naming the tables, when the function\'s owner does not own them', async () => {
    // a table handed to another role by hand: the owner's function may not analyse it
    await test.handle.pool.query(`alter table claim owner to current_user`);
    warnings.length = 0;
    try {
      await withTransaction(batch.pool, (tx) => analyzeTables(tx, ['claim', 'disability'], warnLog));
    } finally {
      await test.handle.pool.query(`alter table claim owner to ${ROLES.owner}`);
    }
    expect(warnings).toEqual([expect.objectContaining({ tables: ['claim'], msg: expect.stringMatching(/^ANALYZE could not run on these tables.*migrate --create-roles/) })]);
  });

  it('is a warning, and the run\'s transaction goes on, for a login that may not call the function', async () => {
    warnings.length = 0;
    const rows = await withTransaction(test.handle.pool, async (tx) => {
      await tx.client.query(`set local role ${ROLES.exporter}`);
      await analyzeTables(tx, ['household'], warnLog);
      return (await tx.client.query('select 1 as one')).rows;
    });
    expect(rows).toEqual([{ one: 1 }]);
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^ANALYZE could not run, so the planner keeps/) })]);
  });
});
