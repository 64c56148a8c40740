import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { explainCommand } from '../../src/commands/explain.js';
import { reviewCommand } from '../../src/commands/review.js';
import { auditedExport } from '../../src/export/audited-export.js';
import { writeWarningList, writeWarningListJson } from '../../src/export/warning-list.js';
import { cli, ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/** Every export is audited in the transaction that read its rows; no audit, no file. */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const test = useTestDatabase();
const dir = () => mkdtemp(join(tmpdir(), 'safetynet-audit-'));

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

const audits = () => test.handle.db.selectFrom('export_audit').selectAll().orderBy('audit_id').execute();

describe('audited exports', () => {
  it('records who, why, what and the hash of the file it put in place', async () => {
    const file = join(await dir(), 'list.csv');
    const result = await auditedExport(test.handle.pool, { period: '2026-10', region: '420106001' }, { operator: '王科长', purpose: 'street visits', format: 'csv' }, file, writeWarningList, silentLog);
    const bytes = await readFile(file);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const [entry] = await audits();
    expect(entry).toMatchObject({
      operator: '王科长',
      purpose: 'street visits',
      period: '2026-10',
      format: 'csv',
      masked: true,
      rows: result.rows,
      sha256: result.sha256,
      file,
      filters: { all: false, region: '420106001', top: null, lang: 'en' },
    });
    expect(result.rows).toBe(bytes.toString('utf8').trim().split('\r\n').length - 1);
  });

  it("records what a street's list left off: the audit visits, the households beyond its visits a month", async () => {
    const file = join(await dir(), 'cut.csv');
    const capacity = new Map([['420106001', 3]]);
    await auditedExport(test.handle.pool, { period: '2026-10', region: '420106001', audit: false, capacity }, { operator: '王科长', purpose: 'street visits', format: 'csv' }, file, writeWarningList, silentLog);
    expect((await audits()).at(-1)!.filters).toMatchObject({ region: '420106001', audit_visits: false, capacity: { '420106001': 3 } });
  });

  it('refuses an unmasked export without a purpose, writing nothing', async () => {
    const d = await dir();
    const before = (await audits()).length;
    await expect(
      auditedExport(test.handle.pool, { period: '2026-10', unmasked: true }, { format: 'csv' }, join(d, 'clear.csv'), writeWarningList, silentLog),
    ).rejects.toBeInstanceOf(UsageError);
    expect(await readdir(d)).toEqual([]);
    expect((await audits()).length).toBe(before);
  });

  it('produces no file when the audit cannot be written', async () => {
    await sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit store is read-only'; end $$`.execute(test.handle.db);
    await sql`create trigger refuse before insert on export_audit for each row execute function refuse_audit()`.execute(test.handle.db);
    const d = await dir();
    try {
      await expect(
        auditedExport(test.handle.pool, { period: '2026-10' }, { operator: 'x', format: 'csv' }, join(d, 'list.csv'), writeWarningList, silentLog),
      ).rejects.toThrow('audit store is read-only');
      expect(await readdir(d)).toEqual([]); // neither the list nor a partial file
    } finally {
      await sql`drop trigger refuse on export_audit`.execute(test.handle.db);
    }
  });
});

describe('household cards and the review list in clear', () => {
  const sink = () => {
    const chunks: string[] = [];
    return { out: new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), text: () => chunks.join('') };
  };

  it('refuse --unmasked without a purpose (exit 2), showing and auditing nothing', async () => {
    const before = (await audits()).length;
    const card = sink();
    await expect(explainCommand({ databaseUrl: test.url, householdId: 'WC010', period: '2026-10', unmasked: true }, silentLog, card.out)).rejects.toBeInstanceOf(UsageError);
    const review = sink();
    await expect(reviewCommand({ databaseUrl: test.url, period: '2026-10', unmasked: true }, silentLog, review.out)).rejects.toBeInstanceOf(UsageError);
    expect(card.text() + review.text()).toBe('');
    expect((await audits()).length).toBe(before);
    const cli1 = await cli(['explain', 'WC010', '--period', '2026-10', '--unmasked'], { DATABASE_URL: test.url });
    expect(cli1.code).toBe(2);
    expect(cli1.stderr).toContain('--unmasked needs --purpose');
    expect(cli1.stdout).toBe('');
  });

  it('audit an unmasked card with its purpose, login and the hash of what was shown', async () => {
    const card = sink();
    await explainCommand({ databaseUrl: test.url, householdId: 'WC010', period: '2026-10', unmasked: true, purpose: 'home visit', operator: '李社工', json: true }, silentLog, card.out);
    const shown = card.text();
    expect(JSON.parse(shown).members[0].id_number).toMatch(/^\d{17}[\dX]$/);
    const entry = (await audits()).at(-1)!;
    expect(entry).toMatchObject({
      operator: '李社工',
      purpose: 'home visit',
      period: '2026-10',
      format: 'card-json',
      masked: false,
      rows: 1,
      sha256: createHash('sha256').update(shown).digest('hex'),
      filters: { household: 'WC010' },
    });
    expect(entry.login).toBeTruthy();
  });

  it('audit a masked card too, as an export is', async () => {
    const card = sink();
    await explainCommand({ databaseUrl: test.url, householdId: 'WC010', period: '2026-10' }, silentLog, card.out);
    expect(card.text()).not.toMatch(/\d{17}[\dX]/);
    expect((await audits()).at(-1)).toMatchObject({ format: 'card-text', masked: true, rows: 1, filters: { household: 'WC010' } });
  });

  it('audit an unmasked review list with its purpose and row count', async () => {
    const review = sink();
    await reviewCommand({ databaseUrl: test.url, period: '2026-10', unmasked: true, purpose: 'fix keying errors', json: true }, silentLog, review.out);
    const items = review.text().trim().split('\n').filter(Boolean);
    expect((await audits()).at(-1)).toMatchObject({ format: 'review-json', masked: false, purpose: 'fix keying errors', rows: items.length });
  });
});

describe('the JSON export', () => {
  it('has one object per household with its reasons as structured facts', async () => {
    const file = join(await dir(), 'list.jsonl');
    const { rows } = await auditedExport(test.handle.pool, { period: '2026-10' }, { format: 'json' }, file, writeWarningListJson, silentLog);
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(rows);
    const first = lines[0];
    expect(first).toMatchObject({ period: '2026-10', rank: 1, household_id: 'WC001', head_id_number: expect.stringMatching(/^420106\*{8}\d{3}[\dX]$/) });
    expect(first.facts[0]).toEqual({ dimension: 'economic', points: expect.any(Number), text: expect.stringContaining('dibao standard') });
    expect(first.facts.map((f: { dimension: string }) => f.dimension)).toContain('medical_burden');
    const covered = lines.find((l) => l.coverage === 'dibao');
    expect(covered.notes[0]).toMatch(/^already covered by dibao/);
  });
});
