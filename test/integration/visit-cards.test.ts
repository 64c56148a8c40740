import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { routeIds } from '../../scoring/route.js';
import { cardsCommand } from '../../src/commands/cards.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createRoles, grantRoles } from '../../src/db/roles.js';
import { UsageError } from '../../src/errors.js';
import { OUTCOME_WORDS, VERIFY_AT_VISIT } from '../../src/export/visit-cards.js';
import { warningListEntries } from '../../src/export/warning-list.js';
import { outcome, visitOutcomes } from '../../src/visits/visit-report.js';
import { cli, ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * `safetynet cards`: a street's printable visit cards, read through the export chokepoint (row
 * security as the exporter, the masked views, one audit row for the batch). The PDF as printed by
 * Chromium is checked in test/e2e/visit-cards.test.ts.
 */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const STREET = '420106003';
const test = useTestDatabase();
let dir = '';

beforeAll(async () => {
  // the roles as `migrate --create-roles` sets them up: the cards go through row security
  await createRoles(test.handle.db, { log: silentLog });
  await grantRoles(test.handle.db, silentLog);
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
  dir = await mkdtemp(join(tmpdir(), 'safetynet-cards-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The street's listed households, in list order (the month's audit visits, after them, are audit-sample.test.ts's) */
async function streetList(region: string) {
  const ids: string[] = [];
  for await (const e of warningListEntries(test.handle.db, { period: '2026-10', region, audit: false })) ids.push(e.household_id);
  return ids;
}

const pages = (html: string) => [...html.matchAll(/<section class="card">([\s\S]*?)<\/section>/g)].map((m) => m[1]!);
const audits = () => test.handle.db.selectFrom('export_audit').selectAll().orderBy('audit_id').execute();

describe('safetynet cards', () => {
  it('writes one page per listed household of the street, in list order, then its audit visits, audited once for the batch', async () => {
    const file = join(dir, 'cards-zh.html');
    const result = await cardsCommand({ databaseUrl: test.url, period: '2026-10', region: STREET, lang: 'zh', out: file, operator: '李社工' }, silentLog);
    const html = await readFile(file, 'utf8');
    const listed = await streetList(STREET);
    expect(listed.length).toBeGreaterThan(1);
    // the street's audit visits as the run drew them, seen through the exporter's row security
    const { rows: drawn } = await sql<{ household_id: string }>`
      select household_id from audit_sample where period = '2026-10' and street = ${STREET} order by tier = 'far', draw_order`.execute(test.handle.db);
    expect(drawn.length).toBeGreaterThan(0);
    const cards = pages(html);
    expect(cards.map((p) => /核查卡 · (\S+?)<\/h1>/.exec(p)?.[1])).toEqual([...listed, ...drawn.map((d) => d.household_id)]);
    expect(cards.map((p) => /预警名单第(\d+)位/.exec(p)?.[1] ?? /class="rank">(抽查走访)</.exec(p)?.[1])).toEqual([
      ...listed.map((_, i) => String(i + 1)),
      ...drawn.map(() => '抽查走访'),
    ]);
    const households = listed.length + drawn.length;
    expect(result).toMatchObject({ households, audit_visits: drawn.length, file, sha256: createHash('sha256').update(html).digest('hex') });
    expect((await audits()).at(-1)).toMatchObject({
      format: 'visit-cards', masked: true, rows: households, sha256: result.sha256, file, operator: '李社工',
      filters: { region: STREET, lang: 'zh', row_security: true, scope: STREET },
    });

    // A4 pages, self-contained: no script, nothing fetched
    expect(html).toContain('@page { size: A4;');
    expect(html).toContain('page-break-after: always');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|https?:\/\//i);

    // masked names and ID numbers, the address and phone in clear for the street's own visits
    expect(html).not.toMatch(/\d{17}[\dX]/);
    const { rows } = await sql<{ household_id: string; address: string; phone: string; head_name: string }>`
      select household_id, address, phone, head_name from household where period = '2026-10' and household_id = ${listed[0]!}`.execute(test.handle.db);
    expect(cards[0]).toContain(rows[0]!.address.replaceAll('&', '&amp;'));
    expect(cards[0]).toContain(rows[0]!.phone);
    expect(cards[0]).not.toContain(rows[0]!.head_name);

    // each page: the route, what to verify for it, the dimension points, a blank outcome block
    const { rows: routes } = await sql<{ household_id: string; route: string | null }>`
      select household_id, route from household_score where period = '2026-10' and household_id in (${sql.join(listed)})`.execute(test.handle.db);
    for (const [i, id] of listed.entries()) {
      const route = (routes.find((r) => r.household_id === id)!.route ?? 'covered') as keyof typeof VERIFY_AT_VISIT;
      for (const item of VERIFY_AT_VISIT[route].zh) expect(cards[i], `${id} ${route}`).toContain(item);
      for (const word of Object.values(OUTCOME_WORDS)) expect(cards[i]).toContain(word.zh);
      for (const label of ['家庭成员', '预警原因', '入户核实材料', '走访日期', '救助金额', '走访人签名']) expect(cards[i]).toContain(label);
    }
  });

  it('says in the outcome block only words that `visits import` reads back, one per outcome', async () => {
    expect(Object.keys(OUTCOME_WORDS).sort()).toEqual([...visitOutcomes].sort());
    for (const [id, words] of Object.entries(OUTCOME_WORDS)) {
      expect(outcome.parse(words.zh)).toBe(id);
      expect(outcome.parse(words.en)).toBe(id);
    }
    // a verify list for every route, in both languages, and for covered households under review
    for (const r of [...routeIds, 'covered'] as const) {
      expect(VERIFY_AT_VISIT[r].en.length).toBeGreaterThan(0);
      expect(VERIFY_AT_VISIT[r].zh.length).toBe(VERIFY_AT_VISIT[r].en.length);
    }
    expect(VERIFY_AT_VISIT.expenditure_hardship.zh.join()).toMatch(/近12个月医疗费用票据.*收入证明/);
    expect(VERIFY_AT_VISIT.single_person.zh.join()).toContain('残疾人证');
  });

  it('unmasks names and ID numbers only with a purpose, and audits it', async () => {
    const file = join(dir, 'cards-clear.html');
    await expect(cardsCommand({ databaseUrl: test.url, period: '2026-10', region: STREET, out: file, unmasked: true }, silentLog)).rejects.toBeInstanceOf(UsageError);
    await cardsCommand({ databaseUrl: test.url, period: '2026-10', region: STREET, out: file, unmasked: true, purpose: 'home visits' }, silentLog);
    const html = await readFile(file, 'utf8');
    expect(html).toMatch(/\d{17}[\dX]/);
    expect((await audits()).at(-1)).toMatchObject({ format: 'visit-cards', masked: false, purpose: 'home visits' });
  });

  it('refuses a district-wide batch, stdout, and an unrun period before reading anything', async () => {
    const before = (await audits()).length;
    const out = join(dir, 'refused.html');
    await expect(cardsCommand({ databaseUrl: test.url, period: '2026-10', region: '420106', out }, silentLog)).rejects.toThrow(/9-digit street or a 12-digit community/);
    await expect(cardsCommand({ databaseUrl: test.url, period: '2026-10', region: STREET, out: '-' }, silentLog)).rejects.toThrow(/--out FILE.html is required/);
    await expect(cardsCommand({ databaseUrl: test.url, period: '2026-11', region: STREET, out }, silentLog)).rejects.toThrow(/no successful run for period 2026-11/);
    expect((await audits()).length).toBe(before);
    expect(await readdir(dir)).not.toContain('refused.html');
  });

  it('in English too, and an empty street says so on its one page', async () => {
    const file = join(dir, 'cards-en.html');
    const result = await cardsCommand({ databaseUrl: test.url, period: '2026-10', region: STREET, out: file }, silentLog);
    const html = await readFile(file, 'utf8');
    expect(pages(html)).toHaveLength(result.households);
    expect(html).toContain('Verify at the visit');
    expect(html).toMatch(/rank 1 of \d+ on the 2026-10 list of 420106003/);
    const empty = join(dir, 'cards-empty.html');
    expect((await cardsCommand({ databaseUrl: test.url, period: '2026-10', region: '420106999', out: empty }, silentLog)).households).toBe(0);
    expect(await readFile(empty, 'utf8')).toContain('No household of this region is on the list.');
  });

  it('from the command line: cards to a file, explain --lang zh to stdout', async () => {
    const file = join(dir, 'cli-cards.html');
    // --no-audit: the listed households' cards only
    const r = await cli(['cards', '--period', '2026-10', '--region', STREET, '--lang', 'zh', '--out', file, '--no-audit'], { DATABASE_URL: test.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(pages(await readFile(file, 'utf8'))).toHaveLength((await streetList(STREET)).length);
    const card = await cli(['explain', 'WC010', '--period', '2026-10', '--lang', 'zh', '--region', STREET], { DATABASE_URL: test.url });
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toMatch(/^户编号 WC010/);
    expect(card.stdout).toContain(`2026-10 ${STREET}预警名单第`);
    const wrong = await cli(['cards', '--period', '2026-10', '--region', '420106', '--out', file], { DATABASE_URL: test.url });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('must be a 9-digit street or a 12-digit community code');
  });
});
