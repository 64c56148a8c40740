import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { purgeLimit, purgeRawExtracts } from '../../src/commands/purge.js';
import { parseConfig } from '../../src/config/load-config.js';
import { PeriodLocked, UsageError } from '../../src/errors.js';
import { auditedExport } from '../../src/export/audited-export.js';
import { householdCard } from '../../src/export/household-card.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { withTransaction } from '../../src/db/transaction.js';
import { keepExplanations } from '../../src/score/score-explanations.sql.js';
import { cli } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId, makeInbox, type PeriodSpec } from '../helpers/inbox.js';

/**
 * `safetynet purge`: raw extracts of old periods go, results and the records of who did what
 * stay; it never cuts into what the latest run needs or what retention keeps.
 */
const test = useTestDatabase();
const config = parseConfig(undefined);
// daily_claim comes with migration 0004 (daily deltas); the purge handles it when it is there
const RAW = ['roster_version', 'disability_version', 'diagnosis_version', 'claim', 'rejected_row', 'quality_issue', 'identity_rescue', 'daily_claim'];
const KEPT = ['household_score', 'household', 'member', 'run', 'export_audit', 'source_load'];

const HEAD = makeId('19480305', 11);
const SPOUSE = makeId('19500712', 22);
const SINGLE = makeId('19900101', 33);

/** Two households; a disability, a diagnosis, claims (one that does not add up) and a refused row. */
function month(period: string): PeriodSpec {
  const day = `${period}-10`;
  return {
    roster: [
      ['H1', HEAD, '张建国', 'head', '420106001001', 'urban', 'none', '900', 'retired', '幸福路1号', '13800000001'],
      ['H1', SPOUSE, '李秀英', 'spouse', '420106001001', 'urban', 'none', '', 'retired', '幸福路1号', ''],
      ['H2', SINGLE, '王强', 'head', '420106002001', 'urban', 'none', '6000', 'employed', '和平街2号', '13800000002'],
      ['H3', '420106199001010000', '赵错', 'head', '420106002001', 'urban', 'none', '1000', 'employed', '', ''],
    ],
    disability: [[SPOUSE, '李秀英', 'physical', '2', '2015-05-01']],
    health: [[HEAD, '张建国', 'N18.5', 'chronic', '2019-03-01']],
    claims: [
      [`${period}-C1`, HEAD, '张建国', day, '1', '30000', '12000', '', '18000'],
      [`${period}-C2`, SPOUSE, '李秀英', day, '0', '500', '300', '', '100'],
    ],
  };
}

const PERIODS = ['2024-01', '2024-02', '2026-10'];
// the roster and the diagnoses are versions (migrations 0025, 0032): their rows are those each period holds
const VERSIONS: Record<string, string> = {
  roster_version: 'roster_period p join roster_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)',
  diagnosis_version: 'diagnosis_period p join diagnosis_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)',
  disability_version: 'disability_period p join disability_version v on v.valid_from <= p.period and (v.valid_until is null or v.valid_until > p.period)',
};
const count = async (table: string, where = 'true') =>
  (await test.handle.pool.query<{ n: number }>(`select count(*)::int as n from ${VERSIONS[table] ?? table} where ${where}`)).rows[0]!.n;
const periodColumn = (table: string) => (table === 'claim' ? 'received_period' : VERSIONS[table] ? 'p.period' : 'period');
const older = (t: string) => (t === 'daily_claim' ? `day < '2024-11-01'` : `${periodColumn(t)} < '2024-11'`);
const newer = (t: string) => `not (${older(t)})`;
const counts = async (tables: string[], where: (t: string) => string = () => 'true') =>
  Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t, where(t))] as const)));

async function listOf(period: string): Promise<string> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, { period, all: true }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return Buffer.concat(chunks).toString('utf8');
}

let listsBefore: Record<string, string>;

beforeAll(async () => {
  const inbox = await makeInbox(Object.fromEntries(PERIODS.map((p) => [p, month(p)])));
  for (const period of PERIODS) await runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period });
  // daily medical-insurance deltas, an old day and a recent one
  const daily = await test.handle.pool.query(`select to_regclass('daily_claim') is not null as present`);
  if (!daily.rows[0].present) RAW.pop();
  for (const day of daily.rows[0].present ? ['2024-01-15', '2026-10-15'] : []) {
    await test.handle.pool.query(
      `insert into daily_claim (claim_id, day, line, id18, name, settled_on, inpatient, total_cost, fund_paid, out_of_pocket, birth_date, sex)
       values ($1, $2, 2, $3, '张建国', $2, true, 1000, 600, 400, '1948-03-05', 'male')`,
      [`D-${day}`, day, HEAD],
    );
  }
  await auditedExport(test.handle.pool, { period: '2024-01' }, { operator: 'test', format: 'csv', scope: null }, `${inbox}/list.csv`, writeWarningList, silentLog);
  listsBefore = Object.fromEntries(await Promise.all(PERIODS.map(async (p) => [p, await listOf(p)] as const)));
  // the fixture must hold something in every raw table, or the purge below proves nothing
  for (const table of RAW.filter((t) => t !== 'identity_rescue')) expect(await count(table, older(table)), table).toBeGreaterThan(0);
});

describe('how far a purge may go', () => {
  it('is the older of the claims window of the latest run and the retention period', () => {
    expect(purgeLimit('2026-10', 24)).toEqual({ limit: '2024-11', reason: 'privacy.retentionMonths (24) keeps 2024-11..2026-10' });
    expect(purgeLimit('2026-10', 12)).toEqual({ limit: '2025-11', reason: 'the latest run (2026-10) needs the claims received from 2025-11 for its 12-month window' });
    expect(purgeLimit('2026-01', 36).limit).toBe('2023-02');
  });

  it('refuses a --before that cuts into retention or the claims window, deleting nothing (exit 2)', async () => {
    const before = await counts(RAW);
    await expect(purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-12', retentionMonths: 24 }, silentLog)).rejects.toThrow(
      new UsageError('--before 2024-12 would delete extracts that must stay: privacy.retentionMonths (24) keeps 2024-11..2026-10. The newest --before allowed is 2024-11.'),
    );
    await expect(purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2026-01', retentionMonths: 12 }, silentLog)).rejects.toThrow(
      /the latest run \(2026-10\) needs the claims received from 2025-11 for its 12-month window/,
    );
    expect(await counts(RAW)).toEqual(before);
    const cliRefused = await cli(['purge', '--before', '2025-06'], { DATABASE_URL: test.url });
    expect(cliRefused.code).toBe(2);
    expect(cliRefused.stderr).toContain('The newest --before allowed is 2024-11');
    expect((await cli(['purge', '--before', '2024-13'], { DATABASE_URL: test.url })).code).toBe(2);
    expect(await counts(RAW)).toEqual(before);
  });

  it('waits for nobody: a run holding one of the periods makes it stop, deleting nothing (exit 7)', async () => {
    const before = await counts(RAW);
    const other = new pg.Client({ connectionString: test.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtext('safetynet:period'), hashtext('2024-02'))`);
      await expect(purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog)).rejects.toBeInstanceOf(PeriodLocked);
    } finally {
      await other.query('rollback');
      await other.end();
    }
    expect(await counts(RAW)).toEqual(before);
  });
});

/** An explanation kept as a month's run keeps it (src/score/score-explanations.sql.ts), of no dimension's score. */
const keepExplanation = (id: string, reasons: object[]) =>
  withTransaction(test.handle.pool, (tx) => keepExplanations(tx, sql`(select ${id}::uuid as explanation, '{}'::jsonb as dimensions,
    ${JSON.stringify(reasons)}::jsonb as reasons, null::text as route_rule, null::text as route_rule_zh)`));

describe('a purge', () => {
  let dryRun: Awaited<ReturnType<typeof purgeRawExtracts>>;

  it('--dry-run counts the rows of the old periods and changes nothing', async () => {
    // an explanation no score names any more, as a period's rerun leaves (migration 0026),
    // a reason only it names (migration 0031) and the templates only they use (0034)
    await keepExplanation('00000000-0000-0000-0000-00000000dead', [{ dimension: 'economic', points: 1, text: 'x' }]);
    // and a set of departments no score names (migration 0036)
    await sql`insert into signal_set (departments) values ('{nobody-sends-this}')`.execute(test.handle.db);
    const unexplained = await count('score_explanation e', 'not exists (select 1 from scored_household s where s.explanation = e.id)');
    expect(unexplained).toBeGreaterThanOrEqual(1);
    const before = await counts([...RAW, ...KEPT]);
    const r = await cli(['purge', '--before', '2024-11', '--dry-run', '--json'], { DATABASE_URL: test.url });
    expect(r.code).toBe(0);
    dryRun = JSON.parse(r.stdout);
    const old = await counts(RAW, older);
    expect(dryRun).toMatchObject({ before: '2024-11', latest_period: '2026-10', limit: '2024-11', dry_run: true, deleted: old, contacts_cleared: 4 });
    expect(dryRun.deleted.roster_version).toBe(6); // 3 valid roster rows x 2 periods
    expect(dryRun.deleted.score_explanation).toBe(unexplained);
    expect(dryRun.deleted.score_reason).toBeGreaterThanOrEqual(1);
    expect(dryRun.deleted.score_template).toBeGreaterThanOrEqual(1);
    expect(dryRun.deleted.signal_set).toBe(1);
    expect(await counts([...RAW, ...KEPT])).toEqual(before);
  });

  it('deletes exactly those rows in one transaction, and keeps results, ledger and audit', async () => {
    const kept = await counts(KEPT);
    const recent = await counts(RAW, newer);
    const members = async () => (await test.handle.pool.query(`select * from member order by period, id18`)).rows;
    const people = await members();
    const result = await purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog);
    expect(result).toEqual({ ...dryRun, dry_run: false });
    // the members the purged rosters gave are results: kept, as rows of their own (migration 0027)
    expect(await members()).toEqual(people);
    expect(await count('member_row', `period < '2024-11'`)).toBe(6);
    expect(await counts(RAW, older)).toEqual(Object.fromEntries(RAW.map((t) => [t, 0])));
    expect(await counts(RAW, newer)).toEqual(recent);
    expect(await counts(KEPT)).toEqual(kept);
    // the explanations no score named are gone, every score keeps its own
    expect(await count('score_explanation e', 'not exists (select 1 from scored_household s where s.explanation = e.id)')).toBe(0);
    expect(await count('household_score', 'reasons is null or dimensions is null')).toBe(0);
    // and the reasons no explanation names, while every explanation keeps all of its own
    expect(await count('score_reason r', 'not exists (select 1 from score_explanation e where r.id = any(e.reason_ids))')).toBe(0);
    expect(await count('score_explanation e', 'cardinality(e.reason_ids) > (select count(*) from score_reason r where r.id = any(e.reason_ids))')).toBe(0);
    expect(await count('household_score', `jsonb_array_length(reasons) > 0`)).toBeGreaterThan(0);
    // and the templates nothing uses, while every text left keeps its own
    expect(await count('score_template t', `not exists (select 1 from score_reason r where r.template = t.id)
      and not exists (select 1 from score_explanation e where t.id in (e.route_template, e.dimensions_template))`)).toBe(0);
    expect(await count('score_reason r', 'not exists (select 1 from score_template t where t.id = r.template)')).toBe(0);
    expect(await count('score_explanation e', 'not exists (select 1 from score_template t where t.id = e.dimensions_template)')).toBe(0);
    // and the sets no score names, while every score keeps its own
    expect(await count('signal_set g', 'not exists (select 1 from scored_household s where s.signal_set = g.id)')).toBe(0);
    expect(await count('scored_household s', 'signal_set is not null and not exists (select 1 from signal_set g where g.id = s.signal_set)')).toBe(0);
    expect(await count('scored_household', 'signal_set is not null')).toBeGreaterThan(0);
    // no roster version begins in a purged period: what still holds later begins with the first kept one
    expect((await test.handle.pool.query(`select count(*)::int as n from roster_version where valid_from < '2024-11'`)).rows[0].n).toBe(0);
    // the households of purged periods keep who they are, not where to find them
    expect(await count('household', `period < '2024-11' and (address is not null or phone is not null)`)).toBe(0);
    expect(await count('household', `period = '2026-10' and address is not null`)).toBe(2);
    // each claim version left is superseded by the next one left, the latest by none (migration 0030)
    expect(await count('claim')).toBeGreaterThan(0);
    expect(await count('claim c', `c.superseded_by is distinct from (select min(x.received_period) from claim x where x.claim_id = c.claim_id and x.received_period > c.received_period)`)).toBe(0);
  });

  it('leaves every list as it was, but the purged periods\' addresses and phones, and the household cards readable', async () => {
    for (const p of PERIODS) {
      const [before, after] = [parse(listsBefore[p]!, { bom: true }) as string[][], parse(await listOf(p), { bom: true }) as string[][]];
      const contacts = ['address', 'phone'].map((c) => before[0]!.indexOf(c));
      expect(contacts.every((i) => i >= 0)).toBe(true);
      const rest = (rows: string[][]) => rows.map((r) => r.filter((_, i) => !contacts.includes(i)));
      expect(rest(after), p).toEqual(rest(before));
      // the visit details of a purged period are cleared with its raw extracts (docs/privacy.md)
      const purged = p < '2024-11';
      for (const row of after.slice(1)) for (const i of contacts) if (purged) expect(row[i], p).toBe('');
      if (!purged) expect(after).toEqual(before);
    }
    const card = await householdCard(test.handle.db, '2024-02', 'H1');
    expect(card.members.map((m) => m.relation)).toEqual(['head', 'spouse']);
    expect(card.dimensions.find((d) => d.dimension === 'medical_burden')!.facts).toMatch(/out-of-pocket medical/);
    expect(card.history.map((h) => h.period)).toEqual(['2024-01', '2024-02']);
    // what came from the purged extracts is gone from the card, the score's reasons stay
    expect(card.members.flatMap((m) => [...m.disabilities, ...m.diagnoses])).toEqual([]);
  });

  it('leaves the explanations no score names while a month is being run, and takes them once it is not', async () => {
    await keepExplanation('00000000-0000-0000-0000-00000000beef', []);
    const other = new pg.Client({ connectionString: test.url });
    await other.connect();
    try {
      // what a month's run holds to its commit: it may be naming that explanation again
      await other.query('begin');
      await other.query(`select pg_advisory_xact_lock(hashtext('safetynet:month'))`);
      const during = await purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog);
      expect(during.deleted.score_explanation).toBe(0);
      expect(await count('score_explanation', `id = '00000000-0000-0000-0000-00000000beef'`)).toBe(1);
    } finally {
      await other.query('rollback');
      await other.end();
    }
    const after = await purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog);
    expect(after.deleted.score_explanation).toBe(1);
    expect(await count('score_explanation', `id = '00000000-0000-0000-0000-00000000beef'`)).toBe(0);
  });

  it('a second purge finds nothing left to delete', async () => {
    const again = await purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog);
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
    expect(again.contacts_cleared).toBe(0);
  });
});
