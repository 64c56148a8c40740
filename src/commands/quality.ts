import type { Logger } from 'pino';
import { DIMENSIONS } from '../../scoring/dimensions.js';
import { openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { readRegionNames, regionWithName } from '../export/region-label.js';
import { ZH } from '../export/warning-list.js';
import { displayWidth, padDisplay, padDisplayStart } from '../text-width.js';
import { listPrecision } from '../visits/list-precision.js';
import type { Estimate } from '../visits/miss-rate.js';
import { readQualityTables } from '../visits/quality-counts.sql.js';
import type { QualityTables } from '../visits/quality-tables.js';
import { estimateNotes, estimateText, groupingLabel, groupKeyLabel, QUALITY_WORDS, tooSmallNote } from '../visits/quality-words.js';

export interface QualityOptions extends GlobalOptions {
  period: string;
  json?: boolean;
  lang?: 'en' | 'zh';
}

const pct = (p: number | null) => (p === null ? '—' : `${(p * 100).toFixed(1)}%`);

const TEXT = {
  en: {
    title: (p: string) => `The list of ${p} (uncovered households) and what the visits since found`,
    head: ['group', 'key', 'listed', 'visited', 'assisted', 'not elig.', 'unsettled', 'precision'],
    groups: {} as Record<string, string>,
    footer: 'precision = assisted / (assisted + not eligible); refused, not found and moved settle nothing',
  },
  zh: {
    title: (p: string) => `${p}预警名单（未获救助家庭）及此后的走访结果`,
    head: ['分组', '项目', '名单户数', '已走访', '获得救助', '不符合条件', '未能核实', '准确率'],
    groups: { all: '合计', tier: '预警等级', street: '街道', dimension: '主要维度' } as Record<string, string>,
    footer: '准确率 = 获得救助 /（获得救助 + 不符合条件）；拒绝入户、未找到、已搬迁不计入',
  },
};

/**
 * `safetynet quality --period P`: of P's list, how many were visited and how many needed help;
 * beside it, from P's audit sample, how many households in need the list missed, per street and
 * tier; and the same rates per group (fairness).
 */
export async function qualityCommand(opts: QualityOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const lang = outputLang(opts);
  const { config } = resolveConfig(opts);
  const database = await openMigrated(opts, log);
  try {
    const rows = await listPrecision(database.db, opts.period);
    const tables = await readQualityTables(database.db, opts.period, config);
    if (opts.json) {
      for (const r of rows) out.write(`${JSON.stringify({ period: opts.period, ...r })}\n`);
      for (const r of qualityJson(tables)) out.write(`${JSON.stringify({ period: opts.period, ...r })}\n`);
      return;
    }
    const t = TEXT[lang];
    const names = await readRegionNames(database.db);
    const dimension = new Map(DIMENSIONS.map((d) => [d.id as string, d.labels[lang]]));
    const key = (group: string, k: string) =>
      group === 'street' ? regionWithName(k, names, lang)
        : group === 'dimension' ? (dimension.get(k) ?? k)
          : group === 'all' ? (t.groups.all ?? k)
            : lang === 'zh' ? (ZH[k] ?? k) : k;
    const keys = rows.map((r) => key(r.group, r.key));
    const keyWidth = Math.max(16, ...keys.map(displayWidth));
    const line = (cells: string[]) =>
      [padDisplay(cells[0]!, 10), padDisplay(cells[1]!, keyWidth), ...cells.slice(2).map((c) => padDisplayStart(c, 10))].join(' ').trimEnd();
    out.write(`${t.title(opts.period)}\n`);
    out.write(`${line(t.head)}\n`);
    rows.forEach((r, i) => {
      out.write(`${line([t.groups[r.group] ?? r.group, keys[i]!, String(r.listed), String(r.visited), String(r.assisted), String(r.not_eligible), String(r.unsettled), pct(r.precision)])}\n`);
    });
    out.write(`${t.footer}\n\n`);
    out.write(formatQualityTables(tables, lang, (street) => regionWithName(street, names, lang)));
  } finally {
    await database.close();
  }
}

/** camelCase keys to the snake_case of the other JSON lines (`not_eligible`), all the way down. */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(x)]));
}

/** The miss-rate and fairness rows as JSON lines: `table` says which; estimates keep their intervals and, without a value, why (`too_few.reason`). */
export function qualityJson(t: QualityTables): Record<string, unknown>[] {
  return ([
    ...t.streets.map((r) => ({ table: 'miss_rate', street: r.street, tier: null, ...r.figures })),
    ...t.strata.map((r) => ({ table: 'miss_rate', street: r.street, tier: r.tier, ...r.figures })),
    { table: 'miss_rate', street: 'all', tier: null, ...t.total },
    // `listed` of a group is every listed household (covered too); `listed_visits` the uncovered ones' visits behind precision
    ...t.groups.map(({ figures: { listed: listedVisits, ...figures }, ...g }) => ({
      table: 'fairness', grouping: g.grouping, key: g.key, households: g.households, listed: g.listed, listing_rate: g.listingRate, listed_visits: listedVisits, ...figures,
    })),
  ] as Record<string, unknown>[]).map((r) => snakeKeys(r) as Record<string, unknown>);
}

/** The two tables as text: precision beside the estimated misses per street and tier, then by group; notes say where a figure is missing and why. */
export function formatQualityTables(t: QualityTables, lang: 'en' | 'zh', streetName: (code: string) => string): string {
  const w = QUALITY_WORDS[lang];
  const est = (e: Estimate, kind: 'share' | 'count') => estimateText(e, kind, lang);
  const table = (head: string[], rows: string[][], left: number) => {
    const widths = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))));
    const line = (cells: string[]) => cells.map((c, i) => (i < left ? padDisplay(c, widths[i]!) : padDisplayStart(c, widths[i]!))).join('  ').trimEnd();
    return [line(head), ...rows.map(line)].join('\n');
  };

  const missRows: string[][] = [];
  const missNotes: { label: string; estimates: Estimate[] }[] = [];
  const missRow = (street: string, tier: string, f: QualityTables['total'], listed: boolean) => {
    missRows.push([
      street, tier,
      listed ? String(f.listed.listed) : '', listed ? String(f.listed.assisted + f.listed.notEligible) : '', listed ? est(f.precision, 'share') : '',
      String(f.audit.frame), String(f.audit.drawn), String(f.audit.settled), String(f.audit.eligible),
      est(f.missed, 'count'), listed ? est(f.exclusion, 'share') : '',
    ]);
    missNotes.push({ label: `${street} ${tier}`, estimates: listed ? [f.precision, f.missed, f.exclusion] : [f.missed] });
  };
  for (const s of t.streets) {
    const name = streetName(s.street);
    missRow(name, w.tiers.all!, s.figures, true);
    for (const st of t.strata.filter((x) => x.street === s.street)) missRow(name, w.tiers[st.tier]!, st.figures, false);
  }
  missRow(w.total, w.tiers.all!, t.total, true);

  const fairRows: string[][] = [];
  const fairNotes: { label: string; estimates: Estimate[] }[] = [];
  for (const g of t.groups) {
    const key = g.grouping === 'street' ? streetName(g.key) : groupKeyLabel(g.grouping, g.key, lang);
    const f = g.figures;
    fairRows.push([
      groupingLabel(g.grouping, lang), key, String(g.households), String(g.listed),
      g.listingRate === null ? w.tooFew : `${(g.listingRate * 100).toFixed(1)}%`,
      String(f.listed.assisted + f.listed.notEligible), est(f.precision, 'share'),
      String(f.audit.settled), est(f.missed, 'count'), est(f.exclusion, 'share'),
    ]);
    const label = `${groupingLabel(g.grouping, lang)} ${key}`;
    fairNotes.push({ label, estimates: [f.precision, f.missed, f.exclusion] });
  }
  const small = t.groups.filter((g) => g.listingRate === null).map((g) => `${groupingLabel(g.grouping, lang)} ${g.grouping === 'street' ? streetName(g.key) : groupKeyLabel(g.grouping, g.key, lang)}`);
  const smallNote = tooSmallNote(small, t.minGroupHouseholds, lang);
  const notes = (n: string[]) => (n.length === 0 ? '' : `${w.notes}\n${n.map((x) => `  ${x}`).join('\n')}\n`);
  return [
    `${w.missTitle(t.period)}\n${table(w.missHead, missRows, 2)}\n`,
    notes(estimateNotes(missNotes, lang)),
    `${w.method.join('\n')}\n\n`,
    `${w.fairTitle(t.period)}\n${table(w.fairHead, fairRows, 2)}\n`,
    notes([...smallNote, ...estimateNotes(fairNotes, lang)]),
  ].join('');
}
