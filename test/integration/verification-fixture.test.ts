import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { explainCommand } from '../../src/commands/explain.js';
import { purgeRawExtracts } from '../../src/commands/purge.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createRoles, grantRoles, ROLES } from '../../src/db/roles.js';
import { withTransaction } from '../../src/db/transaction.js';
import { writeVersions } from '../../src/db/versions.js';
import { verificationVersions } from '../../src/ingest/verification/verification.source.js';
import { auditedExport } from '../../src/export/audited-export.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { COLUMNS, warningListEntries, writeWarningList, writeWarningListJson, type WarningListEntry } from '../../src/export/warning-list.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The fixture district's verification extract (核对, fixtures/district-a 2026-10, households
 * WC141-WC143): WC141's two cars and a business flag it for an asset check, and it stays on the
 * list with a route of low confidence; WC142's housing fund shows an income far above the
 * roster's, named in its reasons; WC143, not listed, carries its note on the card. The counts are
 * asset data: masked exports say only that assets were flagged, the exporter cannot read the
 * rows at all, and a purge takes them with the period.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const STREET_A = '420106001';
const test = useTestDatabase();
const summaries: Record<string, RunSummary> = {};

beforeAll(async () => {
  await createRoles(test.handle.db, { log: silentLog });
  await grantRoles(test.handle.db, silentLog);
  for (const period of ['2026-09', '2026-10']) {
    summaries[period] = await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

async function entry(household: string, opts: { lang?: 'en' | 'zh'; all?: boolean } = {}): Promise<WarningListEntry> {
  for await (const e of warningListEntries(test.handle.db, { period: '2026-10', ...opts })) if (e.household_id === household) return e;
  throw new Error(`${household} is not on the 2026-10 list`);
}

/** An export as the exporter role through the audited chokepoint, as JSON lines by household. */
async function exported(opts: { unmasked?: boolean; purpose?: string }): Promise<Map<string, Record<string, unknown>>> {
  const file = join(await mkdtemp(join(tmpdir(), 'safetynet-verification-')), 'list.jsonl');
  await auditedExport(test.handle.pool, { period: '2026-10', all: true, unmasked: opts.unmasked }, { operator: 'test', purpose: opts.purpose, format: 'jsonl', scope: STREET_A }, file, writeWarningListJson, silentLog);
  const rows = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return new Map(rows.map((r) => [r.household_id as string, r]));
}

/** One statement as the exporter role (SET ROLE from the test's superuser), in a transaction rolled back. */
async function asExporter(statement: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: test.url });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`set local role ${ROLES.exporter}`);
    await c.query(`select set_config('safetynet.region', $1, true)`, [STREET_A]);
    return await c.query(statement);
  } finally {
    await c.query('rollback').catch(() => {});
    await c.end();
  }
}

describe('the fixture month with a verification extract', () => {
  it('loads it: one person sent on two rows kept once, a row refused for more property beyond the home than held', async () => {
    expect(summaries['2026-10']!.sources.verification).toEqual({ rows_read: 6, rows_loaded: 5, rows_rejected: 1 });
    // an optional department: 2026-09, before its first extract, ran without it
    expect(summaries['2026-09']!.not_delivered).toMatchObject({ verification: null });
    const issues = await test.handle.pool.query(`select line, kind from quality_issue where period = '2026-10' and source = 'verification' order by line`);
    expect(issues.rows).toEqual([{ line: 4, kind: 'person_on_several_rows' }]);
    const refused = await test.handle.pool.query(`select line, reason from rejected_row where period = '2026-10' and source = 'verification'`);
    expect(refused.rows).toEqual([{ line: 7, reason: expect.stringContaining('2 properties beyond the home but 1 held') }]);
    const folded = await test.handle.pool.query(`select vehicles, businesses, business_role from verification where period = '2026-10' and name = '何志伟'`);
    expect(folded.rows).toEqual([{ vehicles: 2, businesses: 1, business_role: 'owner' }]);
  });

  it('flags WC141 (two cars and a business) for an asset check: still listed, the route of low confidence', async () => {
    const wc141 = await entry('WC141');
    expect(wc141.route).toBe('dibao');
    expect(wc141.route_confidence).toBe('low');
    // masked, as every export is unless asked: that assets were flagged, not what
    expect(wc141.asset_check).toBe('check assets at the visit: assets flagged');
    const zh = await entry('WC141', { all: true, lang: 'zh' });
    expect(zh.asset_check).toBe('入户时核查财产：核对发现财产信息');
    let clear = '';
    for await (const e of warningListEntries(test.handle.db, { period: '2026-10', unmasked: true })) if (e.household_id === 'WC141') clear = e.asset_check;
    expect(clear).toBe('check assets at the visit: 2 vehicles registered, one business');
    // the same score it would have without the extract: 1,500 yuan for 3 is under the standard
    expect(wc141.reasons).toContain('income 500 yuan per person a month, under the local dibao standard of 1,050 yuan');
    expect((await entry('WC001')).asset_check).toBe('');
    expect((await entry('WC001')).route_confidence).toBe('high');
  });

  it("names WC142's verified income from the housing fund, and keeps the roster's figure for the score", async () => {
    const wc142 = await entry('WC142');
    expect(wc142.reasons).toContain(
      "verified income about 6,000 yuan a month: a member's housing-fund contributions of 1,440 yuan a month (核对) imply wages of about 6,000 yuan " +
        "(at a combined rate of 24%); the roster says 800 (2x that or more asks for a check): the score keeps the roster's figure until the visit " +
        'verifies income (a verification never takes a household off the list)',
    );
    expect(wc142.route_confidence).toBe('low');
    expect(wc142.asset_check).toBe('');
  });

  it('puts the column after region_name, headed in Chinese for a Chinese list', async () => {
    const keys = COLUMNS.map(([key]) => key as string);
    expect(keys[keys.indexOf('region_name') + 1]).toBe('asset_check');
    const chunks: Buffer[] = [];
    await writeWarningList(test.handle.db, { period: '2026-10', lang: 'zh' }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    const header = Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '').split('\r\n')[0]!.split(',');
    expect(header[header.indexOf('区划名称') + 1]).toBe('入户核查财产');
    // and in the workbook, as text on WC141's row
    const parts: Buffer[] = [];
    await writeWarningListXlsx(test.handle.db, { period: '2026-10' }, new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }), silentLog);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Uint8Array.from(Buffer.concat(parts)).buffer);
    const found: string[] = [];
    workbook.eachSheet((ws) => {
      const head = (ws.getRow(1).values as unknown[]).map(String);
      const at = head.indexOf('asset_check');
      if (at < 0) return;
      expect(head[at - 1]).toBe('region_name');
      ws.eachRow((row, n) => {
        if (n > 1 && row.getCell(head.indexOf('household_id')).text === 'WC141') found.push(row.getCell(at).text);
      });
    });
    expect(found).toEqual(['check assets at the visit: assets flagged']);
  });

  it('shows the note and the confidence on the card; the figures only unmasked', async () => {
    const masked = await householdCard(test.handle.db, '2026-10', 'WC141');
    expect(masked.asset_check).toBe('check assets at the visit: assets flagged');
    expect(masked.route).toMatchObject({ route: 'dibao', confidence: 'low' });
    expect(formatCard(masked)).toContain('Suggested route: dibao (low confidence: the verification found assets or income to check) — ');
    expect(formatCard(masked)).toContain('Assets: check assets at the visit: assets flagged');
    // WC143 is not listed: no route, the note all the same
    const wc143 = await householdCard(test.handle.db, '2026-10', 'WC143', { unmasked: true, lang: 'zh' });
    expect(wc143.on_list).toBe(false);
    expect(wc143.asset_check).toBe('入户时核查财产：登记机动车1辆（最高价值5万至15万元），住房以外房产1套');
    expect(formatCard(wc143)).toContain('财产核查：入户时核查财产：登记机动车1辆');
  });
});

describe('who sees verification data', () => {
  it('the exporter cannot read the rows: no grant, and no export view shows them (as for diagnoses)', async () => {
    await expect(asExporter('select id18, vehicles from verification')).rejects.toMatchObject({ code: '42501' });
    await expect(asExporter('select note from household_asset_check')).rejects.toMatchObject({ code: '42501' });
    await expect(asExporter('select diagnosis_code from diagnosis')).rejects.toMatchObject({ code: '42501' });
    const views = await asExporter(`select table_name from information_schema.views where table_schema = 'safetynet_export' and table_name like '%verification%'`);
    expect(views.rows).toEqual([]);
    // through the view the note is there without its figures
    const notes = await asExporter(`select household_id, note, note_zh from safetynet_export.household_asset_check where period = '2026-10' order by 1`);
    expect(notes.rows).toEqual([
      { household_id: 'WC141', note: null, note_zh: null },
      { household_id: 'WC143', note: null, note_zh: null },
    ]);
  });

  it('an exporter sees the figures only in an unmasked export with a purpose, audited', async () => {
    const masked = await exported({});
    expect(masked.get('WC141')).toMatchObject({ asset_check: 'check assets at the visit: assets flagged', route_confidence: 'low' });
    const unmasked = await exported({ unmasked: true, purpose: 'asset check before the visit' });
    expect(unmasked.get('WC141')!.asset_check).toBe('check assets at the visit: 2 vehicles registered, one business');
    const audit = await test.handle.pool.query(`select masked, purpose from export_audit where format = 'jsonl' order by audit_id`);
    expect(audit.rows.at(-1)).toEqual({ masked: false, purpose: 'asset check before the visit' });
  });

  it('the card as the exporter: masked unless unmasked with a purpose', async () => {
    const card = async (extra: { unmasked?: boolean; purpose?: string }) => {
      const chunks: string[] = [];
      const out = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
      await explainCommand({ databaseUrl: test.url, householdId: 'WC141', period: '2026-10', region: STREET_A, json: true, ...extra }, silentLog, out);
      return JSON.parse(chunks.join('')) as { asset_check: string };
    };
    expect((await card({})).asset_check).toBe('check assets at the visit: assets flagged');
    expect((await card({ unmasked: true, purpose: 'visit' })).asset_check).toBe('check assets at the visit: 2 vehicles registered, one business');
  });
});

describe('retention', () => {
  it('purge deletes the rows and the notes of the periods it purges, through the registry; the scores stay', async () => {
    // the same findings as if delivered in an old month (versions, migration 0033: written as a month's run writes them)
    await withTransaction(test.handle.pool, (tx) => writeVersions(tx, verificationVersions, '2024-01', sql`
      select id18, name, properties, properties_beyond_home, vehicles, vehicle_value, businesses, business_role, housing_fund_monthly, birth_date, sex
      from verification where period = '2026-10'`));
    await test.handle.pool.query(`insert into household_asset_check select '2024-01', household_id, note, note_zh from household_asset_check where period = '2026-10'`);
    const result = await purgeRawExtracts(test.handle.pool, test.handle.db, { before: '2024-11', retentionMonths: 24 }, silentLog);
    expect(result.deleted).toMatchObject({ verification_version: 4, household_asset_check: 2 });
    const left = await test.handle.pool.query(`
      select (select count(*)::int from verification where period < '2024-11') as old_rows, (select count(*)::int from verification where period = '2026-10') as rows,
             (select count(*)::int from household_asset_check where period = '2026-10') as notes,
             (select route_confidence from household_score where period = '2026-10' and household_id = 'WC141') as confidence`);
    expect(left.rows[0]).toEqual({ old_rows: 0, rows: 4, notes: 2, confidence: 'low' });
  });
});
