import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import iconv from 'iconv-lite';
import { checkDigit } from '../identity/id-number.js';
import { department, departmentIds } from '../ingest/departments.js';
import { assertPeriod, claimsWindowStart, isoDate, periodEnd } from '../period.js';
import {
  BIRTH_REGIONS, BOOLEANS, CATEGORY_ZH, COUNTIES, DIAGNOSES, DISABILITY_TYPES, GIVEN, GRADE_ZH, headersOf, headerVariant, ROADS,
  SURNAMES, ZH, type Lang,
} from './city-values.js';
import { CSV_CHUNK, CsvOut, RawBytes, type CsvEncoding, type CsvField } from './csv-out.js';
import { Rng } from './random.js';
import { CityTruth } from './truth.js';

/**
 * A synthetic city in the data contract's inbox layout, for tests bigger than the hand-made
 * fixtures and for the benchmark:
 *
 *     <out>/dibao-standards.csv
 *     <out>/<period>/{civil-affairs,disability,medical-insurance,health,human-resources,housing,emergency,education,public-security}.csv, manifest.json
 *     <out>/city.json      what was generated, and what the pipeline must make of it
 *
 * Households of realistic sizes and ages across the city's districts, streets and communities;
 * assistance, disability and illness at plausible rates; incomes that fall, people who die or
 * are born, certificates and diagnoses that appear, from one month to the next. The first
 * period's claims carry 12 months of history, later periods one month (and a few corrections
 * of the month before). Every encoding and header language the contract allows appears, and a
 * few percent of rows are wrong the ways departments get them wrong.
 *
 * The generator knows which rows the contract makes the pipeline refuse, and so what the run
 * must report: city.json holds, per period and file, rows and rejects, and the households and
 * not-on-roster people the link must find. Tests reconcile a run against it.
 *
 * Deterministic (one seeded stream drawn in a fixed order: same seed, same bytes) and streaming:
 * every household is generated for all periods at once, written to the files that concern it and
 * forgotten; files are written in ~64 KiB chunks with backpressure. Memory stays flat whatever
 * the size (the only table is a 3 MB counter per birth region and day that keeps IDs unique).
 */

/** The departments the generator writes rows for (each needs its rows written below and its ways of getting them wrong). */
const WRITTEN = ['civil-affairs', 'disability', 'medical-insurance', 'health', 'human-resources', 'housing', 'emergency', 'education', 'verification', 'public-security'] as const;
export type CitySource = (typeof WRITTEN)[number];
const written = (id: string): id is CitySource => (WRITTEN as readonly string[]).includes(id);
/**
 * The city's files: the registered departments it writes rows for, in the registry's order (a
 * department registered at run time, a test's own, has no rows here and no file).
 */
export const CITY_SOURCES: readonly CitySource[] = departmentIds().filter(written);

export const DEFAULT_SEED = 20260901;
export const DEFAULT_START = '2026-09';

export interface CityOptions {
  out: string;
  households: number;
  /** consecutive months from `start` (default 2) */
  periods?: number;
  seed?: number;
  /** the first period, YYYY-MM (default 2026-09): its claims file carries 12 months */
  start?: string;
  /** share of rows a department gets wrong (default 0.02) */
  dirtyRate?: number;
  /**
   * only wrong values, never a row that breaks a plain COPY (a wrong number of fields, a NUL,
   * bytes that are not the file's encoding): the benchmark loads the same files with psql \copy
   */
  copyable?: boolean;
  /** called now and then with the households written so far */
  onProgress?: (households: number) => void;
  /**
   * also write <out>/<period>/truth.csv: per roster household, whether it is truly in need and
   * whether it would open the door to a visit (src/generate/truth.ts), from which
   * `simulatedVisits` writes what visits would find. Off by default: the city's other files are
   * the same bytes either way (the truth draws from its own seeded stream).
   */
  truth?: boolean;
}

export interface CityFile {
  encoding: CsvEncoding;
  headers: Lang;
  /** what manifest.json says the encoding is; null: left to detection */
  declared: string | null;
  rows: number;
  /** rows the pipeline must refuse (counted in source_load.rows_rejected) */
  rejects: number;
  bytes: number;
}

export interface CityPeriod {
  files: Record<CitySource, CityFile>;
  /** roster households with at least one row the pipeline accepts */
  rosterHouseholds: number;
  /** people other departments report (claims: in the 12-month window) that the accepted roster does not list */
  notOnRoster: number;
  /** valid claims sent twice in one file: the later line replaces the earlier */
  claimsResentInFile: number;
}

export interface CityStats {
  seed: number;
  households: number;
  periods: string[];
  /** people ever on a roster, newborns included */
  people: number;
  /** people only other departments know */
  outsiders: number;
  /** rows with a mistyped ID number */
  invalidIds: number;
  period: Record<string, CityPeriod>;
}

// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const dayOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

export function cityPeriods(start: string, count: number): string[] {
  const [y, m] = assertPeriod(start).split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(y, m - 1 + i, 1)).toISOString().slice(0, 7));
}

type Relation = 'head' | 'spouse' | 'child' | 'parent' | 'grandchild' | 'sibling' | 'other';
type Employment = 'employed' | 'unemployed' | 'retired' | 'student' | 'unable' | '';
type Kind = 'covered' | 'needy' | 'edge' | 'ordinary';

interface Person {
  validId: string;
  name: string;
  relation: Relation;
  /** day number of the birth date */
  born: number;
  birthYear: number;
  employment: Employment;
  /** periods [from, to) in which the person is alive and in the household */
  from: number;
  to: number;
  disability: { type: string; grade: number; certified: number; from: number } | null;
  diagnoses: { code: string; category: 'chronic' | 'severe' | 'mental'; recorded: number; from: number }[];
  /** claims a year */
  claimRate: number;
  // per period, as the pipeline will see it
  onRoster: boolean;
  validOtherRow: boolean;
  /** latest settlement day of a claim the pipeline loads for this person (-1: none) */
  lastLoadedClaim: number;
  /** yuan a month paid by human resources once the person is 60 (null: none) */
  pension: number | null;
  /** registers with human resources while unemployed, and since when (set at the first registration) */
  registers: boolean;
  registeredOn: number | null;
  /** tuition and fees a school year while in non-compulsory education (15-22 and a student); null: not enrolled */
  fees: number | null;
}

/** one adult's findings in the verification (核对): properties, vehicles, businesses, housing fund */
interface Holdings {
  properties: number;
  beyondHome: number;
  vehicles: number;
  band: 'under_50k' | '50k_to_150k' | 'over_150k' | null;
  businesses: number;
  role: 'owner' | 'legal_representative' | 'both' | null;
  fund: number | null;
}

interface Household {
  id: string;
  region: string;
  hukou: 'urban' | 'rural';
  kind: Kind;
  members: Person[];
  income: number | null;
  baseIncome: number | null;
  assistance: string;
  address: string;
  phone: string;
  /** false for an outsider: known to other departments, on no roster */
  onRoster: boolean;
  /** the per-capita monthly income drawn at creation, before any gap in the roster's record */
  perCapita: number;
  /** claims corrected and sent again in a later period */
  corrections: { k: number; p: Person; settledDay: number; fields: CsvField[] }[];
  /** the head's house appraised dangerous (住建), and when; null for a sound one */
  house: { grade: 'C' | 'D'; appraised: number } | null;
  /** what the verification centre (核对) finds on each adult, drawn when first written; null: never checked */
  verification?: Map<Person, Holdings> | null;
}

type Dirt =
  | 'id' | 'fields' | 'nul' | 'garbled' | 'hukou' | 'region' | 'nr_code' | 'grade' | 'type' | 'icd' | 'category' | 'future' | 'amount' | 'bool' | 'huge'
  | 'says_nothing' | 'house_grade' | 'loss' | 'stage' | 'school_year' | 'beyond_held' | 'count' | 'event';

/** how departments get rows wrong, each a reason the contract refuses a row */
const DIRT: Record<CitySource, readonly (readonly [Dirt, number])[]> = {
  'civil-affairs': [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['hukou', 1], ['region', 1], ['nr_code', 0.2]],
  disability: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['grade', 1.5], ['type', 1]],
  'medical-insurance': [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['future', 1], ['amount', 1], ['bool', 0.5], ['huge', 0.3]],
  health: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['icd', 1.5], ['category', 1]],
  // a registration after the period (future), a row with neither registration nor pension
  'human-resources': [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['future', 1], ['says_nothing', 1]],
  // an event after the period, an event the contract does not know (注销: a deregistration)
  'public-security': [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['future', 1], ['event', 1]],
  // a sound house (grade B) on the dangerous list, an appraisal after the period
  housing: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['future', 1], ['house_grade', 1]],
  // a disaster after the period, a loss that is not an amount
  emergency: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['future', 1], ['loss', 1]],
  // a stage of compulsory education, last school year's row
  education: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['stage', 1], ['school_year', 1]],
  // more properties beyond the home than held, a count that is not a whole number
  verification: [['id', 3], ['fields', 1], ['nul', 0.3], ['garbled', 0.5], ['beyond_held', 1], ['count', 1]],
};
/** a wrong value of each source, for cities whose every row must survive a plain COPY */
const VALUE_DIRT: Record<CitySource, Dirt> = {
  'civil-affairs': 'hukou', disability: 'grade', 'medical-insurance': 'amount', health: 'icd', 'human-resources': 'says_nothing',
  housing: 'house_grade', emergency: 'loss', education: 'stage', verification: 'beyond_held', 'public-security': 'event',
};
/** where a department's row holds the ID number and the name, as its declaration orders its columns */
const columnOf = (source: CitySource, name: string): number => department(source).columns.findIndex((c) => c.name === name);
const ID_COLUMN = Object.fromEntries(WRITTEN.map((s) => [s, columnOf(s, department(s).idColumn)])) as Record<CitySource, number>;
const NAME_COLUMN = Object.fromEntries(WRITTEN.map((s) => [s, columnOf(s, 'name')])) as Record<CitySource, number>;

interface OpenFile {
  source: CitySource;
  out: CsvOut;
  facts: CityFile;
  lang: Lang;
  yes: string;
  no: string;
}

/**
 * How period k's file of source s is sent. Cycling over (k + s) gives every encoding and both
 * header languages in every period and for every source over three periods; manifests declare
 * some encodings and leave others to detection, as departments do.
 */
function fileStyle(k: number, s: number): { encoding: CsvEncoding; lang: Lang; declared: string | null; eol: '\r\n' | '\n'; variantHeader: boolean } {
  const encoding = (['utf-8', 'utf-8-bom', 'gb18030'] as const)[(k + s) % 3]!;
  const lang: Lang = (k + s) % 2 === 0 ? 'en' : 'zh';
  const declared =
    encoding === 'gb18030' ? (k % 2 === 0 ? 'gb18030' : k % 4 === 1 ? 'GBK' : null) : k % 3 === 1 ? (encoding === 'utf-8-bom' ? 'utf-8-sig' : 'UTF-8') : null;
  return { encoding, lang, declared, eol: (k + s) % 4 === 3 ? '\n' : '\r\n', variantHeader: (k + s) % 5 === 4 };
}

export async function generateCity(opts: CityOptions): Promise<CityStats> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const periods = cityPeriods(opts.start ?? DEFAULT_START, opts.periods ?? 2);
  const dirtyRate = opts.dirtyRate ?? 0.02;
  const copyable = opts.copyable ?? false;
  const out = resolve(opts.out);
  const rng = Rng.seeded(seed);
  const P = periods.length;
  const ends = periods.map((p) => dayOf(isoDate(periodEnd(p))));
  const starts = periods.map((p) => dayOf(`${p}-01`));
  const windowStarts = periods.map((p) => dayOf(claimsWindowStart(p)));
  const firstEnd = ends[0]!;

  // ---- where people live: streets of ~8,000 households spread over the districts, 12 communities each
  const streets = Math.max(4, Math.ceil(opts.households / 8000));
  const COMMUNITIES = 12;
  const streetOf = (i: number) => {
    const [county, , ruralCounty] = COUNTIES[i % COUNTIES.length]!;
    const code = Math.floor(i / COUNTIES.length) + 1;
    // in the outer districts, streets after the first are towns with villages (codes 2xx)
    return { county, code: `${county}${pad(code, 3)}`, villages: ruralCounty && code > 1 };
  };

  await mkdir(out, { recursive: true });
  // the standards: per district, urban and rural; raised in the second period; two streets with their own
  const standards = ['region_code,hukou_type,effective_from,monthly_standard'];
  const lastYear = `${Number(periods[0]!.slice(0, 4)) - 1}-01`;
  COUNTIES.forEach(([code, , rural], i) => {
    const urban = rural ? 950 : 1000 + (i % 3) * 50;
    standards.push(`${code},urban,${lastYear},${urban}`, `${code},rural,${lastYear},${urban - 150}`);
    if (P > 1) standards.push(`${code},urban,${periods[1]},${urban + 50}`);
  });
  standards.push(`${streetOf(0).code},urban,${periods[0]!.slice(0, 4)}-01,1150`, `${streetOf(7).code},rural,${periods[0]!.slice(0, 4)}-01,900`);
  await writeFile(join(out, 'dibao-standards.csv'), standards.join('\r\n') + '\r\n');
  const truth = opts.truth ? new CityTruth(seed, periods, out, standards.slice(1)) : null;

  // ---- the files, all periods open at once (each household is written to all of them)
  const files: OpenFile[][] = [];
  for (let k = 0; k < P; k++) {
    await mkdir(join(out, periods[k]!), { recursive: true });
    files.push(
      CITY_SOURCES.map((source, s) => {
        const style = fileStyle(k, s);
        const header = headersOf(source, style.lang);
        const [yes, no] = style.lang === 'zh' ? ['是', '否'] : BOOLEANS[(k + s) % BOOLEANS.length]!;
        return {
          source,
          lang: style.lang,
          yes,
          no,
          out: new CsvOut(join(out, periods[k]!, `${source}.csv`), style.encoding, style.variantHeader ? headerVariant(header, style.lang) : header, style.eol),
          facts: { encoding: style.encoding, headers: style.lang, declared: style.declared, rows: 0, rejects: 0, bytes: 0 },
        };
      }),
    );
  }
  const fileOf = (k: number, source: CitySource) => files[k]![CITY_SOURCES.indexOf(source)]!;

  const stats: CityStats = { seed, households: opts.households, periods, people: 0, outsiders: 0, invalidIds: 0, period: {} };
  const perPeriod = periods.map(() => ({ rosterHouseholds: 0, notOnRoster: 0, claimsResentInFile: 0 }));

  // ---- identity numbers: unique by (birth region, birth day, sequence), without remembering them
  const regionIndex = new Map(BIRTH_REGIONS.map(([code], i) => [code, i]));
  const DAY0 = dayOf('1900-01-01');
  const DAYS = dayOf('2100-01-01') - DAY0;
  const sequences = new Uint16Array(BIRTH_REGIONS.length * DAYS);
  const newId = (born: number, male: boolean): string => {
    for (;;) {
      const region = rng.weighted(BIRTH_REGIONS);
      const slot = regionIndex.get(region)! * DAYS + (born - DAY0);
      const n = sequences[slot]!;
      if (n >= 500) continue; // that day is full in this region: another region
      sequences[slot] = n + 1;
      const id17 = `${region}${isoOf(born).replaceAll('-', '')}${pad(n * 2 + (male ? 1 : 0), 3)}`;
      return id17 + checkDigit(id17);
    }
  };
  /** a birth day at which the person is `age` on the first period's last day */
  const bornAt = (age: number) => {
    const end = new Date(firstEnd * DAY);
    const latest = Date.UTC(end.getUTCFullYear() - age, end.getUTCMonth(), end.getUTCDate()) / DAY;
    return latest - rng.int(0, 364);
  };
  const ageAt = (p: Person, k: number) => Math.floor((ends[k]! - p.born) / 365.25);
  const nameOf = (surname?: string) => (surname ?? rng.pick(SURNAMES)) + rng.pick(GIVEN) + (rng.chance(0.7) ? rng.pick(GIVEN) : '');

  // ---- how one row is written: its ID as the department writes it, and perhaps something wrong
  /** corrupts an ID the way typing does; only a wrong check digit can be linked back by the rescue */
  const corrupt = (id: string): { id: string; rescuable: boolean } => {
    switch (rng.int(0, 3)) {
      case 1:
        // transposed month digits: a swap of equal digits changes nothing, so fall through then
        if (id[10] !== id[11]) return { id: id.slice(0, 10) + id[11] + id[10] + id.slice(12), rescuable: false };
      // falls through
      case 0: {
        const wrong = '0123456789X'.replace(id[17]!, '');
        return { id: id.slice(0, 17) + rng.pick([...wrong]), rescuable: true };
      }
      case 2:
        return { id: id.slice(0, 10) + '13' + id.slice(12), rescuable: false }; // month 13
      default:
        return { id: id.slice(0, 16), rescuable: false }; // a digit short
    }
  };
  const fullWidth = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  const idAsSent = (p: Person, roster: boolean): string => {
    const id = p.validId;
    if (rng.chance(0.002)) return fullWidth(id);
    if (roster) return id;
    // older systems keep the 15-digit number; some write the check character in lowercase
    if (p.birthYear >= 1900 && p.birthYear <= 1999 && rng.chance(0.02)) return id.slice(0, 6) + id.slice(8, 17);
    if (id.endsWith('X') && rng.chance(0.3)) return id.slice(0, 17) + 'x';
    return id;
  };
  const dateAsSent = (day: number) => {
    const iso = isoOf(day);
    const r = rng.next();
    if (r < 0.06) return iso.replaceAll('-', '');
    if (r < 0.08) return `${Number(iso.slice(0, 4))}/${Number(iso.slice(5, 7))}/${Number(iso.slice(8, 10))}`;
    return iso;
  };
  const moneyAsSent = (v: number) => (v >= 1000 && rng.chance(0.01) ? v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : v);
  const word = (f: OpenFile, v: string) => (f.lang === 'zh' ? (ZH[v] ?? v) : v);

  /** writes one row of a person; says whether the pipeline loads it (or its rescue would) */
  const emit = (f: OpenFile, k: number, p: Person, fields: CsvField[], opts: { roster?: boolean } = {}) => {
    let dirt: Dirt | null = null;
    if (rng.chance(dirtyRate)) dirt = rng.weighted(DIRT[f.source]);
    if (dirt === 'garbled' && f.out.encoding === 'gb18030') dirt = 'nul'; // GB18030 decodes almost any bytes
    if (copyable && (dirt === 'fields' || dirt === 'nul' || dirt === 'garbled')) dirt = VALUE_DIRT[f.source];
    let rescuable = false;
    if (dirt === 'id') {
      const c = corrupt(p.validId);
      fields[ID_COLUMN[f.source]] = c.id;
      rescuable = c.rescuable;
      stats.invalidIds++;
    } else {
      fields[ID_COLUMN[f.source]] = idAsSent(p, opts.roster ?? false);
    }
    const nameAt = NAME_COLUMN[f.source];
    switch (dirt) {
      case 'fields':
        fields.pop();
        break;
      case 'nul':
        fields[nameAt] = `${p.name}\u0000`;
        break;
      case 'garbled': {
        // a name pasted in from a GBK system into a UTF-8 file
        let bytes = iconv.encode(p.name, 'gb18030');
        if (decodesAsUtf8(bytes)) bytes = Buffer.concat([bytes, Buffer.from([0xff])]);
        fields[nameAt] = new RawBytes(bytes);
        break;
      }
      case 'hukou':
        fields[5] = '';
        break;
      case 'region':
        fields[4] = String(fields[4]).slice(0, 11);
        break;
      case 'nr_code':
        fields[0] = `NR-${String(fields[0])}`;
        break;
      case 'grade':
        fields[3] = f.lang === 'zh' ? '五级' : '5';
        break;
      case 'type':
        fields[2] = f.lang === 'zh' ? '其他' : 'other';
        break;
      case 'icd':
        fields[2] = rng.pick(['高血压', 'I10.', 'hypertension']);
        break;
      case 'category':
        fields[3] = f.lang === 'zh' ? '其他' : 'other';
        break;
      case 'future':
        fields[3] = isoOf(ends[k]! + rng.int(1, 20));
        break;
      case 'amount':
        fields[8] = Number(fields[8]).toFixed(3); // three decimals: not an amount in yuan
        break;
      case 'bool':
        fields[4] = '2';
        break;
      case 'huge':
        fields[5] = '1234567890123.00';
        break;
      case 'event':
        fields[2] = f.lang === 'zh' ? '注销' : 'deregistered';
        break;
      case 'says_nothing':
        fields[2] = f.no;
        fields[3] = '';
        fields[4] = '';
        break;
      case 'house_grade':
        fields[2] = f.lang === 'zh' ? 'B级' : 'B';
        break;
      case 'loss':
        fields[4] = `约${Math.round(Number(fields[4]) / 10000)}万`;
        break;
      case 'stage':
        fields[2] = f.lang === 'zh' ? '初中' : 'junior_high';
        break;
      case 'beyond_held':
        fields[3] = Number(fields[2]) + 1;
        break;
      case 'count':
        fields[4] = f.lang === 'zh' ? '两' : '1.5';
        break;
      case 'school_year': {
        const y = Number(String(fields[3]).slice(0, 4)) - 1;
        fields[3] = `${y}-${y + 1}`;
        break;
      }
      default:
        break;
    }
    f.out.row(fields);
    if (dirt !== null) f.facts.rejects++;
    return { loaded: dirt === null, rescuable };
  };

  // ---- one household, all periods
  const newPerson = (relation: Relation, age: number, surname: string | undefined, kind: Kind, from = 0): Person => {
    const male = rng.chance(0.5);
    const born = from === 0 ? bornAt(Math.max(0, age)) : rng.int(starts[from]!, ends[from]!);
    const validId = newId(born, male);
    const employment: Employment =
      age < 6 ? '' : age < 18 ? 'student' : age < 23 && rng.chance(0.5) ? 'student'
        : age >= 60 ? (rng.chance(0.8) ? 'retired' : 'unable')
          : kind === 'needy' || kind === 'covered'
            ? rng.weighted([['employed', 35], ['unemployed', 40], ['unable', 25]] as const)
            : rng.weighted([['employed', 86], ['unemployed', 8], ['unable', 3], ['retired', 3]] as const);
    const p: Person = {
      validId, name: nameOf(surname), relation, born, birthYear: Number(validId.slice(6, 10)), employment, from, to: P,
      disability: null, diagnoses: [], claimRate: 0, onRoster: false, validOtherRow: false, lastLoadedClaim: -1,
      // most of the elderly draw a pension: small for the needy (residents' scheme), an employee's for the others
      pension: rng.chance(0.85) ? (kind === 'needy' || kind === 'covered' ? rng.int(150, 1200) : rng.int(1500, 5500)) : null,
      // about half of the unemployed register
      registers: rng.chance(0.5),
      registeredOn: null,
      // high school and vocational school (15-17), college and university (18-22): 2,000-5,000 and 5,000-15,000 a year
      fees: employment === 'student' && age >= 15 && age <= 22 && rng.chance(age < 18 ? 0.9 : 1) ? (age < 18 ? rng.int(2000, 5000) : rng.int(5000, 15000)) : null,
    };
    // what the disability federation and the health commission know, and how often the person sees a doctor
    const needy = kind === 'needy' || kind === 'covered';
    const elderly = age >= 60;
    if (rng.chance(needy ? 0.11 : elderly ? 0.08 : 0.04)) {
      p.disability = {
        type: rng.weighted(DISABILITY_TYPES),
        grade: rng.weighted([[1, 12], [2, 25], [3, 30], [4, 33]] as const),
        certified: Math.max(born, rng.int(dayOf('2008-01-01'), firstEnd - 31)),
        from: 0,
      };
    }
    let chronic = false;
    if (rng.chance(elderly ? 0.42 : age >= 35 ? 0.12 : 0.02)) {
      chronic = true;
      const n = rng.chance(0.3) ? 2 : 1;
      for (let i = 0; i < n; i++) p.diagnoses.push({ code: rng.pick(DIAGNOSES.chronic), category: 'chronic', recorded: Math.max(born, rng.int(dayOf('2010-01-01'), firstEnd)), from: 0 });
    }
    if (rng.chance(needy ? 0.06 : elderly ? 0.04 : 0.01)) {
      p.diagnoses.push({ code: rng.pick(DIAGNOSES.severe), category: 'severe', recorded: Math.max(born, rng.int(dayOf('2020-01-01'), firstEnd)), from: 0 });
      chronic = true;
    }
    if (rng.chance(0.005)) {
      p.diagnoses.push({ code: rng.pick(DIAGNOSES.mental), category: 'mental', recorded: Math.max(born, rng.int(dayOf('2012-01-01'), firstEnd)), from: 0 });
    }
    // three claims a year on average, more for the old and the ill
    p.claimRate = (age >= 60 ? 3.8 : age < 18 ? 1.6 : 2.2) * (chronic ? 1.5 : 1);
    return p;
  };

  const newHousehold = (h: number): Household => {
    const street = streetOf(Math.floor(rng.next() * streets));
    const community = rng.int(1, COMMUNITIES);
    const region = `${street.code}${pad(street.villages ? 200 + community : community, 3)}`;
    const hukou = street.villages ? (rng.chance(0.8) ? 'rural' : 'urban') : rng.chance(0.04) ? 'rural' : 'urban';
    const kind = rng.weighted([['covered', 5], ['needy', 8], ['edge', 3], ['ordinary', 84]] as const);
    const size = kind === 'covered' && rng.chance(0.35) ? 1 : rng.weighted([[1, 18], [2, 30], [3, 26], [4, 15], [5, 7], [6, 4]] as const);
    const surname = rng.pick(SURNAMES);
    const headAge = size === 1 ? rng.int(kind === 'ordinary' ? 22 : 45, 92) : rng.int(26, 85);
    const members: Person[] = [newPerson('head', headAge, surname, kind)];
    for (let i = 1; i < size; i++) {
      if (i === 1 && headAge >= 24) members.push(newPerson('spouse', Math.max(20, headAge + rng.int(-6, 6)), undefined, kind));
      else if (headAge >= 55 && rng.chance(0.3)) members.push(newPerson('grandchild', rng.int(0, 16), surname, kind));
      else if (headAge <= 50 && rng.chance(0.2)) members.push(newPerson('parent', Math.min(100, headAge + rng.int(22, 35)), surname, kind));
      else if (rng.chance(0.04)) members.push(newPerson(rng.pick(['sibling', 'other'] as const), Math.max(18, headAge + rng.int(-10, 10)), surname, kind));
      else members.push(newPerson('child', Math.max(0, headAge - rng.int(22, 38)), surname, kind));
    }
    // per-capita monthly income against a ~1,000 yuan standard; a few households have none on record
    const perCapita = kind === 'covered' ? rng.int(0, 900) : kind === 'needy' ? rng.int(0, 950) : kind === 'edge' ? rng.int(1000, 1500) : rng.int(1600, 9000);
    const income = rng.chance(0.03) ? null : Math.round(perCapita * members.length);
    const assistance =
      kind === 'covered' ? (size === 1 && headAge >= 60 && rng.chance(0.5) ? 'tekun' : 'dibao')
        : kind === 'edge' ? (rng.chance(0.6) ? 'dibao_edge' : 'none')
          : kind === 'needy' && rng.chance(0.1) ? 'temporary' : 'none';
    const newline = rng.chance(0.001) ? '\n' : '';
    const address = `武汉市${rng.pick(ROADS)}${rng.int(1, 400)}号${rng.chance(0.2) ? ',' : ''}${newline}${rng.int(1, 30)}栋${rng.int(1, 6)}单元${rng.int(1, 30)}0${rng.int(1, 4)}室`;
    const phone = rng.chance(0.85) ? `1${rng.pick(['3', '5', '8', '9'])}${pad(rng.int(0, 999_999_999), 9)}` : '';
    // dangerous housing: ~0.3% of households, mostly village houses; a third of them grade D
    const house = rng.chance(street.villages ? 0.012 : 0.0012) ? { grade: rng.chance(1 / 3) ? ('D' as const) : ('C' as const), appraised: rng.int(firstEnd - 3 * 365, firstEnd - 1) } : null;
    return { id: `H${pad(h + 1, 8)}`, region, hukou, kind, members, income, baseIncome: income, assistance, address, phone, onRoster: true, perCapita, corrections: [], house };
  };

  /** the deaths, births and moves of the household being generated, for public security's file of their period */
  let happened: { k: number; p: Person; event: 'death' | 'birth' | 'move_out' | 'move_in'; day: number; parent?: Person }[] = [];
  const dayIn = (k: number) => rng.int(starts[k]!, ends[k]!);

  /** a month passes: deaths, births, moves, jobs, incomes, programmes, new certificates and diagnoses */
  const evolve = (hh: Household, k: number) => {
    for (const p of hh.members) {
      if (p.from > k || p.to <= k) continue;
      const age = ageAt(p, k);
      // ~0.6% of people a year (the city's people are older than most: needy and covered
      // households are), most of them old: 4%/year from 80, 0.7% from 60, 0.06% before
      if (rng.chance(age >= 80 ? 0.0034 : age >= 60 ? 0.0006 : 0.00005)) {
        p.to = k;
        if (hh.onRoster) happened.push({ k, p, event: 'death', day: dayIn(k) });
        continue;
      }
      // moves out of the jurisdiction: ~0.5% of people a year
      if (hh.onRoster && age >= 18 && rng.chance(0.0004)) {
        p.to = k;
        happened.push({ k, p, event: 'move_out', day: dayIn(k) });
        continue;
      }
      if (p.employment === 'unemployed' && rng.chance(0.03)) p.employment = 'employed';
      else if (p.employment === 'employed' && rng.chance(0.005)) p.employment = 'unemployed';
      if (p.disability === null && rng.chance(0.0004)) {
        p.disability = { type: rng.weighted(DISABILITY_TYPES), grade: rng.int(1, 4), certified: rng.int(starts[k]!, ends[k]!), from: k };
      }
      if (rng.chance(age >= 60 ? 0.003 : 0.0005)) {
        p.diagnoses.push({ code: rng.pick(DIAGNOSES.chronic), category: 'chronic', recorded: rng.int(starts[k]!, ends[k]!), from: k });
      }
      if (rng.chance(0.0005)) {
        p.diagnoses.push({ code: rng.pick(DIAGNOSES.severe), category: 'severe', recorded: rng.int(starts[k]!, ends[k]!), from: k });
        p.claimRate *= 2;
      }
    }
    const present = hh.members.filter((p) => p.from <= k && p.to > k);
    if (present.length > 0 && !present.some((p) => p.relation === 'head')) present[0]!.relation = 'head';
    // a birth in a young couple's household: ~0.7% of people a year
    const parent = present.find((p) => (p.relation === 'spouse' || p.relation === 'head') && ageAt(p, k) >= 22 && ageAt(p, k) <= 40);
    if (hh.onRoster && parent && rng.chance(0.0055)) {
      const baby = newPerson('child', 0, hh.members[0]!.name[0], 'ordinary', k);
      hh.members.push(baby);
      stats.people++;
      happened.push({ k, p: baby, event: 'birth', day: baby.born, parent });
    }
    // someone moves into the jurisdiction and joins the household: ~0.5% of people a year
    if (hh.onRoster && present.length > 0 && rng.chance(0.0012)) {
      const newcomer = newPerson('other', rng.int(18, 70), undefined, hh.kind);
      newcomer.from = k;
      hh.members.push(newcomer);
      stats.people++;
      happened.push({ k, p: newcomer, event: 'move_in', day: dayIn(k) });
    }
    if (hh.income !== null) {
      if (rng.chance(0.015)) hh.income = Math.round(hh.income * rng.money(0.3, 0.7)); // a lost job, an earner gone
      else if (hh.income !== hh.baseIncome && rng.chance(0.1)) hh.income = hh.baseIncome;
    }
    if ((hh.assistance === 'dibao' || hh.assistance === 'tekun') && rng.chance(0.008)) hh.assistance = 'none';
    else if (hh.kind === 'needy' && hh.assistance === 'none' && rng.chance(0.015)) hh.assistance = 'dibao';
  };

  /**
   * Disasters strike communities, not households: a community-month is hit now and then, and
   * then a third of its households register a loss. ~3 households in 1,000 a year.
   */
  const DISASTER_KINDS = ['暴雨洪涝', '风雹', '台风', '山体滑坡', '地震'] as const;
  const disasterOf = new Map<string, { event: string; day: number } | null>();
  const disasterIn = (region: string, month: number) => {
    const key = `${region}|${month}`;
    if (!disasterOf.has(key)) {
      const first = new Date(month * DAY);
      const last = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0) / DAY;
      disasterOf.set(key, rng.chance(0.0008) ? { event: `${first.getUTCFullYear()}年${first.getUTCMonth() + 1}月${rng.pick(DISASTER_KINDS)}`, day: rng.int(month, last) } : null);
    }
    return disasterOf.get(key)!;
  };
  /** the first days of the months whose disasters period k's file sends: a year's with the first period, its month later */
  const disasterMonths = (k: number): number[] => {
    if (k > 0) return [starts[k]!];
    const months: number[] = [];
    for (let d = windowStarts[0]!; d <= ends[0]!; ) {
      months.push(d);
      const t = new Date(d * DAY);
      d = Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1) / DAY;
    }
    return months;
  };
  const schoolYearAt = (k: number) => {
    const end = new Date(ends[k]! * DAY);
    return end.getUTCMonth() >= 8 ? end.getUTCFullYear() : end.getUTCFullYear() - 1;
  };

  /**
   * What the verification finds in a checked household (rates among checked households): a
   * vehicle in ~20%, a business registration in ~8%, housing-fund contributions (200-3,000 yuan a
   * month) in ~30%, property beyond the home in ~10%; most adults hold their home or nothing.
   */
  const CHECKED: Record<Kind, number> = { covered: 0.6, needy: 0.15, edge: 0.15, ordinary: 0.01 };
  const BAND_ZH = { under_50k: '5万元以下', '50k_to_150k': '5万至15万元', over_150k: '15万元以上' } as const;
  const ROLE_ZH = { owner: '投资人', legal_representative: '法定代表人', both: '投资人兼法定代表人' } as const;
  const checkHoldings = (hh: Household): Map<Person, Holdings> => {
    const adults = hh.members.filter((p) => p.from === 0 && ageAt(p, 0) >= 18);
    const found = new Map<Person, Holdings>(
      adults.map((p) => [p, { properties: p.relation === 'head' && rng.chance(0.6) ? 1 : 0, beyondHome: 0, vehicles: 0, band: null, businesses: 0, role: null, fund: null }]),
    );
    if (adults.length === 0) return found;
    const someone = () => found.get(rng.pick(adults))!;
    if (rng.chance(0.2)) {
      const x = someone();
      x.vehicles = rng.chance(0.8) ? 1 : 2;
      x.band = rng.chance(0.15) ? null : rng.weighted([['under_50k', 55], ['50k_to_150k', 35], ['over_150k', 10]] as const);
    }
    if (rng.chance(0.08)) {
      const x = someone();
      x.businesses = 1;
      x.role = rng.weighted([['owner', 70], ['legal_representative', 20], ['both', 10]] as const);
    }
    if (rng.chance(0.3)) someone().fund = rng.int(200, 3000);
    if (rng.chance(0.1)) {
      const x = someone();
      x.properties += 1;
      x.beyondHome = 1;
    }
    return found;
  };

  /** the claims a person settles in [from, to], in period k's file; corrections go to the next period's */
  const claimSeq = { n: 0 };
  const claims = (hh: Household, p: Person, k: number, count: number, from: number, to: number) => {
    const f = fileOf(k, 'medical-insurance');
    const covered = hh.assistance === 'dibao' || hh.assistance === 'tekun';
    const elderly = ageAt(p, k) >= 60;
    for (let i = 0; i < count; i++) {
      const settledDay = rng.int(from, to);
      const inpatient = rng.chance(elderly ? 0.08 : 0.03);
      const total = inpatient ? rng.money(3000, rng.chance(0.1) ? 150_000 : 40_000) : rng.money(30, rng.chance(0.1) ? 3000 : 600);
      const fund = Math.round(total * (inpatient ? rng.money(0.55, 0.8) : rng.money(0.3, 0.6)) * 100) / 100;
      const assist = covered && inpatient ? Math.round((total - fund) * 0.5 * 100) / 100 : null;
      let oop = Math.round((total - fund - (assist ?? 0)) * 100) / 100;
      if (rng.chance(0.003)) oop = Math.round((oop + rng.money(1, 50)) * 100) / 100; // does not add up: kept, flagged
      if (settledDay < p.born) continue;
      const settled = isoOf(settledDay);
      const claimId = `YB${settled.replaceAll('-', '')}${pad(++claimSeq.n, 9)}`;
      const row = (o: number, t: number): CsvField[] => [
        claimId, '', p.name, dateAsSent(settledDay), inpatient ? f.yes : f.no, moneyAsSent(t), fund, assist, o,
      ];
      const sent = emit(f, k, p, row(oop, total));
      if (sent.loaded || (sent.rescuable && p.onRoster)) p.lastLoadedClaim = Math.max(p.lastLoadedClaim, settledDay);
      if (sent.loaded && rng.chance(0.0005)) {
        // sent twice in one file: the later line replaces the earlier
        f.out.row(row(oop, total).map((v, j) => (j === ID_COLUMN['medical-insurance'] ? p.validId : v)));
        perPeriod[k]!.claimsResentInFile++;
      }
      // a correction of a claim of the last weeks, sent again next month
      if (k + 1 < P && settledDay >= ends[k]! - 45 && rng.chance(0.05)) {
        const fixed = Math.round(oop * 0.9 * 100) / 100;
        const next = fileOf(k + 1, 'medical-insurance');
        hh.corrections.push({
          k: k + 1,
          p,
          settledDay,
          fields: [claimId, '', p.name, dateAsSent(settledDay), inpatient ? next.yes : next.no, Math.round((fund + (assist ?? 0) + fixed) * 100) / 100, fund, assist, fixed],
        });
      }
    }
  };

  /** what every department sends of one household in period k */
  const writePeriod = (hh: Household, k: number) => {
    const present = hh.members.filter((p) => p.from <= k && p.to > k);
    for (const p of hh.members) {
      p.onRoster = false;
      p.validOtherRow = false;
    }
    if (hh.onRoster && present.length > 0) {
      const f = fileOf(k, 'civil-affairs');
      let accepted = 0;
      for (const p of present) {
        const head = p.relation === 'head';
        // income on the head's row; some offices repeat it on every row, a few get it wrong there
        const income = hh.income === null ? null : head || rng.chance(0.3) ? hh.income : rng.chance(0.003) ? hh.income + 100 : null;
        const fields: CsvField[] = [
          hh.id, '', p.name, word(f, p.relation), hh.region, word(f, hh.hukou), word(f, hh.assistance),
          income === null ? '' : moneyAsSent(income), word(f, p.employment), hh.address, hh.phone,
        ];
        const sent = emit(f, k, p, fields, { roster: true });
        if (sent.loaded) {
          p.onRoster = true;
          accepted++;
          if (rng.chance(0.001)) {
            // the same person listed again, in another household: the second row is refused
            f.out.row([`${hh.id}X`, p.validId, p.name, word(f, 'other'), hh.region, word(f, hh.hukou), word(f, 'none'), '', '', '', '']);
            f.facts.rejects++;
          }
        }
      }
      if (accepted > 0) perPeriod[k]!.rosterHouseholds++;
    }
    for (const p of present) {
      if (p.disability && p.disability.from <= k) {
        const f = fileOf(k, 'disability');
        const d = p.disability;
        const grade = f.lang === 'zh' ? GRADE_ZH[d.grade - 1]! : rng.chance(0.1) ? `${d.grade}级` : String(d.grade);
        if (emit(f, k, p, ['', p.name, word(f, d.type), grade, rng.chance(0.03) ? '' : dateAsSent(d.certified)]).loaded) p.validOtherRow = true;
      }
      for (const d of p.diagnoses) {
        if (d.from > k) continue;
        const f = fileOf(k, 'health');
        const category = f.lang === 'zh' ? CATEGORY_ZH[d.category]! : d.category;
        if (emit(f, k, p, ['', p.name, d.code, category, rng.chance(0.03) ? '' : dateAsSent(d.recorded)]).loaded) p.validOtherRow = true;
      }
      // human resources: a pension from 60, a registration while unemployed of working age; not a
      // sighting that makes an outsider a household
      const age = ageAt(p, k);
      const pension = age >= 60 ? p.pension : null;
      const registered = p.employment === 'unemployed' && p.registers && age >= 16 && age < 60;
      if (pension !== null || registered) {
        const f = fileOf(k, 'human-resources');
        if (registered && p.registeredOn === null) p.registeredOn = rng.int(Math.max(starts[0]! - 700, p.born + 16 * 366), ends[k]!);
        emit(f, k, p, ['', p.name, registered ? f.yes : f.no, registered ? dateAsSent(p.registeredOn!) : '', pension ?? '']);
      }
      // education: a student's enrolment and fees, by the stage of their age this school year
      if (p.fees !== null && age >= 15 && age <= 22) {
        const f = fileOf(k, 'education');
        const stage = age < 18 ? (p.fees < 3000 ? 'secondary_vocational' : 'high_school') : 'higher';
        const y = schoolYearAt(k);
        const word = f.lang === 'zh' ? { high_school: '普通高中', secondary_vocational: '中职', higher: '本科' }[stage] : stage;
        emit(f, k, p, ['', p.name, word, `${y}-${y + 1}`, p.fees]);
      }
      // the first period carries a year of claims, later ones their month
      if (k === 0) claims(hh, p, 0, rng.poisson(p.claimRate), windowStarts[0]!, ends[0]!);
      else claims(hh, p, k, rng.poisson(p.claimRate / 12), starts[k]!, ends[k]!);
    }
    const head = present.find((p) => p.relation === 'head');
    if (head && hh.house) {
      const f = fileOf(k, 'housing');
      emit(f, k, head, ['', head.name, f.lang === 'zh' ? `${hh.house.grade}级` : hh.house.grade, dateAsSent(hh.house.appraised)]);
    }
    if (head) {
      for (const month of disasterMonths(k)) {
        const d = disasterIn(hh.region, month);
        if (d === null || !rng.chance(1 / 3)) continue;
        const f = fileOf(k, 'emergency');
        emit(f, k, head, ['', head.name, d.event, dateAsSent(d.day), rng.int(2000, 80000), rng.chance(0.4) ? f.yes : f.no]);
      }
    }
    // verification (核对): the centre checks applicants and listed households, not the city: most
    // covered households, some needy ones, few others; every adult of a checked household has a row
    if (hh.verification === undefined) hh.verification = hh.onRoster && rng.chance(CHECKED[hh.kind]) ? checkHoldings(hh) : null;
    if (hh.verification) {
      const f = fileOf(k, 'verification');
      for (const [p, x] of hh.verification) {
        if (!present.includes(p)) continue;
        const band = x.band === null ? '' : f.lang === 'zh' ? BAND_ZH[x.band] : x.band;
        const role = x.role === null ? '' : f.lang === 'zh' ? ROLE_ZH[x.role] : x.role;
        emit(f, k, p, ['', p.name, x.properties, x.beyondHome, x.vehicles, band, x.businesses, role, x.fund ?? '']);
      }
    }
    // public security: the month's deaths, births and moves (a birth names the parent)
    for (const e of happened) {
      if (e.k !== k || !hh.members.includes(e.p)) continue;
      const f = fileOf(k, 'public-security');
      emit(f, k, e.p, ['', e.p.name, word(f, e.event), dateAsSent(e.day), e.parent?.validId ?? '', '']);
    }
    for (const c of hh.corrections) {
      if (c.k !== k) continue;
      const sent = emit(fileOf(k, 'medical-insurance'), k, c.p, c.fields);
      if (sent.loaded || (sent.rescuable && c.p.onRoster)) c.p.lastLoadedClaim = Math.max(c.p.lastLoadedClaim, c.settledDay);
    }
    hh.corrections = hh.corrections.filter((c) => c.k > k);
    // who the link must add as "not on roster": reported by another department, not on the accepted roster
    for (const p of hh.members) {
      if (!p.onRoster && (p.validOtherRow || p.lastLoadedClaim >= windowStarts[k]!)) perPeriod[k]!.notOnRoster++;
    }
  };

  const all = files.flat();
  for (let h = 0; h < opts.households; h++) {
    const hh = newHousehold(h);
    happened = [];
    stats.people += hh.members.length;
    // someone the other departments know but who is on no roster of this city (~0.4% of households)
    const outsider = rng.chance(0.004) ? { ...newHousehold(h), onRoster: false, corrections: [] } : null;
    if (outsider) {
      outsider.members = outsider.members.slice(0, 1);
      stats.outsiders++;
    }
    for (let k = 0; k < P; k++) {
      if (k > 0) evolve(hh, k);
      writePeriod(hh, k);
      truth?.record(hh.id, h, k, hh.region, hh.hukou, hh.members.filter((p) => p.from <= k && p.to > k).map((p) => ageAt(p, k)), hh.income, hh.perCapita);
      if (outsider) writePeriod(outsider, k);
    }
    for (const f of all) if (f.out.pending >= CSV_CHUNK) await f.out.flush();
    if (opts.onProgress && (h & 0x3fff) === 0x3fff) opts.onProgress(h + 1);
  }

  for (let k = 0; k < P; k++) {
    const manifest: { period: string; files: Record<string, { sha256: string; rows: number; encoding?: string }> } = { period: periods[k]!, files: {} };
    const facts = {} as Record<CitySource, CityFile>;
    for (const f of files[k]!) {
      const closed = await f.out.close();
      manifest.files[`${f.source}.csv`] = { sha256: closed.sha256, rows: closed.rows, ...(f.facts.declared ? { encoding: f.facts.declared } : {}) };
      facts[f.source] = { ...f.facts, rows: closed.rows, bytes: closed.bytes };
    }
    await writeFile(join(out, periods[k]!, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    stats.period[periods[k]!] = { files: facts, ...perPeriod[k]! };
  }
  await truth?.close();
  await writeFile(join(out, 'city.json'), JSON.stringify(stats, null, 2) + '\n');
  return stats;
}

function decodesAsUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
