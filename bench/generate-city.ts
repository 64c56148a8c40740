/**
 * Synthetic city for the benchmark: N households (~2.7 people each) in ~10 streets × ~10
 * communities, two periods (2026-09 with a year of medical claims history, 2026-10 with a
 * month of claims), written in the data contract's inbox layout with a manifest per period.
 *
 * Deterministic (seeded mulberry32) and streaming: each household is generated, written to
 * every file that concerns it and forgotten; writes respect backpressure. Memory stays flat
 * whatever N is (the only state is a per-birth-date sequence counter that keeps IDs unique).
 *
 *     tsx bench/generate-city.ts --out DIR [--households 100000] [--seed 20260901]
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { checkDigit } from '../src/identity/id-number.js';

export const PERIODS = ['2026-09', '2026-10'] as const;
export const SOURCES = ['civil-affairs.csv', 'disability.csv', 'medical-insurance.csv', 'health.csv'] as const;

export interface CityOptions {
  out: string;
  households: number;
  seed?: number;
}

export interface CityStats {
  households: number;
  people: number;
  outsiders: number;
  invalidIds: number;
  rows: Record<string, Record<string, number>>;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------
// randomness

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(readonly next: () => number) {}
  chance(p: number) {
    return this.next() < p;
  }
  int(lo: number, hi: number) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of xs) total += w;
    let r = this.next() * total;
    for (const [v, w] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
  /** Poisson(λ) by inversion; λ is small here */
  poisson(lambda: number) {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l && k < 200);
    return k - 1;
  }
  money(lo: number, hi: number) {
    return Math.round((lo + this.next() * (hi - lo)) * 100) / 100;
  }
}

// ---------------------------------------------------------------------------------------------
// output: CSV lines batched into chunks, hashed and counted for the manifest, backpressure kept

const CHUNK = 64 * 1024;

class CsvOut {
  private stream: WriteStream;
  private hash: Hash = createHash('sha256');
  private buffered: string[] = [];
  private size = 0;
  rows = 0;

  constructor(
    readonly path: string,
    readonly encoding: 'utf-8' | 'utf-8-bom' | 'gb18030',
    header: readonly string[],
  ) {
    this.stream = createWriteStream(path, { highWaterMark: 256 * 1024 });
    if (encoding === 'utf-8-bom') this.push(Buffer.from([0xef, 0xbb, 0xbf]));
    this.buffered.push(header.join(',') + '\r\n');
  }

  private push(bytes: Buffer): boolean {
    this.hash.update(bytes);
    return this.stream.write(bytes);
  }

  row(fields: readonly (string | number | null | undefined)[]): void {
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const v = fields[i];
      const s = v === null || v === undefined ? '' : String(v);
      if (i > 0) line += ',';
      line += /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    }
    line += '\r\n';
    this.buffered.push(line);
    this.size += line.length;
    this.rows++;
  }

  /** hands the batched lines to the stream; resolves once the stream can take more */
  async flush(force = false): Promise<void> {
    if (!force && this.size < CHUNK) return;
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    const bytes = this.encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
    if (!this.push(bytes)) await once(this.stream, 'drain');
  }

  async close(): Promise<{ sha256: string; rows: number; encoding?: string }> {
    await this.flush(true);
    this.stream.end();
    await once(this.stream, 'finish');
    return { sha256: this.hash.digest('hex'), rows: this.rows, ...(this.encoding === 'gb18030' ? { encoding: 'gb18030' } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------
// the city

const COUNTY = '420106';
const STREETS = 10;
const COMMUNITIES = 10;
/** birth regions of the people (mostly local; a few from elsewhere, one retired code) */
const BIRTH_REGIONS: readonly (readonly [string, number])[] = [
  [COUNTY, 70], ['420102', 8], ['420111', 6], ['421002', 5], ['110101', 3], ['440106', 3], ['510104', 3], ['420107', 2],
];

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海燕辉鹏飞宇浩俊峰婷雪梅琳晨欣怡子涵梓轩佳琪思源';
const ROADS = ['中山路', '和平大道', '友谊路', '建设大道', '解放路', '民主路', '胜利街', '新华路', '武珞路', '黄鹤楼路'];
const DIAGNOSES = {
  chronic: ['I10', 'E11.9', 'J44.9', 'I25.1', 'N18.3', 'M17.9', 'E78.5', 'I50.9'],
  severe: ['C18.7', 'C34.9', 'N18.5', 'C50.9', 'I63.9', 'C16.9', 'D61.9'],
  mental: ['F20.0', 'F31.9', 'F25.0', 'F06.8'],
} as const;
const DISABILITY_TYPES: readonly (readonly [string, number])[] = [
  ['physical', 45], ['visual', 12], ['hearing', 14], ['speech', 2], ['intellectual', 10], ['mental', 10], ['multiple', 7],
];

interface Person {
  id: string; // what the roster says (may be corrupted)
  validId: string;
  name: string;
  relation: string;
  birthYear: number;
  age: number;
  employment: string;
}

const REF_YEAR = 2026;
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** a day in [from, to] (ISO dates), uniformly */
function dayBetween(rng: Rng, from: string, to: string): string {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  return isoDay(new Date(a + Math.floor(rng.next() * ((b - a) / 86_400_000 + 1)) * 86_400_000));
}

/** corrupts an ID the way typing does: a wrong check digit, a swapped digit, a bad birth date or a short number */
function corrupt(rng: Rng, id: string): string {
  switch (rng.int(0, 3)) {
    case 0: {
      const right = id[17]!;
      const wrong = '0123456789X'.replace(right, '');
      return id.slice(0, 17) + rng.pick(wrong.split(''));
    }
    case 1:
      return id.slice(0, 10) + id[11] + id[10] + id.slice(12); // transposed month digits
    case 2:
      return id.slice(0, 10) + '13' + id.slice(12); // month 13
    default:
      return id.slice(0, 16);
  }
}

export async function generateCity(opts: CityOptions): Promise<CityStats> {
  const t0 = performance.now();
  const out = resolve(opts.out);
  const rng = new Rng(mulberry32(opts.seed ?? 20260901));
  const inbox = join(out, 'inbox');

  // (birth region, birth date) → next sequence: keeps every generated ID unique without remembering IDs
  const sequences = new Map<string, number>();
  const newId = (birth: string, male: boolean): string => {
    const region = rng.weighted(BIRTH_REGIONS);
    const key = region + birth;
    const n = sequences.get(key) ?? 0;
    sequences.set(key, n + 1);
    if (n >= 500) return newId(birth, male); // that date is full in this region: draw another region
    const seq = n * 2 + (male ? 1 : 0);
    const id17 = `${region}${birth}${pad(seq, 3)}`;
    return id17 + checkDigit(id17);
  };
  const birthFor = (age: number): string => {
    const year = REF_YEAR - age - (rng.chance(0.75) ? 1 : 0); // the ages are at the end of 2026
    const month = rng.int(1, 12);
    const day = rng.int(1, new Date(Date.UTC(year, month, 0)).getUTCDate());
    return `${year}${pad(month, 2)}${pad(day, 2)}`;
  };
  const nameOf = (surname?: string) =>
    (surname ?? rng.pick([...SURNAMES])) + rng.pick([...GIVEN]) + (rng.chance(0.7) ? rng.pick([...GIVEN]) : '');

  await mkdir(inbox, { recursive: true });
  await writeFile(
    join(inbox, 'dibao-standards.csv'),
    [
      'region_code,hukou_type,effective_from,monthly_standard',
      `${COUNTY},urban,2025-01,1000`,
      `${COUNTY},rural,2025-01,850`,
      `${COUNTY},urban,2026-07,1050`,
      // two streets with their own standard (longest prefix wins)
      `${COUNTY}001,urban,2026-01,1100`,
      `${COUNTY}009,rural,2026-01,900`,
    ].join('\r\n') + '\r\n',
  );

  // period 1 is sent in English headers as UTF-8; period 2 in Chinese headers, with the
  // disability federation on GB18030 and civil affairs with a BOM, as departments do
  const headers = {
    en: {
      'civil-affairs.csv': ['household_id', 'id_number', 'name', 'relation', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'employment', 'address', 'phone'],
      'disability.csv': ['id_number', 'name', 'disability_type', 'disability_grade', 'certified_on'],
      'medical-insurance.csv': ['claim_id', 'id_number', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid', 'assistance_paid', 'out_of_pocket'],
      'health.csv': ['id_number', 'name', 'diagnosis_code', 'category', 'recorded_on'],
    },
    zh: {
      'civil-affairs.csv': ['户编号', '身份证号', '姓名', '与户主关系', '区划代码', '户籍性质', '救助类型', '家庭月收入', '就业状况', '住址', '联系电话'],
      'disability.csv': ['身份证号', '姓名', '残疾类别', '残疾等级', '发证日期'],
      'medical-insurance.csv': ['结算单号', '身份证号', '姓名', '结算日期', '是否住院', '医疗总费用', '统筹支付', '医疗救助支付', '个人自付'],
      'health.csv': ['身份证号', '姓名', '诊断编码', '病种类别', '登记日期'],
    },
  } as const;
  const files: Record<string, Record<string, CsvOut>> = {};
  for (const period of PERIODS) {
    await mkdir(join(inbox, period), { recursive: true });
    const zh = period === '2026-10';
    files[period] = {};
    for (const f of SOURCES) {
      const enc = zh && f === 'disability.csv' ? 'gb18030' : zh && f === 'civil-affairs.csv' ? 'utf-8-bom' : 'utf-8';
      files[period]![f] = new CsvOut(join(inbox, period, f), enc, headers[zh ? 'zh' : 'en'][f]);
    }
  }
  const [p1, p2] = [files['2026-09']!, files['2026-10']!];

  const stats: CityStats = { households: opts.households, people: 0, outsiders: 0, invalidIds: 0, rows: {}, seconds: 0 };
  const INVALID = 0.003; // share of rows whose ID number is mistyped
  const idFor = (p: Person) => {
    if (!rng.chance(INVALID)) return p.validId;
    stats.invalidIds++;
    return corrupt(rng, p.validId);
  };
  /** an ID as another department writes it: sometimes the old 15-digit form, sometimes a lowercase x */
  const deptId = (p: Person) => {
    const id = idFor(p);
    if (id !== p.validId) return id;
    if (p.birthYear < 2000 && p.birthYear >= 1900 && rng.chance(0.02)) return id.slice(0, 6) + id.slice(8, 17);
    if (id.endsWith('X') && rng.chance(0.3)) return id.slice(0, 17) + 'x';
    return id;
  };

  let claimSeq = 0;
  const claims = (p: Person, id: () => string, lambdaYear: number, covered: boolean) => {
    // a year of history in 2026-09's file, this month's claims in 2026-10's
    const nYear = rng.poisson(lambdaYear);
    for (let i = 0; i < nYear; i++) {
      const c = claim(p, covered, '2025-10-01', '2026-09-30');
      p1['medical-insurance.csv']!.row([c.claimId, id(), p.name, c.settled, c.inpatient, c.total, c.fund, c.assist, c.oop]);
      // a correction of a recent claim, re-sent next month
      if (c.settled >= '2026-08-01' && rng.chance(0.05)) {
        const fixed = Math.round(c.oop * 0.9 * 100) / 100;
        const total = Math.round((c.fund + (c.assist === '' ? 0 : c.assist) + fixed) * 100) / 100;
        p2['medical-insurance.csv']!.row([c.claimId, id(), p.name, c.settled, c.inpatient, total, c.fund, c.assist, fixed]);
      }
    }
    const nMonth = rng.poisson(lambdaYear / 12);
    for (let i = 0; i < nMonth; i++) {
      const c = claim(p, covered, '2026-10-01', '2026-10-31');
      p2['medical-insurance.csv']!.row([c.claimId, id(), p.name, c.settled, c.inpatient, c.total, c.fund, c.assist, c.oop]);
    }
  };
  const claim = (p: Person, covered: boolean, from: string, to: string) => {
    const settled = dayBetween(rng, from, to);
    const inpatient = rng.chance(p.age >= 60 ? 0.08 : 0.03) ? 1 : 0;
    const total = inpatient ? rng.money(3000, rng.chance(0.1) ? 150_000 : 40_000) : rng.money(30, rng.chance(0.1) ? 3000 : 600);
    const fund = Math.round(total * (inpatient ? rng.money(0.55, 0.8) : rng.money(0.3, 0.6)) * 100) / 100;
    const assist = covered && inpatient ? Math.round((total - fund) * 0.5 * 100) / 100 : '';
    let oop = Math.round((total - fund - (assist === '' ? 0 : assist)) * 100) / 100;
    if (rng.chance(0.003)) oop = Math.round((oop + rng.money(1, 50)) * 100) / 100; // does not add up: flagged
    claimSeq++;
    const claimId = `YB${settled.replaceAll('-', '')}${pad(claimSeq, 8)}`;
    return { claimId, settled, inpatient, total, fund, assist: assist as number | '', oop };
  };

  /** what the disability federation and the health commission know of one person, both periods */
  const departments = (p: Person, covered: boolean, needy: boolean) => {
    const id = () => deptId(p);
    const elderly = p.age >= 60;
    if (rng.chance(needy ? 0.11 : elderly ? 0.08 : 0.04)) {
      const type = rng.weighted(DISABILITY_TYPES);
      const grade = rng.weighted([[1, 12], [2, 25], [3, 30], [4, 33]] as const);
      const certified = dayBetween(rng, '2008-01-01', '2026-08-31');
      const row = [id(), p.name, type, grade, certified] as const;
      p1['disability.csv']!.row(row);
      p2['disability.csv']!.row(row);
    } else if (rng.chance(0.0015)) {
      // certified during October: only in 2026-10's list
      p2['disability.csv']!.row([id(), p.name, '肢体', '三级', dayBetween(rng, '2026-10-01', '2026-10-31')]);
    }
    let chronic = false;
    if (rng.chance(elderly ? 0.42 : p.age >= 35 ? 0.12 : 0.02)) {
      chronic = true;
      const n = rng.chance(0.3) ? 2 : 1;
      for (let i = 0; i < n; i++) {
        const row = [id(), p.name, rng.pick(DIAGNOSES.chronic), 'chronic', dayBetween(rng, '2010-01-01', '2026-09-30')];
        p1['health.csv']!.row(row);
        p2['health.csv']!.row([row[0], row[1], row[2], '慢性病', row[4]]);
      }
    }
    if (rng.chance(needy ? 0.06 : elderly ? 0.04 : 0.01)) {
      const row = [id(), p.name, rng.pick(DIAGNOSES.severe), 'severe', dayBetween(rng, '2020-01-01', '2026-09-30')];
      p1['health.csv']!.row(row);
      p2['health.csv']!.row([row[0], row[1], row[2], '重特大疾病', row[4]]);
      chronic = true;
    }
    if (rng.chance(0.005)) {
      const row = [id(), p.name, rng.pick(DIAGNOSES.mental), 'mental', dayBetween(rng, '2012-01-01', '2026-09-30')];
      p1['health.csv']!.row(row);
      p2['health.csv']!.row([row[0], row[1], row[2], '严重精神障碍', row[4]]);
    }
    // three claims a year on average, more for the old and the ill
    const lambda = (p.age >= 60 ? 3.8 : p.age < 18 ? 1.6 : 2.2) * (chronic ? 1.5 : 1);
    claims(p, id, lambda, covered);
  };

  const EMPLOYMENT_ZH: Record<string, string> = { employed: '在业', unemployed: '失业', retired: '退休', student: '在校', unable: '无劳动能力' };
  const RELATION_ZH: Record<string, string> = { head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女', sibling: '兄弟姐妹', other: '其他' };
  const ASSISTANCE_ZH: Record<string, string> = { none: '无', dibao: '低保', tekun: '特困', dibao_edge: '低保边缘', temporary: '临时救助' };

  const all = Object.values(files).flatMap((f) => Object.values(f));
  for (let h = 0; h < opts.households; h++) {
    const street = 1 + Math.floor(rng.next() * STREETS);
    const community = 1 + Math.floor(rng.next() * COMMUNITIES);
    const region = `${COUNTY}${pad(street, 3)}${pad(community, 3)}`;
    const rural = street >= 9; // the outer streets are villages
    const householdId = `H${pad(street, 2)}${pad(community, 2)}${pad(h + 1, 7)}`;

    // the household's kind decides its income and coverage
    const kind = rng.weighted([['covered', 5], ['needy', 8], ['edge', 3], ['ordinary', 84]] as const);
    const size = kind === 'covered' && rng.chance(0.35) ? 1 : rng.weighted([[1, 18], [2, 30], [3, 26], [4, 15], [5, 7], [6, 4]] as const);
    const surname = rng.pick([...SURNAMES]);
    const members: Person[] = [];
    const headAge = size === 1 ? rng.int(kind === 'ordinary' ? 22 : 45, 92) : rng.int(26, 85);
    const add = (relation: string, age: number, sameSurname: boolean) => {
      const male = rng.chance(0.5);
      const validId = newId(birthFor(Math.max(0, age)), male);
      const employment =
        age < 6 ? '' : age < 18 ? 'student' : age < 23 && rng.chance(0.5) ? 'student'
          : age >= 60 ? (rng.chance(0.8) ? 'retired' : 'unable')
          : kind === 'needy' || kind === 'covered'
            ? rng.weighted([['employed', 35], ['unemployed', 40], ['unable', 25]] as const)
            : rng.weighted([['employed', 86], ['unemployed', 8], ['unable', 3], ['retired', 3]] as const);
      members.push({ id: validId, validId, name: nameOf(sameSurname ? surname : undefined), relation, birthYear: Number(validId.slice(6, 10)), age, employment });
    };
    add('head', headAge, true);
    for (let i = 1; i < size; i++) {
      if (i === 1 && headAge >= 24) add('spouse', Math.max(20, headAge + rng.int(-6, 6)), false);
      else if (headAge >= 55 && rng.chance(0.3)) add('grandchild', rng.int(0, 16), true);
      else if (headAge <= 50 && rng.chance(0.2)) add('parent', Math.min(100, headAge + rng.int(22, 35)), true);
      else add('child', Math.max(0, headAge - rng.int(22, 38)), true);
    }
    stats.people += members.length;

    // per-capita monthly income against a ~1000 yuan standard
    const perCapita =
      kind === 'covered' ? rng.int(0, 900) : kind === 'needy' ? rng.int(0, 950) : kind === 'edge' ? rng.int(1000, 1500) : rng.int(1600, 9000);
    const income = Math.round(perCapita * members.length);
    const assistance =
      kind === 'covered' ? (size === 1 && headAge >= 60 && rng.chance(0.5) ? 'tekun' : 'dibao')
        : kind === 'edge' ? (rng.chance(0.6) ? 'dibao_edge' : 'none')
          : kind === 'needy' && rng.chance(0.1) ? 'temporary' : 'none';
    // a fall in income in October for a few households
    const income2 = rng.chance(0.03) ? Math.round(income * rng.money(0.2, 0.7)) : income;
    const road = rng.pick(ROADS);
    const address = `武汉市武昌区${road}${rng.int(1, 400)}号${rng.chance(0.2) ? ',' : ''}${rng.int(1, 30)}栋${rng.int(1, 6)}单元${rng.int(1, 30)}0${rng.int(1, 4)}室`;
    const phone = rng.chance(0.85) ? `1${rng.pick(['3', '5', '8', '9'])}${pad(rng.int(0, 999_999_999), 9)}` : '';
    const hukou = rural ? 'rural' : 'urban';
    const covered = assistance === 'dibao' || assistance === 'tekun';

    for (const p of members) {
      const id = idFor(p);
      const headRow = p.relation === 'head';
      p1['civil-affairs.csv']!.row([householdId, id, p.name, p.relation, region, hukou, assistance, headRow || rng.chance(0.5) ? income : '', p.employment, address, phone]);
      p2['civil-affairs.csv']!.row([
        householdId, id, p.name, RELATION_ZH[p.relation], region, rural ? '农村' : '城镇', ASSISTANCE_ZH[assistance],
        headRow ? income2 : '', EMPLOYMENT_ZH[p.employment] ?? '', address, phone,
      ]);
      departments(p, covered, kind === 'needy' || kind === 'covered');
    }

    // someone the other departments know but who is on no roster of this city (~0.4% of households)
    if (rng.chance(0.004)) {
      const age = rng.int(30, 90);
      const validId = newId(birthFor(age), rng.chance(0.5));
      const outsider: Person = { id: validId, validId, name: nameOf(), relation: 'head', birthYear: Number(validId.slice(6, 10)), age, employment: '' };
      stats.outsiders++;
      departments(outsider, false, true);
    }

    if ((h & 63) === 63) for (const f of all) await f.flush();
  }

  for (const period of PERIODS) {
    const manifest: { files: Record<string, unknown> } = { files: {} };
    stats.rows[period] = {};
    for (const f of SOURCES) {
      const m = await files[period]![f]!.close();
      manifest.files[f] = m;
      stats.rows[period]![f] = m.rows;
    }
    await writeFile(join(inbox, period, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
  stats.seconds = Math.round((performance.now() - t0) / 10) / 100;
  await writeFile(join(out, 'city.json'), JSON.stringify({ ...stats, seed: opts.seed ?? 20260901 }, null, 2));
  return stats;
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const out = argValue(args, '--out');
  if (!out) {
    process.stderr.write('usage: tsx bench/generate-city.ts --out DIR [--households N] [--seed S]\n');
    process.exit(2);
  }
  const households = Number(argValue(args, '--households') ?? 100_000);
  const seed = Number(argValue(args, '--seed') ?? 20260901);
  if (!Number.isInteger(households) || households <= 0) {
    process.stderr.write('--households must be a positive whole number\n');
    process.exit(2);
  }
  const stats = await generateCity({ out, households, seed });
  process.stdout.write(JSON.stringify(stats) + '\n');
}
