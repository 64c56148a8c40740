import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { OutputNotWritten, UsageError } from '../errors.js';
import { CITY_SOURCES, DEFAULT_SEED, DEFAULT_START, generateCity, type CityStats } from '../generate/generate-city.js';
import { PERIOD } from '../period.js';

export interface GenerateOptions {
  households: number;
  periods?: number;
  seed?: number;
  out: string;
  start?: string;
  /** share of rows a department gets wrong */
  dirty?: number;
  /** no row that breaks a plain COPY (for the benchmark's psql comparison) */
  copyable?: boolean;
  /** replace a city already in --out */
  force?: boolean;
  json?: boolean;
}

/** what a city leaves in its folder: only these are replaced by --force */
const isCityEntry = (name: string) => PERIOD.test(name) || name === 'dibao-standards.csv' || name === 'city.json';

/**
 * `safetynet generate`: a synthetic city in the contract's inbox layout (src/generate), for
 * tests bigger than the fixtures and for the benchmark. Refuses to write over a city already in
 * the folder unless --force, which removes that city (its period folders, dibao-standards.csv
 * and city.json) and nothing else.
 */
export async function generateCommand(opts: GenerateOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<CityStats> {
  const dir = resolve(opts.out);
  const periods = opts.periods ?? 2;
  if (opts.start !== undefined && !PERIOD.test(opts.start)) throw new UsageError(`--start "${opts.start}" is not a month written YYYY-MM`);
  if (opts.dirty !== undefined && !(opts.dirty >= 0 && opts.dirty < 0.5)) throw new UsageError('--dirty must be a share between 0 and 0.5 (0.02 is 2% of rows)');
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw new OutputNotWritten(dir, err.message, { cause: err });
  });
  const city = existing.filter(isCityEntry);
  if (city.length > 0) {
    if (!opts.force) {
      throw new UsageError(`${dir} already holds a city (${city.slice(0, 4).join(', ')}${city.length > 4 ? ', …' : ''}): choose another folder, or add --force to replace it`);
    }
    for (const name of city) await rm(join(dir, name), { recursive: true, force: true });
  }

  const t0 = performance.now();
  log.info({ out: dir, households: opts.households, periods, seed: opts.seed ?? DEFAULT_SEED }, 'generating a city');
  let stats: CityStats;
  try {
    stats = await generateCity({
      out: dir,
      households: opts.households,
      periods,
      seed: opts.seed,
      start: opts.start,
      dirtyRate: opts.dirty,
      copyable: opts.copyable,
      onProgress: (n) => log.info({ households: n, of: opts.households, seconds: Math.round((performance.now() - t0) / 100) / 10 }, 'generating'),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && ['ENOSPC', 'EACCES', 'EROFS', 'EDQUOT', 'EPERM'].includes(e.code)) {
      throw new OutputNotWritten(dir, e.message, { cause: err });
    }
    throw err;
  }
  const seconds = Math.round((performance.now() - t0) / 10) / 100;
  log.info({ seconds, rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }, 'city generated');

  if (opts.json) {
    out.write(`${JSON.stringify({ out: dir, seconds, ...stats })}\n`);
    return stats;
  }
  const lines: string[] = [];
  lines.push(`${dir}: ${stats.households} households, ${stats.people} people, ${stats.outsiders} outsiders (seed ${stats.seed}), in ${seconds} s`);
  lines.push('');
  lines.push(`period   ${CITY_SOURCES.map((s) => s.padStart(26)).join('')}   households  not on roster`);
  for (const p of stats.periods) {
    const facts = stats.period[p]!;
    const cells = CITY_SOURCES.map((s) => {
      const f = facts.files[s];
      return `${f.rows} (${f.rejects} bad) ${f.encoding === 'utf-8-bom' ? 'bom' : f.encoding === 'gb18030' ? 'gb' : 'u8'}/${f.headers}`.padStart(26);
    });
    lines.push(`${p}  ${cells.join('')}   ${String(facts.rosterHouseholds).padStart(10)}  ${String(facts.notOnRoster).padStart(13)}`);
  }
  lines.push('');
  lines.push(`rows: data rows (rows the contract refuses), encoding (u8 UTF-8, bom UTF-8 with BOM, gb GB18030) / header language.`);
  lines.push(`city.json holds these figures; run it with: safetynet run --inbox ${opts.out}`);
  out.write(`${lines.join('\n')}\n`);
  return stats;
}

export { DEFAULT_SEED, DEFAULT_START };
