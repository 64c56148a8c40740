import type { SafetynetConfig } from '../config/schema.js';

/**
 * The groups the list is checked for fairness by, every month: declared once here and iterated
 * by the counting SQL (quality-counts.sql.ts, one key expression per grouping), `quality`, the
 * report and `calibrate`'s gap guard. A group whose rates differ much from the rest is where the
 * scoring's assumptions (undeclared support of the elderly, say) show.
 */
export const GROUPINGS = [
  { id: 'street', labels: { en: 'street', zh: '街道' } },
  { id: 'hukou', labels: { en: 'hukou', zh: '户籍' } },
  { id: 'head_age', labels: { en: 'age of the head', zh: '户主年龄' } },
  { id: 'single_person', labels: { en: 'single-person', zh: '单人户' } },
  { id: 'disabled_member', labels: { en: 'disabled member', zh: '有残疾成员' } },
  { id: 'covered', labels: { en: 'covered', zh: '已获救助' } },
] as const;
export type GroupingId = (typeof GROUPINGS)[number]['id'];

/**
 * The head's age bands, from the ages the scoring already names: working age under 40, working
 * age from 40, elderly, old-old. Keys are the bands' bounds ("40-59", "80+").
 */
export function headAgeBands(ages: SafetynetConfig['ages']): { key: string; from: number; to: number | null }[] {
  const bounds = [0, 40, ages.elderlyFrom, ages.oldOldFrom];
  return bounds.map((from, i) => {
    const next = bounds[i + 1];
    return { key: next === undefined ? `${from}+` : `${from}-${next - 1}`, from, to: next ?? null };
  });
}

/** A group's key in words (street codes are named by the caller, who knows the region names). */
/** A grouping's name, as the tables and messages give it. */
export const groupingLabel = (id: GroupingId, lang: 'en' | 'zh'): string => GROUPINGS.find((g) => g.id === id)!.labels[lang];

export function groupKeyLabel(grouping: GroupingId, key: string, lang: 'en' | 'zh'): string {
  const yesNo = (en: [string, string], zh: [string, string]) => (key === 'yes' ? (lang === 'zh' ? zh[0] : en[0]) : lang === 'zh' ? zh[1] : en[1]);
  switch (grouping) {
    case 'hukou':
      return lang === 'zh' ? ({ urban: '城镇', rural: '农村', unknown: '不详' }[key] ?? (key || '不详')) : key || 'unknown';
    case 'head_age':
      return lang === 'zh' ? `户主${key.replace('+', '岁及以上').replace(/^(\d+)-(\d+)$/, '$1–$2岁')}` : `head ${key.replace('-', '–')}`;
    case 'single_person':
      return yesNo(['one person', 'two or more'], ['单人户', '多人户']);
    case 'disabled_member':
      return yesNo(['with a disabled member', 'none disabled'], ['有残疾成员', '无残疾成员']);
    case 'covered':
      return yesNo(['covered', 'not covered'], ['已获救助', '未获救助']);
    default:
      return key;
  }
}

/** Listing rate: households on the list / households of the group; null (too small to say) under the minimum. */
export function listingRate(listed: number, households: number, minHouseholds: number): number | null {
  return households >= Math.max(1, minHouseholds) ? listed / households : null;
}

/**
 * The widest difference of a rate between the groups of one grouping (rural against urban, the
 * oldest heads against the youngest), groups too small to say left out; null when fewer than two
 * groups can say.
 */
export function gapOf(rates: readonly (number | null)[]): number | null {
  const known = rates.filter((r): r is number => r !== null);
  return known.length < 2 ? null : Math.max(...known) - Math.min(...known);
}

export interface GapWidening {
  grouping: GroupingId;
  current: number;
  proposed: number;
  /** the groups with the highest and the lowest listing rate under the proposed weights */
  highest: { key: string; rate: number };
  lowest: { key: string; rate: number };
}

/**
 * The groupings whose listing-rate gap (highest group's rate minus lowest's, groups too small to
 * say left out) the proposed weights widen by more than `tolerance`: what `calibrate` refuses.
 */
export function widenedGaps(
  rows: readonly { grouping: GroupingId; key: string; households: number; listedCurrent: number; listedProposed: number }[],
  tolerance: number,
  minHouseholds: number,
): GapWidening[] {
  return GROUPINGS.flatMap(({ id }) => {
    const groups = rows.filter((r) => r.grouping === id && r.households >= minHouseholds);
    const current = gapOf(groups.map((r) => listingRate(r.listedCurrent, r.households, minHouseholds)));
    const rates = groups.map((r) => ({ key: r.key, rate: r.listedProposed / r.households }));
    const proposed = gapOf(rates.map((r) => r.rate));
    if (current === null || proposed === null || proposed - current <= tolerance + 1e-12) return [];
    const sorted = [...rates].sort((a, b) => b.rate - a.rate);
    return [{ grouping: id, current, proposed, highest: sorted[0]!, lowest: sorted.at(-1)! }];
  });
}
