import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { exportViews } from './views.js';

/**
 * Streets and communities by name beside their code (中南路街道 beside 420106001), from the names
 * the monthly run stored (src/pull/region-names.ts). A code without a name shows as the code.
 */

/** Code → name, for 6-digit counties, 9-digit streets and 12-digit communities. */
export type RegionNames = ReadonlyMap<string, string>;

/**
 * People found only in other departments are placed in the roster's county with street and
 * community 000 (src/link/link-households.ts): a code no street has (GB/T 10114 numbers streets
 * from 001), so it is named for what it is, never as a place.
 */
export const PLACE_UNKNOWN = { en: 'not on the roster: place unknown', zh: '不在名册：住址不详' } as const;

/** The same where room is short (a worksheet's name holds 31 characters and no colon). */
export const PLACE_UNKNOWN_SHORT = { en: 'not on roster', zh: '不在名册' } as const;

export const isPlaceUnknown = (code: string): boolean => code.length >= 9 && code.slice(6, 9) === '000';

/** The stored names, read through the export views as every reader may (no person in them). */
export async function readRegionNames(db: Kysely<Database>): Promise<RegionNames> {
  const rows = await exportViews(db).selectFrom('region_name').select(['region_code', 'name']).execute();
  return new Map(rows.map((r) => [r.region_code, r.name]));
}

/**
 * A region's name: a street's own; a community's after its street's (中南路街道 水果湖社区), as an
 * address is read; the honest label for the not-on-roster bucket; '' when none is known.
 */
export function regionName(code: string, names: RegionNames, lang: 'en' | 'zh' = 'en'): string {
  if (isPlaceUnknown(code)) return PLACE_UNKNOWN[lang];
  if (code.length <= 9) return names.get(code) ?? '';
  return [names.get(code.slice(0, 9)), names.get(code)].filter((n): n is string => !!n).join(' ');
}

/** `420106001 中南路街道`: the code first (it sorts, and it is what systems match), then the name if known. */
export function regionWithName(code: string, names: RegionNames, lang: 'en' | 'zh' = 'en'): string {
  const name = regionName(code, names, lang);
  return name ? `${code} ${name}` : code;
}
