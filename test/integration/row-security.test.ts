import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { personRowSecurity } from '../../migrations/0027-members-from-roster-versions.js';
import { migrations } from '../../migrations/index.js';
import { explainCommand } from '../../src/commands/explain.js';
import { parseConfig } from '../../src/config/load-config.js';
import { kyselyFor, openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createRoles, grantRoles, ROLES, rowSecurityActive, scramVerifier } from '../../src/db/roles.js';
import { DatabaseUnavailable, UsageError } from '../../src/errors.js';
import { auditedExport } from '../../src/export/audited-export.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { maskAddress } from '../../src/identity/id-number.js';
import { cli, ROOT } from '../helpers/cli.js';
import { createDatabase, dropDatabase, silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * Least privilege and row-level security on a real PostgreSQL: the roles of `migrate
 * --create-roles`, the monthly run as the batch login, and exports and household cards that
 * never show another street's households, nor any household when no street is set.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const STREET_A = '420106001';
const STREET_B = '420106002';
// the same on every run and in every test file: roles are cluster-wide
const BATCH_PASSWORD = 'row-security-test-batch';

const test = useTestDatabase();
let batch: DatabaseHandle;
const batchNotices: string[] = [];
let serverVersion = 0;

function urlAs(user: string, password: string): string {
  const url = new URL(test.url);
  url.username = user;
  url.password = password;
  return url.toString();
}

/** A batch login of its own, its notices kept (an ANALYZE it may not run only warns). */
function batchHandle(): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: urlAs(ROLES.batch, BATCH_PASSWORD), max: 2 });
  pool.on('connect', (client) => client.on('notice', (n) => batchNotices.push(n.message ?? '')));
  const db = kyselyFor(pool);
  return { pool, db, description: 'batch login', close: () => db.destroy() };
}

beforeAll(async () => {
  await createRoles(test.handle.db, { passwords: { batch: BATCH_PASSWORD }, log: silentLog });
  await grantRoles(test.handle.db, silentLog);
  batch = batchHandle();
  const { rows } = await test.handle.pool.query<{ v: number }>(`select current_setting('server_version_num')::int as v`);
  serverVersion = rows[0]!.v;
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: batch, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

afterAll(async () => {
  await batch?.close();
});

/** One transaction as `role` (SET ROLE from the test's superuser login), with the region scope set. */
async function as<T>(role: string, scope: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: test.url });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`set local role ${role}`);
    if (scope !== null) await c.query(`select set_config('safetynet.region', $1, true)`, [scope]);
    return await fn(c);
  } finally {
    await c.query('rollback').catch(() => {});
    await c.end();
  }
}

const exporterRun = (scope: string | null, statement: string) => as(ROLES.exporter, scope, (c) => c.query(statement));

async function csvExport(scope: string | null, region?: string): Promise<{ rows: number; regions: string[]; ids: string[] }> {
  const file = join(await mkdtemp(join(tmpdir(), 'safetynet-rls-')), 'list.csv');
  const result = await auditedExport(test.handle.pool, { period: '2026-10', all: true, region }, { operator: 'test', format: 'csv', scope }, file, writeWarningList, silentLog);
  const lines = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '').trim().split('\r\n').slice(1);
  return { rows: result.rows, regions: lines.map((l) => l.split(',')[2]!), ids: lines.map((l) => l.split(',')[1]!) };
}

/** What the district holds, counted by the superuser that bypasses row security. */
async function householdsIn(prefix: string): Promise<string[]> {
  const { rows } = await test.handle.pool.query<{ household_id: string }>(
    `select household_id from household where period = '2026-10' and region_code like $1 || '%' order by 1`,
    [prefix],
  );
  return rows.map((r) => r.household_id);
}

describe('the roles', () => {
  it('are neither superuser nor exempt from row security, and cannot make roles or databases', async () => {
    const { rows } = await test.handle.pool.query(
      `select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication from pg_roles where rolname = any($1) order by 1`,
      [Object.values(ROLES)],
    );
    expect(rows.map((r) => r.rolname)).toEqual([ROLES.batch, ROLES.exporter, ROLES.owner]);
    for (const r of rows) expect(r).toMatchObject({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false });
  });

  it('are created idempotently, also by several processes at once', async () => {
    const handles = await Promise.all([0, 1, 2, 3].map(() => openDatabase({ databaseUrl: test.url, home: '', log: silentLog })));
    try {
      const reports = await Promise.all(handles.map((h) => createRoles(h.db, { log: silentLog })));
      for (const r of reports) expect(r.map((x) => x.created)).toEqual([false, false, false]);
      await grantRoles(handles[0]!.db, silentLog); // twice is the same as once
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    expect(await rowSecurityActive(test.handle.db)).toBe(true);
  });

  it('are created by `safetynet migrate --create-roles`, which never prints a password', async () => {
    const r = await cli(['migrate', '--create-roles'], { DATABASE_URL: test.url, SAFETYNET_BATCH_PASSWORD: BATCH_PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('schema is up to date\n');
    expect(r.stdout).toContain(`role ${ROLES.batch}: already there, password set from SAFETYNET_BATCH_PASSWORD\n`);
    expect(r.stdout).toContain(`role ${ROLES.exporter}: already there, password unchanged\n`);
    expect(r.stdout).toContain(`read as ${ROLES.exporter} under row-level security by region`);
    expect(r.stdout + r.stderr).not.toContain(BATCH_PASSWORD);
    // the batch still logs in with it
    expect((await batch.pool.query('select current_user as u')).rows[0].u).toBe(ROLES.batch);
  });

  it('store a SCRAM verifier computed by the client, never the password', async () => {
    const { rows } = await test.handle.pool.query(`select rolpassword from pg_authid where rolname = $1`, [ROLES.batch]);
    expect(rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(rows[0].rolpassword).not.toContain(BATCH_PASSWORD);
    // the RFC 7677 test vector: user "user", password "pencil"
    expect(scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'))).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });
});

describe('the batch login', () => {
  it('ran both periods and saw every household, not only a street', async () => {
    const { rows } = await batch.pool.query(`select count(*)::int as n, count(distinct left(region_code, 9))::int as streets from household where period = '2026-10'`);
    expect(rows[0]).toEqual({ n: 59, streets: 4 });
    const all = await test.handle.pool.query(`select count(*)::int as n from household_score where period = '2026-10'`);
    expect(all.rows[0].n).toBe(59);
  });

  it('could ANALYZE the tables it filled on every server version (safetynet_analyze), so the planner had statistics', () => {
    const skipped = batchNotices.filter((n) => /permission denied to analyze|only table or database owner can analyze/.test(n));
    expect(skipped, `server_version_num ${serverVersion}`).toEqual([]);
  });

  it('opens a migrated database without DDL rights (nothing pending, nothing done)', async () => {
    expect(await migrateToLatest(batch.db, silentLog)).toEqual({ applied: [] });
  });

  it('stops with exit code 5 and what to do when a migration is pending, changing nothing', async () => {
    const { rows } = await test.handle.pool.query(`select name, timestamp from kysely_migration order by name desc limit 1`);
    await test.handle.pool.query(`delete from kysely_migration where name = $1`, [rows[0].name]);
    try {
      const attempt = migrateToLatest(batch.db, silentLog);
      await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailable);
      await expect(attempt).rejects.toThrow(/needs migrating and this login may not change it .*run `safetynet migrate` as safetynet_owner or an admin/);
    } finally {
      await test.handle.pool.query(`insert into kysely_migration (name, timestamp) values ($1, $2)`, [rows[0].name, rows[0].timestamp]);
    }
  });

  it('cannot create or alter tables, nor rewrite the export audit log', async () => {
    await expect(batch.pool.query('create table intruder (a int)')).rejects.toMatchObject({ code: '42501' });
    await expect(batch.pool.query('alter table household add column note text')).rejects.toMatchObject({ code: '42501' });
    await expect(batch.pool.query('drop table claim')).rejects.toMatchObject({ code: '42501' });
    await expect(batch.pool.query(`update export_audit set operator = 'someone else'`)).rejects.toMatchObject({ code: '42501' });
    await expect(batch.pool.query('delete from export_audit')).rejects.toMatchObject({ code: '42501' });
  });
});

describe('exports under row security', () => {
  it('an export for street A lists every household of A and none of another street', async () => {
    const expected = await householdsIn(STREET_A);
    const list = await csvExport(STREET_A);
    expect(list.rows).toBe(expected.length);
    expect([...list.ids].sort()).toEqual(expected);
    expect(list.regions.every((r) => r.startsWith(STREET_A))).toBe(true);
    const b = await householdsIn(STREET_B);
    expect(b.length).toBeGreaterThan(0);
    expect(list.ids.some((id) => b.includes(id))).toBe(false);
  });

  it('--region narrows within the street, and may not leave it', async () => {
    const community = `${STREET_A}001`;
    const list = await csvExport(STREET_A, community);
    expect(list.rows).toBe((await householdsIn(community)).length);
    expect(list.regions.every((r) => r === community)).toBe(true);
    await expect(csvExport(STREET_A, STREET_B)).rejects.toThrow(UsageError);
  });

  it('with no street set, shows no household at all rather than every household', async () => {
    const list = await csvExport(null);
    expect(list.rows).toBe(0);
    expect(list.ids).toEqual([]);
    const audit = await test.handle.pool.query(`select rows, filters from export_audit order by audit_id desc limit 1`);
    expect(audit.rows[0]).toMatchObject({ rows: 0, filters: { row_security: true, scope: null } });
  });

  it("shows address and phone in clear on a street's own list (no --region needed), masked on a district-wide one", async () => {
    const contacts = async (scope: string) => {
      const file = join(await mkdtemp(join(tmpdir(), 'safetynet-rls-')), 'list.csv');
      await auditedExport(test.handle.pool, { period: '2026-10' }, { operator: 'test', format: 'csv', scope }, file, writeWarningList, silentLog);
      return parse(await readFile(file, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    };
    const { rows } = await test.handle.pool.query<{ household_id: string; address: string; phone: string }>(
      `select household_id, address, phone from household where period = '2026-10' and address is not null and phone is not null`,
    );
    const roster = new Map(rows.map((r) => [r.household_id, r]));
    const street = (await contacts(STREET_A)).filter((r) => roster.has(r.household_id!));
    expect(street.length).toBeGreaterThan(0);
    for (const r of street) expect({ address: r.address, phone: r.phone }).toEqual({ address: roster.get(r.household_id!)!.address, phone: roster.get(r.household_id!)!.phone });
    const district = (await contacts('420106')).filter((r) => roster.has(r.household_id!));
    expect(district.length).toBeGreaterThan(street.length);
    for (const r of district) {
      expect(r.address).toBe(maskAddress(roster.get(r.household_id!)!.address));
      expect(r.phone).toMatch(/^\d{3}\*+\d{4}$/);
    }
  });

  it('holds through the CLI: SAFETYNET_REGION is the scope, another street is refused (exit 2)', async () => {
    const r = await cli(['export', '--period', '2026-10', '--all', '--out', '-'], { DATABASE_URL: test.url, SAFETYNET_REGION: STREET_B });
    expect(r.code).toBe(0);
    const regions = r.stdout.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(',')[2]!);
    expect(regions.length).toBe((await householdsIn(STREET_B)).length);
    expect(regions.every((x) => x.startsWith(STREET_B))).toBe(true);
    const outside = await cli(['export', '--period', '2026-10', '--region', STREET_A, '--out', '-'], { DATABASE_URL: test.url, SAFETYNET_REGION: STREET_B });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(`--region ${STREET_A} is outside the region this operator may export (${STREET_B}`);
    expect(outside.stdout).toBe('');
  });

  it('the household card of another street does not exist for the operator', async () => {
    const [inB] = await householdsIn(STREET_B);
    const [inA] = await householdsIn(STREET_A);
    const chunks: string[] = [];
    const out = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
    await explainCommand({ databaseUrl: test.url, householdId: inA!, period: '2026-10', region: STREET_A, json: true }, silentLog, out);
    expect(JSON.parse(chunks.join(''))).toMatchObject({ household_id: inA, region_code: expect.stringMatching(new RegExp(`^${STREET_A}`)) });
    await expect(explainCommand({ databaseUrl: test.url, householdId: inB!, period: '2026-10', region: STREET_A }, silentLog, out)).rejects.toThrow(
      `no household ${inB} was scored in 2026-10, or it is outside the region scope ${STREET_A}`,
    );
  });
});

describe('the exporter role in plain SQL, acting for a trusted session (SET ROLE)', () => {
  // what the CLI does on the embedded server: the superuser's own scope, through the masked views
  const VIEWS = ['household', 'household_score', 'member', 'disability', 'diagnosis', 'identity_rescue_link'].map((v) => `safetynet_export.${v}`);
  const count = (view: string) => `select count(*)::int as n from ${view}`;

  it('with street A set sees street A only, in every view the list and the card read', async () => {
    await as(ROLES.exporter, STREET_A, async (c) => {
      const streets = await c.query(`select distinct left(region_code, 9) as s from safetynet_export.household`);
      expect(streets.rows.map((r) => r.s)).toEqual([STREET_A]);
      const scores = await c.query(`select count(*)::int as n from safetynet_export.household_score where period = '2026-10'`);
      expect(scores.rows[0].n).toBe((await householdsIn(STREET_A)).length);
      const [inB] = await householdsIn(STREET_B);
      for (const view of ['household', 'household_score', 'member']) {
        const r = await c.query(`select count(*)::int as n from safetynet_export.${view} where household_id = $1`, [inB]);
        expect(r.rows[0].n, view).toBe(0);
      }
    });
    const superuser = await test.handle.pool.query(`select count(*)::int as n from disability d join member m using (period, id18) join household h using (period, household_id) where h.region_code like $1 || '%'`, [STREET_A]);
    const seen = await as(ROLES.exporter, STREET_A, (c) => c.query(`select count(*)::int as n from safetynet_export.disability`));
    expect(seen.rows[0].n).toBe(superuser.rows[0].n);
  });

  it('sees the identity-rescue lines of street A people only, through the view, never the table', async () => {
    const person = async (street: string) =>
      (await test.handle.pool.query(`select m.id18 from member m join household h using (period, household_id) where m.period = '2026-10' and h.region_code like $1 || '%' limit 1`, [street])).rows[0].id18 as string;
    const [a, b] = [await person(STREET_A), await person(STREET_B)];
    // a row is shown where the person is a member of the street in one of the twelve periods its
    // card covers, from the row's own: 2025-11 reaches 2026-10, 2025-09 ends at 2026-08 (none loaded)
    for (const [line, id18, period] of [[9001, a, '2026-10'], [9002, b, '2026-10'], [9003, a, '2025-11'], [9004, a, '2025-09']] as const) {
      await test.handle.pool.query(
        `insert into identity_rescue (period, source, line, outcome, sent_number, sent_name, id18, confidence, difference, reason, reason_zh)
         values ($3, 'medical-insurance', $1, 'rescued', 'sent', 'name', $2, 0.9, 'substitution', 'test', 'test')`,
        [line, id18, period],
      );
    }
    try {
      const seen = await as(ROLES.exporter, STREET_A, (c) => c.query(`select line from safetynet_export.identity_rescue_link where line > 9000 order by line`));
      expect(seen.rows).toEqual([{ line: 9001 }, { line: 9003 }]);
      await expect(exporterRun(STREET_A, 'select sent_number from identity_rescue')).rejects.toMatchObject({ code: '42501' });
      await expect(exporterRun(STREET_A, 'select id18 from identity_rescue_link')).rejects.toMatchObject({ code: '42501' });
      const all = await as(ROLES.batch, null, (c) => c.query(`select count(*)::int as n from safetynet_export.identity_rescue_link where line > 9000`));
      expect(all.rows[0].n).toBe(4);
    } finally {
      await test.handle.pool.query(`delete from identity_rescue where line > 9000`);
    }
  });

  it('with no scope, an empty one or a pattern sees nothing', async () => {
    for (const scope of [null, '', '%', '4201%', '42010600100', 'x']) {
      for (const view of VIEWS) {
        const r = await exporterRun(scope, count(view));
        expect(r.rows[0].n, `${view} with scope ${JSON.stringify(scope)}`).toBe(0);
      }
    }
  });

  it('cannot read any table with personal data, only the masked views', async () => {
    for (const table of [
      'household', 'household_version', 'household_row', 'household_period', 'household_score', 'scored_household', 'score_explanation', 'score_reason', 'score_template', 'signal_set', 'member', 'member_row', 'disability', 'disability_version', 'disability_period', 'diagnosis', 'identity_rescue_link', 'urgent_warning',
      'roster_version', 'roster_period', 'diagnosis_version', 'diagnosis_period', 'human_resources', 'human_resources_version', 'human_resources_period',
      'verification', 'verification_version', 'verification_period', 'enrolment', 'enrolment_version', 'enrolment_period', 'claim', 'daily_claim', 'visit', 'rejected_row', 'quality_issue', 'source_load', 'identity_rescue',
      'identity_decision', 'dibao_standard', 'export_audit', 'export_scope', 'safetynet_secret',
    ]) {
      await expect(exporterRun(STREET_A, `select 1 from public.${table} limit 1`), table).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('cannot change scores or households, nor create anything (not even a temp table)', async () => {
    for (const statement of [
      `update scored_household set total = 0`,
      `delete from score_explanation`,
      `delete from score_reason`,
      `delete from score_template`,
      `delete from signal_set`,
      `delete from household_version`,
      `insert into member_row (period, household_id, id18, name, relation, birth_date, sex) values ('2026-10', 'X', 'x', 'x', 'head', '2000-01-01', 'm')`,
      `delete from roster_version`,
      'create table intruder (a int)',
      'create temp table intruder (a int)',
      'alter table household_version disable row level security',
      'drop policy safetynet_exporter_scope on household_version',
      'truncate scored_household',
      `insert into export_scope (login, region_prefix) values (current_user, '420106')`,
      // which claim version supersedes which is the batch's to say (migration 0030)
      `update claim set superseded_by = null`,
    ]) {
      await expect(exporterRun(STREET_A, statement), statement).rejects.toMatchObject({ code: '42501' });
    }
    // the masked views of the households are not writable at all: the households are versions
    // and rows under one view (migration 0028), which PostgreSQL cannot write through
    await expect(exporterRun(STREET_A, `delete from safetynet_export.household`)).rejects.toThrow(/cannot delete from view "household"/);
  });

  it('cannot write the export audit log except through the audited functions, nor read it', async () => {
    await expect(exporterRun(STREET_A, `insert into export_audit (operator, period, format, filters, masked, rows, sha256, file) values ('t', '2026-10', 'csv', '{}', true, 0, 'x', '-')`)).rejects.toMatchObject({ code: '42501' });
    await expect(batch.pool.query(`insert into export_audit (operator, period, format, filters, masked, rows, sha256, file) values ('forged', '2026-10', 'csv', '{}', true, 0, 'x', '-')`)).rejects.toMatchObject({ code: '42501' });
    await as(ROLES.exporter, STREET_A, async (c) => {
      await expect(c.query('select count(*) from export_audit')).rejects.toMatchObject({ code: '42501' });
    });
  });
});

describe('an exporter login of its own (one person, one street)', () => {
  // what the probe did: a login that is only a member of safetynet_exporter, in psql
  const LOGIN = 'safetynet_test_street_a';
  const PASSWORD = 'row-security-test-street-a';
  let granted = false;

  beforeAll(async () => {
    await test.handle.pool.query(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = '${LOGIN}') then create role ${LOGIN} login; end if; end $$`).catch((err) => {
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42710') throw err;
    });
    await test.handle.pool.query(`alter role ${LOGIN} login password '${scramVerifier(PASSWORD)}'`);
    await test.handle.pool.query(`grant ${ROLES.exporter} to ${LOGIN}`).catch(() => {});
    const r = await cli(['access', 'grant', LOGIN, '--region', STREET_A, '--note', 'street A worker'], { DATABASE_URL: test.url });
    expect(r.code, r.stderr).toBe(0);
    granted = true;
  });

  /** One transaction as the login itself, with whatever it chooses to set. */
  async function asLogin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: urlAs(LOGIN, PASSWORD) });
    await c.connect();
    try {
      await c.query('begin');
      return await fn(c);
    } finally {
      await c.query('rollback').catch(() => {});
      await c.end();
    }
  }

  it('is listed by `safetynet access list`', async () => {
    expect(granted).toBe(true);
    const r = await cli(['access', 'list'], { DATABASE_URL: test.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${LOGIN}\\s+${STREET_A}\\s+granted by`));
  });

  it('sees its street whatever scope it sets: the district, another street, nothing', async () => {
    const own = await householdsIn(STREET_A);
    for (const [setting, expected] of [[null, own], ['420106', own], [`${STREET_A}001`, await householdsIn(`${STREET_A}001`)], [STREET_B, []], ['%', own]] as const) {
      const seen = await asLogin(async (c) => {
        if (setting !== null) await c.query(`set safetynet.region = '${setting}'`);
        return (await c.query(`select household_id from safetynet_export.household where period = '2026-10' order by 1`)).rows.map((r) => r.household_id);
      });
      expect(seen, `safetynet.region = ${setting}`).toEqual(expected);
    }
  });

  it('reads names, ID numbers, birth dates, addresses, phones and diagnosis codes masked', async () => {
    await asLogin(async (c) => {
      const members = await c.query(`select id18, name, birth_date, age from safetynet_export.member where period = '2026-10'`);
      expect(members.rows.length).toBeGreaterThan(0);
      for (const m of members.rows) {
        expect(m.id18).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
        expect([...m.name].length).toBe(2);
        expect(m.name.endsWith('*')).toBe(true);
        expect(m.birth_date).toBeNull();
        expect(m.age).toBeGreaterThanOrEqual(0);
      }
      const heads = await c.query(`select household_id, head_id18, head_name, address, phone from safetynet_export.household where period = '2026-10' order by 1`);
      for (const h of heads.rows) expect(h.head_id18).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
      // address and phone are for the visit: in clear for the street's own staff
      const truth = await test.handle.pool.query(`select household_id, address, phone from household where period = '2026-10' and region_code like $1 || '%' order by 1`, [STREET_A]);
      expect(heads.rows.map((h) => [h.household_id, h.address, h.phone])).toEqual(truth.rows.map((h) => [h.household_id, h.address, h.phone]));
      expect(truth.rows.some((h) => h.phone)).toBe(true);
      const codes = await c.query(`select count(*) filter (where diagnosis_code is not null)::int as n from safetynet_export.diagnosis`);
      expect(codes.rows[0].n).toBe(0);
      await expect(c.query('select * from public.member limit 1')).rejects.toMatchObject({ code: '42501' });
    });
  });

  it("shows a function of its own in a condition only its street's rows, and their names and ID numbers masked", async () => {
    // the views filter nothing (no security barrier since migration 0021): the tables' policies
    // choose the rows before any condition that is not leakproof, the select list masks the values
    await test.handle.pool.query(`
      create or replace function public.safetynet_test_leak(text) returns boolean language plpgsql cost 0.0001 as $$
      begin raise notice 'saw %', $1; return true; end $$;
      grant execute on function public.safetynet_test_leak(text) to public;
      -- strict, as a cast or ->> is: a condition the planner may move below an outer join
      create or replace function public.safetynet_test_leak_strict(text) returns boolean language plpgsql strict cost 0.0001 as $$
      begin raise notice 'saw %', $1; return true; end $$;
      grant execute on function public.safetynet_test_leak_strict(text) to public`);
    try {
      const seen: string[] = [];
      await asLogin(async (c) => {
        c.on('notice', (n) => seen.push((n.message ?? '').replace(/^saw /, '')));
        await c.query(`set client_min_messages = notice`);
        await c.query(`select 1 from safetynet_export.household
                       where safetynet_test_leak(household_id) and safetynet_test_leak(head_name) and safetynet_test_leak(head_id18)`);
        await c.query(`select 1 from safetynet_export.member where safetynet_test_leak(id18) and safetynet_test_leak(name)`);
        await c.query(`select 1 from safetynet_export.household_score where safetynet_test_leak(household_id)`);
        // the reasons are kept once for every household they explain (migration 0026), in a table
        // without row security: a condition on them must still see only the scope's, whatever
        // join the planner picks (a city's size makes it hash the explanations, scanned whole)
        await c.query('begin');
        await c.query(`set local enable_nestloop = off`);
        await c.query(`set local enable_mergejoin = off`);
        await c.query(`select 1 from safetynet_export.household_score where safetynet_test_leak_strict('reasons ' || reasons::text)`);
        await c.query('rollback');
      });
      const reasonsOf = async (inStreet: boolean) =>
        new Set((await test.handle.pool.query<{ r: string }>(
          `select distinct 'reasons ' || s.reasons::text as r from household_score s join household h using (period, household_id)
           where (left(h.region_code, 9) = $1) = $2`, [STREET_A, inStreet])).rows.map((x) => x.r));
      const [inScope, outOfScope] = [await reasonsOf(true), await reasonsOf(false)];
      const reasonsSeen = seen.filter((v) => v.startsWith('reasons '));
      expect(reasonsSeen.some((v) => inScope.has(v))).toBe(true);
      expect(reasonsSeen.filter((v) => !inScope.has(v) && outOfScope.has(v))).toEqual([]);
      const truth = await test.handle.pool.query<{ household_id: string; street: string; head_name: string; head_id18: string }>(
        `select household_id, left(region_code, 9) as street, head_name, head_id18 from household union all
         select m.household_id, left(h.region_code, 9), m.name, m.id18 from member m join household h using (period, household_id)`,
      );
      const street = new Map(truth.rows.map((r) => [r.household_id, r.street]));
      const ids = seen.filter((v) => street.has(v));
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids.map((id) => street.get(id)))).toEqual(new Set([STREET_A]));
      const clear = new Set(truth.rows.flatMap((r) => [r.head_name, r.head_id18]));
      expect(seen.filter((v) => clear.has(v))).toEqual([]);
      expect(seen.some((v) => /^\d{6}\*{8}[\dX]{4}$/.test(v))).toBe(true);
    } finally {
      await test.handle.pool.query(`drop function public.safetynet_test_leak(text); drop function public.safetynet_test_leak_strict(text)`);
    }
  });

  it('reads in clear only after an audited, purposed entry, and only in that transaction', async () => {
    await asLogin(async (c) => {
      await expect(
        c.query(`select safetynet_audit_begin('someone else', '', '2026-10', 'psql', '{}', false, '-')`),
      ).rejects.toMatchObject({ code: '22023' });
    });
    const before = (await test.handle.pool.query(`select coalesce(max(audit_id), 0)::int as n from export_audit`)).rows[0].n as number;
    const clear = await asLogin(async (c) => {
      await c.query(`select safetynet_audit_begin('someone else', 'home visit 2026-10', '2026-10', 'psql', '{}', false, '-')`);
      const rows = (await c.query(`select id18 from safetynet_export.member where period = '2026-10'`)).rows.map((r) => r.id18 as string);
      await c.query('commit');
      await c.query('begin');
      const after = (await c.query(`select id18 from safetynet_export.member where period = '2026-10' limit 1`)).rows[0].id18 as string;
      return { rows, after };
    });
    expect(clear.rows.every((id) => /^\d{17}[\dX]$/.test(id))).toBe(true);
    expect(clear.after).toMatch(/\*{8}/);
    const audit = await test.handle.pool.query(`select operator, login, purpose, masked from export_audit where audit_id > $1`, [before]);
    // the login is who it is: the operator it claimed is not kept for an untrusted login
    expect(audit.rows).toEqual([{ operator: LOGIN, login: LOGIN, purpose: 'home visit 2026-10', masked: false }]);
  });

  it('exports its street through the CLI, and is refused another one (exit 2)', async () => {
    const env = { DATABASE_URL: urlAs(LOGIN, PASSWORD) };
    const r = await cli(['export', '--period', '2026-10', '--all', '--out', '-'], env);
    expect(r.code, r.stderr).toBe(0);
    const ids = r.stdout.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(',')[1]!);
    expect(ids.sort()).toEqual(await householdsIn(STREET_A));
    const other = await cli(['export', '--period', '2026-10', '--region', STREET_B, '--out', '-'], env);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`region ${STREET_B} is outside what the database login ${LOGIN} may see`);
    const report = await cli(['audit'], env);
    expect(report.code).toBe(10);
    expect(report.stderr).toContain('the database refused this login');
    expect(report.stderr).not.toContain('unexpected error');
  });

  it('granted the whole district, reads addresses and phones masked too', async () => {
    expect((await cli(['access', 'grant', LOGIN, '--region', '420106'], { DATABASE_URL: test.url })).code).toBe(0);
    try {
      const phones = await asLogin(async (c) => (await c.query(`select phone from safetynet_export.household where period = '2026-10' and phone is not null`)).rows.map((r) => r.phone as string));
      expect(phones.length).toBeGreaterThan(0);
      for (const p of phones) expect(p).toMatch(/^\d{3}\*+\d{4}$/);
      // a street asked for narrows the scope to the street: the visit is its purpose again
      const street = await asLogin(async (c) => {
        await c.query(`set safetynet.region = '${STREET_A}'`);
        return (await c.query(`select phone from safetynet_export.household where period = '2026-10' and phone is not null`)).rows.map((r) => r.phone as string);
      });
      expect(street.every((p) => !p.includes('*'))).toBe(true);
    } finally {
      expect((await cli(['access', 'grant', LOGIN, '--region', STREET_A], { DATABASE_URL: test.url })).code).toBe(0);
    }
  });

  it('sees nothing once its grant is revoked', async () => {
    const r = await cli(['access', 'revoke', LOGIN], { DATABASE_URL: test.url });
    expect(r.code).toBe(0);
    const seen = await asLogin(async (c) => {
      await c.query(`set safetynet.region = '420106'`);
      return (await c.query(`select count(*)::int as n from safetynet_export.household`)).rows[0].n;
    });
    expect(seen).toBe(0);
  });
});

// the tables under 0003's policies, forced even for their owner: the people's and the results', and each department's
// (the diagnoses, human resources, verification, enrolments and certificates are versions read through views that say the same, migrations 0032, 0033 and 0037)
const FORCED = [
  'audit_frame', 'audit_sample', 'dangerous_house', 'disaster_event', 'export_scope', 'household_asset_check', 'household_row', 'household_version',
  'public_security', 'scored_household', 'urgent_warning',
];
const POLICIES = 21;

describe('the row-security migrations (0003 and every one after it that puts a table under its policies)', () => {
  it('goes down and up again to the same policies, functions and view', async () => {
    const scratch = await createDatabase('rls_roundtrip');
    const database = await openDatabase({ databaseUrl: scratch.url, home: '', log: silentLog });
    const snapshot = async () => ({
      policies: (await database.pool.query(`select tablename, policyname, cmd, qual, with_check from pg_policies order by 1, 2`)).rows,
      forced: (await database.pool.query(`select relname from pg_class where relforcerowsecurity order by 1`)).rows.map((r) => r.relname),
      view: (await database.pool.query(`select pg_get_viewdef('identity_rescue_link'::regclass) as v`)).rows[0].v,
    });
    try {
      const before = await snapshot();
      // 0004 puts urgent_warning, each department's migration its table under the same policies, with 0003's functions
      expect(before.forced).toEqual(FORCED);
      expect(before.policies).toHaveLength(POLICIES);
      // the later migrations' views, scope table and policies stand on 0003's functions: down in reverse, up in order
      const since0003 = Object.keys(migrations).sort().filter((name) => name >= '0003');
      for (const name of [...since0003].reverse()) await migrations[name]!.down!(database.db as Kysely<any>);
      expect((await database.pool.query(`select count(*)::int as n from pg_policies`)).rows[0].n).toBe(0);
      for (const name of since0003) await migrations[name]!.up(database.db as Kysely<any>);
      expect(await snapshot()).toEqual(before);
    } finally {
      await database.close();
      await dropDatabase(scratch.name);
    }
  });
});

describe('the person tables\' exporter policies (migration 0027)', () => {
  // over the members' and households' views a join of the two cannot reach the versions' keys:
  // each row checked would read a whole period of households (cancelled after 120 s at 250,000
  // households); asked by period and ID number, the members' view reaches them
  it('ask the members\' view by period and ID number, never joined to the households, and a new department\'s the same', async () => {
    const { rows } = await test.handle.pool.query<{ tablename: string; qual: string }>(
      `select tablename, qual from pg_policies where policyname = 'safetynet_exporter_scope' and qual like '%member m%' order by 1`);
    expect(rows.map((r) => r.tablename)).toEqual(['dangerous_house', 'disaster_event', 'public_security']);
    for (const r of rows) {
      expect(r.qual, r.tablename).not.toMatch(/household/i);
      expect(r.qual, r.tablename).toContain(`m.id18 = ${r.tablename}.id18`);
    }
    // a department added from now on takes personRowSecurity: the same policy as the converted ones
    await test.handle.pool.query(`create table person_probe (period text not null, id18 text not null)`);
    try {
      await personRowSecurity(test.handle.db as Kysely<any>, 'person_probe', 'period');
      const { rows: [probe] } = await test.handle.pool.query<{ qual: string }>(
        `select qual from pg_policies where tablename = 'person_probe' and policyname = 'safetynet_exporter_scope'`);
      expect(probe!.qual).toBe(rows.find((r) => r.tablename === 'dangerous_house')!.qual.replaceAll('dangerous_house', 'person_probe'));
    } finally {
      await test.handle.pool.query(`drop table person_probe`);
    }
  });
});

describe('migrations after --create-roles', () => {
  it('run as the owner, and the batch and exporter get their share of what they add', async () => {
    const scratch = await createDatabase('rls_upgrade');
    const database = await openDatabase({ databaseUrl: scratch.url, home: '', log: silentLog });
    try {
      await grantRoles(database.db, silentLog);
      // the newest migration, undone as if it were new in this release
      const last = Object.keys(migrations).sort().at(-1)!;
      await migrations[last]!.down!(database.db as Kysely<any>);
      await database.pool.query(`delete from kysely_migration where name = $1`, [last]);
      expect(await migrateToLatest(database.db, silentLog)).toEqual({ applied: [last] });
      const { rows } = await database.pool.query(`
        select c.relname, pg_get_userbyid(c.relowner) as owner, has_table_privilege('safetynet_batch', c.oid, 'INSERT') as batch
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and c.relname not in ('kysely_migration', 'kysely_migration_lock', 'export_audit', 'export_scope', 'safetynet_secret')`);
      expect(rows.length).toBeGreaterThan(10);
      for (const r of rows) expect(r, r.relname).toMatchObject({ owner: ROLES.owner, batch: true });
      // who may export where, and the key of person_key, are the owner's alone
      const { rows: owned } = await database.pool.query(`
        select c.relname, has_table_privilege('safetynet_batch', c.oid, 'SELECT') as batch, has_table_privilege('safetynet_exporter', c.oid, 'SELECT') as exporter
        from pg_class c where c.relname in ('export_scope', 'safetynet_secret') order by 1`);
      expect(owned).toEqual([{ relname: 'export_scope', batch: false, exporter: false }, { relname: 'safetynet_secret', batch: false, exporter: false }]);
    } finally {
      await database.close();
      await dropDatabase(scratch.name);
    }
  });
});

describe('a database where the roles were not granted', () => {
  it('keeps exporting as before: row security is inert without the grants', async () => {
    const other = await createDatabase('norls');
    const database = await openDatabase({ databaseUrl: other.url, home: '', log: silentLog });
    try {
      expect(await rowSecurityActive(database.db)).toBe(false);
      await runPeriod({ database, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period: '2026-10' });
      const file = join(await mkdtemp(join(tmpdir(), 'safetynet-rls-')), 'list.csv');
      const { rows } = await auditedExport(database.pool, { period: '2026-10', all: true }, { format: 'csv', scope: null }, file, writeWarningList, silentLog);
      expect(rows).toBe(59);
    } finally {
      await database.close();
      await dropDatabase(other.name);
    }
  });
});
