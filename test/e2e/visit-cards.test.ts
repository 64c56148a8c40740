import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { cardsCommand } from '../../src/commands/cards.js';
import { parseConfig } from '../../src/config/load-config.js';
import { householdCard, type HouseholdCard } from '../../src/export/household-card.js';
import { renderVisitCards } from '../../src/export/visit-cards.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/**
 * The visit cards as a street office prints them: the HTML of `safetynet cards` printed to PDF by
 * headless Chromium (Debian's `chromium`), on A4, one page per household, the Chinese drawn with a
 * CJK font (fonts-droid-fallback, installed by .ci/run) rather than as empty boxes. Set
 * SAFETYNET_TEST_KEEP_PDF=/some/dir to keep the PDFs for a look.
 */
const INBOX = resolve('fixtures/district-a/inbox');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CJK_FONT = /Droid Sans Fallback|DroidSansFallback|Noto Sans CJK|NotoSansCJK|Source Han Sans|SourceHanSans|WenQuanYi/i;
const test = useTestDatabase();
let dir = '';

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
  dir = await mkdtemp(join(tmpdir(), 'safetynet-cards-pdf-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Pages of a PDF: its page objects (`/Type /Page`, not the `/Type /Pages` tree nodes). */
const pageCount = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-z])/g)?.length ?? 0;

describe('visit cards printed by Chromium', () => {
  it.each([
    ['420106002', 'zh'],
    ['420106003', 'en'],
  ] as const)('street %s (%s): one A4 page per household, Chinese in a CJK font, nothing fetched', async (street, lang) => {
    const html = join(dir, `cards-${street}-${lang}.html`);
    const { households } = await cardsCommand({ databaseUrl: test.url, period: '2026-10', region: street, lang, out: html }, silentLog);
    expect(households).toBeGreaterThan(1);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      // before the DevTools calls: CSS.enable on a file: page makes Chromium log an "unsafe attempt to load URL"
      expect(errors).toEqual([]);

      // the glyphs of a Chinese label come from a CJK font installed on the machine
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '.card td' });
      const address = await page.locator('.card td').first().textContent();
      expect(address).toMatch(/[\u4e00-\u9fff]/);
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      expect(fonts.filter((f) => CJK_FONT.test(f.familyName) && f.glyphCount > 0), JSON.stringify(fonts)).not.toHaveLength(0);

      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      expect(pageCount(pdf)).toBe(households);
      // A4 is 595 x 842 points
      const boxes = pdf.toString('latin1').match(/\/MediaBox\s*\[[^\]]*\]/g) ?? [];
      expect(boxes).toHaveLength(households);
      for (const box of boxes) expect(box).toMatch(/\[0 0 59[45](\.\d+)? 84[12](\.\d+)?\]/);
      // the CJK font is embedded: the PDF shows the same on a PC without it
      expect(pdf.toString('latin1')).toMatch(/\/FontName\s*\/[A-Z]{6}\+(DroidSansFallback|NotoSansCJK|SourceHanSans|WenQuanYi)/);
      expect(external).toEqual([]);
      if (process.env.SAFETYNET_TEST_KEEP_PDF) {
        await writeFile(join(process.env.SAFETYNET_TEST_KEEP_PDF, `cards-${street}-${lang}.pdf`), pdf);
        await copyFile(html, join(process.env.SAFETYNET_TEST_KEEP_PDF, `cards-${street}-${lang}.html`));
      }
    } finally {
      await browser.close();
    }
  });

  it('a household of 8 with review notes and rescued IDs still fits its one page; a larger one keeps its outcome block whole', async () => {
    const real = await householdCard(test.handle.db, '2026-10', 'WC010', { lang: 'zh' });
    const member = real.members[0]!;
    const big: HouseholdCard = {
      ...real,
      address: '湖北省武汉市武昌区中北路街道东湖路社区中北路108号东湖花园小区3栋2单元501室（靠近地铁站出口）',
      members: Array.from({ length: 8 }, (_, i) => ({ ...member, disabilities: ['肢体二级', '精神一级'], diagnoses: ['慢性病', '重特大疾病'], age: 80 - i * 6 })),
      review_reasons: Array.from({ length: 3 }, () => real.review_reasons[0] ?? '已享受低保，但人均月收入为低保标准的2.40倍：请复核是否仍符合条件'),
      rescued_links: Array.from({ length: 2 }, (_, i) => ({ source: 'disability', period: '2026-10', line: 10 + i, difference: 'substitution', confidence: 0.9, reason: 'one digit differs from a roster member with the same name and birth date' })),
    };
    const html = join(dir, 'cards-big.html');
    await writeFile(html, renderVisitCards([big, real], { period: '2026-10', region: '420106003', lang: 'zh', masked: true }));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      if (process.env.SAFETYNET_TEST_KEEP_PDF) await writeFile(join(process.env.SAFETYNET_TEST_KEEP_PDF, 'cards-big.pdf'), pdf);
      expect(pageCount(pdf)).toBe(2);
      // 14 members do not fit: the card runs onto a second page (its outcome block is kept whole: break-inside avoid)
      const huge = { ...big, members: Array.from({ length: 14 }, () => big.members[0]!) };
      await writeFile(html, renderVisitCards([huge], { period: '2026-10', region: '420106003', lang: 'zh', masked: true }));
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const spill = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      expect(pageCount(spill)).toBe(2);
      if (process.env.SAFETYNET_TEST_KEEP_PDF) await writeFile(join(process.env.SAFETYNET_TEST_KEEP_PDF, 'cards-spill.pdf'), spill);
    } finally {
      await browser.close();
    }
  });
});
