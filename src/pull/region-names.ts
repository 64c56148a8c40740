import { join } from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Tx } from '../db/transaction.js';
import { SafetynetError } from '../errors.js';
import { headerKey } from '../ingest/department.js';
import { openExtract } from '../ingest/read-extract.js';
import { clean } from '../ingest/values.js';
import { isPlaceUnknown } from '../export/region-label.js';
import { fileKind, notRegular } from './file-kind.js';

/**
 * `<inbox>/regions.csv` (`region_code,name`, UTF-8 or GB18030 like the extracts) and the config's
 * `regions`: the names lists, cards and reports show beside street and community codes. A name
 * changes no score and no one's scope, so a bad row (or a file that cannot be read) is reported
 * and left out, never a reason to refuse the month: the code is shown alone instead.
 */
export const REGIONS_FILE = 'regions.csv';

/** A 6-digit county, 9-digit street or 12-digit community code. */
export const REGION_CODE = /^\d{6}(\d{3}){0,2}$/;

/** Headers read for each column, besides its own name. */
const COLUMNS = [
  { name: 'region_code', headers: ['区划代码', 'code', '代码'] },
  { name: 'name', headers: ['名称', '区划名称', 'region_name'] },
] as const;

export interface RegionRowProblem {
  file: string;
  line: number | null;
  column: string | null;
  reason: string;
}

export interface RegionNamesLoaded {
  /** names stored: the file's good rows, then the config's (which win over the file's) */
  names: number;
  from_file: number | null;
  from_config: number;
  problems: RegionRowProblem[];
}

/** The problem of one row, or its code and name. */
export function regionRow(code: string | undefined, name: string | undefined): { column: string; reason: string } | { code: string; name: string } {
  if (code === undefined) return { column: 'region_code', reason: 'value is missing' };
  if (!REGION_CODE.test(code)) return { column: 'region_code', reason: `"${code}" is not a 6-digit county, 9-digit street or 12-digit community code` };
  // the not-on-roster bucket is named by what it is (region-label.ts), never as a place
  if (isPlaceUnknown(code)) return { column: 'region_code', reason: `${code} has street 000, where Safetynet puts people not on the roster: it takes no name` };
  if (name === undefined) return { column: 'name', reason: 'value is missing' };
  if ([...name].length > 60) return { column: 'name', reason: 'longer than 60 characters: a street or community name, not an address' };
  return { code, name };
}

async function readFile(path: string, problems: RegionRowProblem[]): Promise<Map<string, string> | null> {
  const found = await fileKind(path);
  if (found.kind === 'absent') return null;
  if (found.kind === 'other') {
    problems.push({ file: REGIONS_FILE, line: null, column: null, reason: notRegular(found.what) });
    return new Map();
  }
  const names = new Map<string, string>();
  const lineOf = new Map<string, number>();
  let extract;
  try {
    extract = await openExtract(path, REGIONS_FILE);
  } catch (err) {
    problems.push({ file: REGIONS_FILE, line: 1, column: null, reason: err instanceof Error ? err.message : String(err) });
    return names;
  }
  try {
    const index = COLUMNS.map((c) => extract.header.findIndex((h) => [c.name, ...c.headers].some((n) => headerKey(n) === headerKey(h))));
    const absent = COLUMNS.filter((_, i) => index[i]! < 0).map((c) => c.name);
    if (absent.length > 0) {
      problems.push({ file: REGIONS_FILE, line: 1, column: null, reason: `missing column(s) ${absent.join(', ')}: the header must be region_code,name` });
      return names;
    }
    for await (const { line, fields } of extract.records) {
      if (fields.some((f) => f.includes('\uFFFD'))) {
        problems.push({ file: REGIONS_FILE, line, column: null, reason: 'characters that are not valid in the file\'s encoding (UTF-8 or GB18030)' });
        continue;
      }
      const row = regionRow(clean(fields[index[0]!]), clean(fields[index[1]!]));
      if ('reason' in row) {
        problems.push({ file: REGIONS_FILE, line, ...row });
        continue;
      }
      const first = lineOf.get(row.code);
      if (first !== undefined) {
        problems.push({ file: REGIONS_FILE, line, column: 'region_code', reason: `a second name for ${row.code} (the first, on line ${first}, is kept)` });
        continue;
      }
      lineOf.set(row.code, line);
      names.set(row.code, row.name);
    }
  } catch (err) {
    // a file cut mid-row: what was read before stays, the rest is reported
    if (!(err instanceof SafetynetError)) throw err;
    problems.push({ file: REGIONS_FILE, line: null, column: null, reason: err.message });
  } finally {
    extract.close();
  }
  return names;
}

/**
 * Replaces the stored names with those of this run: the inbox's file, then the config's on top.
 * Neither given: no names (codes alone), not whatever an earlier inbox left behind.
 */
export async function loadRegionNames(tx: Tx, inbox: string, configured: Record<string, string>, log: Logger): Promise<RegionNamesLoaded> {
  const problems: RegionRowProblem[] = [];
  const fromFile = await readFile(join(inbox, REGIONS_FILE), problems);
  const rows = new Map<string, { name: string; source: 'regions.csv' | 'config' }>();
  for (const [code, name] of fromFile ?? []) rows.set(code, { name, source: 'regions.csv' });
  for (const [code, name] of Object.entries(configured)) rows.set(code, { name: name.trim(), source: 'config' });
  await sql`delete from region_name`.execute(tx.db);
  if (rows.size > 0) {
    const codes = [...rows.keys()];
    await sql`
      insert into region_name (region_code, name, source)
      select * from unnest(${codes}::text[], ${codes.map((c) => rows.get(c)!.name)}::text[], ${codes.map((c) => rows.get(c)!.source)}::text[])
    `.execute(tx.db);
  }
  for (const p of problems) log.warn({ file: p.file, line: p.line, column: p.column }, `region name left out: ${p.reason}`);
  const loaded = { names: rows.size, from_file: fromFile?.size ?? null, from_config: Object.keys(configured).length, problems };
  log.info({ names: loaded.names, from_file: loaded.from_file ?? 'no regions.csv', from_config: loaded.from_config, rejected: problems.length }, 'region names');
  return loaded;
}
