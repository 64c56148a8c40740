import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { exitCodeFor } from '../../src/errors.js';
import { checkDigit } from '../../src/identity/id-number.js';
import { medicalInsurance } from '../../src/ingest/medical-insurance/medical-insurance.source.js';
import { isoDate, periodEnd } from '../../src/period.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { CLAIMS_HEADER, DISABILITY_HEADER, HEALTH_HEADER, makeId, ROSTER_HEADER } from '../helpers/inbox.js';

/**
 * Whatever mix of good and bad rows a medical-insurance extract holds, however it is quoted,
 * ordered, ended and encoded, declared or not: the run accounts for every row (rows read =
 * loaded + rejected, one rejected_row per rejected row, each on its own line) and every good row
 * is stored as sent. The one exception is the contract's: a file most of whose rows do not decode
 * is in another encoding and is refused whole, leaving the period untouched.
 *
 * Reproduce a failure with the seed and path fast-check prints: FC_SEED=<seed> FC_PATH=<path>.
 */

// a generated file may be mostly bad rows: the reject limit that refuses such a month is
// bad-input-corpus.test.ts's; here every row must reconcile
const config = parseConfig({ ingest: { maxRejectRate: 1 } });
const test = useTestDatabase();
const NUM_RUNS = Number(process.env.FC_RUNS ?? 40);
const SEED = Number(process.env.FC_SEED ?? 20261031);

// a roster of one person, and claimants the roster does not know (so no identity rescue applies)
const ROSTER_PERSON = makeId('19600101', 1);
function idWithX(birth: string): string {
  for (let seq = 1; seq < 999; seq++) {
    const id17 = `420106${birth}${String(seq).padStart(3, '0')}`;
    if (checkDigit(id17) === 'X') return `${id17}X`;
  }
  throw new Error('no ID with an X check character');
}
const CLAIMANTS = [makeId('19750315', 11), makeId('19820704', 22), makeId('19450101', 31, '110101'), idWithX('19900909')];

type IdForm = 'as-is' | 'full-width' | 'spaced' | 'lowercase' | 'old-15';
const fullWidth = (s: string) => s.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
function writtenAs(id: string, form: IdForm): string {
  switch (form) {
    case 'full-width':
      return fullWidth(id);
    case 'spaced':
      return ` ${id.slice(0, 6)} ${id.slice(6)} `;
    case 'lowercase':
      return id.toLowerCase();
    case 'old-15':
      // only people born in the 1900s ever had one
      return id.slice(6, 8) === '19' ? `${id.slice(0, 6)}${id.slice(8, 17)}` : id;
    default:
      return id;
  }
}

const NAMES = ['张伟', '欧阳小明', '李娜, 王芳', '他说"你好"', '多行\n姓名', 'Excel 的\r\n换行', 'Ｏ’Brien', '', '  赵 六  ', 'Zoë'];
const TRUE = ['1', 'Y', 'true', '是', 'yes', 'T'];
const FALSE = ['0', 'n', 'FALSE', '否', 'no'];

type MoneyForm = 'plain' | 'thousands' | 'full-width';
function yuan(cents: number, form: MoneyForm): string {
  const whole = Math.floor(cents / 100);
  const frac = cents % 100 ? `.${String(cents % 100).padStart(2, '0')}` : '';
  const s = form === 'thousands' ? `${whole.toLocaleString('en-US')}${frac}` : `${whole}${frac}`;
  return form === 'full-width' ? fullWidth(s) : s;
}

type DateForm = 'iso' | 'compact' | 'slash';
function dateAs(iso: string, form: DateForm): string {
  const [y, m, d] = iso.split('-');
  if (form === 'compact') return `${y}${m}${d}`;
  if (form === 'slash') return `${y}/${Number(m)}/${Number(d)}`;
  return iso;
}

interface GoodRow {
  kind: 'good';
  claimant: number;
  idForm: IdForm;
  name: string;
  daysBeforeEnd: number;
  dateForm: DateForm;
  inpatient: string;
  totalCents: number;
  fundShare: number;
  moneyForm: MoneyForm;
}
const DEFECTS = ['checksum', 'empty-id', 'missing-date', 'feb-30', 'after-period', 'amount', 'boolean', 'short', 'long', 'nul', 'undecodable'] as const;
type Defect = (typeof DEFECTS)[number];
interface BadRow extends Omit<GoodRow, 'kind'> {
  kind: Defect;
  amount: string;
}
type Row = GoodRow | BadRow;

const goodFields = {
  claimant: fc.nat(CLAIMANTS.length - 1),
  idForm: fc.constantFrom<IdForm>('as-is', 'full-width', 'spaced', 'lowercase', 'old-15'),
  name: fc.constantFrom(...NAMES),
  daysBeforeEnd: fc.nat(400),
  dateForm: fc.constantFrom<DateForm>('iso', 'compact', 'slash'),
  inpatient: fc.constantFrom(...TRUE, ...FALSE),
  totalCents: fc.nat(10_000_000),
  fundShare: fc.double({ min: 0, max: 1, noNaN: true }),
  moneyForm: fc.constantFrom<MoneyForm>('plain', 'thousands', 'full-width'),
};
const goodRow: fc.Arbitrary<Row> = fc.record({ kind: fc.constant('good' as const), ...goodFields });
const badRow: fc.Arbitrary<Row> = fc.record({
  kind: fc.constantFrom(...DEFECTS),
  amount: fc.constantFrom('1e309', '-0', '١٢٣', '12.345', 'NaN', '1234567890123'),
  ...goodFields,
});

const COLUMNS = ['claim_id', 'id_number', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid', 'assistance_paid', 'out_of_pocket'] as const;
type Column = (typeof COLUMNS)[number];
const CHINESE: Record<Column, string> = Object.fromEntries(medicalInsurance.columns.map((c) => [c.name, c.headers[0]!])) as Record<Column, string>;

const extract = fc.record({
  rows: fc.array(fc.oneof({ arbitrary: goodRow, weight: 3 }, { arbitrary: badRow, weight: 2 }), { maxLength: 24 }),
  columns: fc.shuffledSubarray([...COLUMNS], { minLength: COLUMNS.length }),
  chineseHeaders: fc.boolean(),
  encoding: fc.constantFrom('utf-8', 'utf-8-bom', 'gb18030'),
  declared: fc.boolean(),
  manifest: fc.boolean(),
  quoting: fc.constantFrom('minimal', 'all', 'mixed'),
  // 'appended': a CRLF header over LF rows, as when another system appends to a file
  eol: fc.constantFrom('\n', '\r\n', 'appended'),
  trailingEol: fc.boolean(),
  blankLinesBefore: fc.array(fc.nat(2), { maxLength: 24 }),
  quoteSeed: fc.nat(),
});
type Extract = typeof extract extends fc.Arbitrary<infer T> ? T : never;

interface Expected {
  bytes: Buffer;
  rows: number;
  /** line → column and words of the reason */
  rejected: Map<number, { column: string; says: string }>;
  /** line → the stored claim */
  stored: Map<number, { claim_id: string; id18: string; name: string | null; settled_on: string; inpatient: boolean; total: string; fund: string; oop: string }>;
  undecodable: number;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The file's bytes and what the run must make of each of its lines. */
function build(x: Extract, period: string, runId: number): Expected {
  const end = periodEnd(period);
  const header = x.columns.map((c) => (x.chineseHeaders ? CHINESE[c] : c));
  let n = 0;
  const quoteThis = () => x.quoting === 'all' || (x.quoting === 'mixed' && ((x.quoteSeed >> n++ % 30) & 1) === 1);
  const cell = (v: string) => (/[",\r\n]/.test(v) || quoteThis() ? `"${v.replaceAll('"', '""')}"` : v);
  const encode = (s: string) => (x.encoding === 'gb18030' ? iconv.encode(s, 'gb18030') : Buffer.from(s, 'utf8'));
  const headerOf = (c: Column) => (x.chineseHeaders ? CHINESE[c] : c);

  const parts: Buffer[] = [];
  if (x.encoding === 'utf-8-bom') parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  parts.push(encode(header.map(cell).join(',')));
  const expected: Expected = { bytes: Buffer.alloc(0), rows: x.rows.length, rejected: new Map(), stored: new Map(), undecodable: 0 };
  let line = 1;
  x.rows.forEach((r, i) => {
    // blank lines are skipped, but they count as lines
    const blanks = x.blankLinesBefore[i] ?? 0;
    const eol = x.eol === 'appended' ? (i === 0 ? '\r\n' : '\n') : x.eol;
    parts.push(encode(eol.repeat(1 + blanks)));
    line += 1 + blanks;
    const claimId = `P${runId}-${i + 1}`;
    const person = CLAIMANTS[r.claimant]!;
    const settled = new Date(end.getTime() - r.daysBeforeEnd * 86_400_000);
    const fund = Math.floor(r.totalCents * r.fundShare);
    const values: Record<Column, string> = {
      claim_id: claimId,
      id_number: writtenAs(person, r.idForm),
      name: r.name,
      settled_on: dateAs(iso(settled), r.dateForm),
      inpatient: r.inpatient,
      total_cost: yuan(r.totalCents, r.moneyForm),
      fund_paid: yuan(fund, r.moneyForm),
      assistance_paid: '',
      out_of_pocket: yuan(r.totalCents - fund, r.moneyForm),
    };
    let fields = x.columns.map((c) => values[c]);
    let undecodableAt = -1;
    const reject = (column: Column | null, says: string) => expected.rejected.set(line, { column: column ? headerOf(column) : '', says });
    switch (r.kind) {
      case 'good':
        expected.stored.set(line, {
          claim_id: claimId,
          id18: person,
          name: r.name.normalize('NFKC').trim() || null,
          settled_on: iso(settled),
          inpatient: TRUE.includes(r.inpatient),
          total: (r.totalCents / 100).toFixed(2),
          fund: (fund / 100).toFixed(2),
          oop: ((r.totalCents - fund) / 100).toFixed(2),
        });
        break;
      case 'checksum': {
        const wrong = person.slice(0, 17) + (person[17] === '0' ? '1' : '0');
        fields = x.columns.map((c) => (c === 'id_number' ? wrong : values[c]));
        reject('id_number', 'invalid ID number (checksum)');
        break;
      }
      case 'empty-id':
        fields = x.columns.map((c) => (c === 'id_number' ? '' : values[c]));
        reject('id_number', 'invalid ID number (empty)');
        break;
      case 'missing-date':
        fields = x.columns.map((c) => (c === 'settled_on' ? ' ' : values[c]));
        reject('settled_on', 'value is missing');
        break;
      case 'feb-30':
        fields = x.columns.map((c) => (c === 'settled_on' ? `${end.getUTCFullYear()}-02-30` : values[c]));
        reject('settled_on', 'is not a date');
        break;
      case 'after-period': {
        const later = iso(new Date(end.getTime() + (1 + r.daysBeforeEnd) * 86_400_000));
        fields = x.columns.map((c) => (c === 'settled_on' ? dateAs(later, r.dateForm) : values[c]));
        reject('settled_on', 'after the end of the period');
        break;
      }
      case 'amount':
        fields = x.columns.map((c) => (c === 'total_cost' ? r.amount : values[c]));
        reject('total_cost', 'not an amount in yuan');
        break;
      case 'boolean':
        fields = x.columns.map((c) => (c === 'inpatient' ? '可能' : values[c]));
        reject('inpatient', 'is not a yes/no value');
        break;
      case 'short':
        fields = fields.slice(0, -1);
        reject(null, `row has ${COLUMNS.length - 1} fields, the header has ${COLUMNS.length}`);
        break;
      case 'long':
        fields = [...fields, 'extra'];
        reject(null, `row has ${COLUMNS.length + 1} fields, the header has ${COLUMNS.length}`);
        break;
      case 'nul':
        fields = x.columns.map((c) => (c === 'name' ? `${values.name}\u0000` : values[c]));
        reject('name', 'a NUL character');
        break;
      case 'undecodable':
        // a byte no encoding of the contract can decode, at the end of the name
        undecodableAt = x.columns.indexOf('name');
        expected.undecodable++;
        reject('name', 'the row is garbled');
        break;
    }
    const cells = fields.map(cell);
    if (undecodableAt < 0) parts.push(encode(cells.join(',')));
    else {
      const before = cells.slice(0, undecodableAt + 1).join(',');
      // inside the name's closing quote, if it has one
      const quoted = before.endsWith('"') && cells[undecodableAt]!.startsWith('"');
      parts.push(encode(quoted ? before.slice(0, -1) : before), Buffer.from([0xff]), encode(quoted ? '"' : ''));
      const after = cells.slice(undecodableAt + 1);
      if (after.length) parts.push(encode(`,${after.join(',')}`));
    }
    line += fields.reduce((k, f) => k + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  });
  if (x.trailingEol) parts.push(encode(x.eol === 'appended' ? '\n' : x.eol));
  expected.bytes = Buffer.concat(parts);
  return expected;
}

const csv = (rows: string[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';

async function inboxFor(x: Extract, e: Expected, period: string): Promise<string> {
  const inbox = await mkdtemp(join(tmpdir(), 'safetynet-property-'));
  const dir = join(inbox, period);
  await mkdir(dir, { recursive: true });
  const files: Record<string, Buffer> = {
    'civil-affairs.csv': Buffer.from(csv([ROSTER_HEADER, ['R1', ROSTER_PERSON, '罗一', 'head', '420106001001', 'urban', 'none', '2000', 'employed', '', '']])),
    'disability.csv': Buffer.from(csv([DISABILITY_HEADER])),
    'medical-insurance.csv': e.bytes,
    'health.csv': Buffer.from(csv([HEALTH_HEADER])),
  };
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  if (x.manifest || x.declared) {
    const manifest = Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => [
        name,
        {
          sha256: createHash('sha256').update(bytes).digest('hex'),
          rows: name === 'medical-insurance.csv' ? e.rows : name === 'civil-affairs.csv' ? 1 : 0,
          ...(name === 'medical-insurance.csv' && x.declared ? { encoding: x.encoding === 'gb18030' ? 'GB18030' : 'UTF-8' } : {}),
        },
      ]),
    );
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ files: manifest }));
  }
  return inbox;
}

let runs = 0;
/** a fresh month for every generated extract, so that no run sees another's claims */
const nextPeriod = () => {
  const i = runs++;
  return `${2030 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
};

async function withinMinute<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the run hung')), 60_000)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('generated medical-insurance extracts', () => {
  it('always reconcile, and every good row is stored as sent', async () => {
    await fc.assert(
      fc.asyncProperty(extract, async (x) => {
        // an undeclared file is detected from its bytes: a GB18030 file needs Chinese text to
        // tell, and a stray byte is only the row's when the file's encoding is known or plain
        fc.pre(x.declared || x.encoding !== 'gb18030' || x.chineseHeaders);
        fc.pre(x.declared || !x.rows.some((r) => r.kind === 'undecodable'));
        const period = nextPeriod();
        const e = build(x, period, runs);
        const inbox = await inboxFor(x, e, period);
        const db = test.handle.db;
        let summary: RunSummary | undefined;
        let failure: unknown;
        try {
          summary = await withinMinute(runPeriod({ database: test.handle, config, log: silentLog }, { inbox, period }));
        } catch (err) {
          failure = err;
        }

        if (e.undecodable * 2 > e.rows) {
          // most rows do not decode: the file is in another encoding, refused whole
          expect(failure, 'a file most of whose rows do not decode is refused').toBeDefined();
          expect(exitCodeFor(failure)).toBe(3);
          expect((failure as Error).message).toContain(`${e.undecodable} of ${e.rows} data rows do not read as`);
          const left = await db.selectFrom('claim').select('claim_id').where('received_period', '=', period).execute();
          expect(left).toEqual([]);
          return;
        }
        if (failure) throw failure;
        const counts = summary!.sources['medical-insurance'];
        expect(counts).toEqual({ rows_read: e.rows, rows_loaded: e.stored.size, rows_rejected: e.rejected.size });
        for (const s of Object.values(summary!.sources)) expect(s.rows_read).toBe(s.rows_loaded + s.rows_rejected);
        const load = await db.selectFrom('source_load').select(['rows_read', 'rows_loaded', 'rows_rejected']).where('period', '=', period).where('source', '=', 'medical-insurance').executeTakeFirstOrThrow();
        expect(load).toEqual(counts);

        const rejected = await db.selectFrom('rejected_row').select(['line', 'column_name', 'reason']).where('period', '=', period).where('source', '=', 'medical-insurance').orderBy('line').execute();
        expect(rejected.map((r) => r.line)).toEqual([...e.rejected.keys()]);
        for (const r of rejected) {
          const want = e.rejected.get(r.line)!;
          expect(r.reason, `line ${r.line}`).toContain(want.says);
          if (want.column) expect(r.column_name, `line ${r.line}`).toBe(want.column);
        }

        const stored = await db
          .selectFrom('claim')
          .select(['line', 'claim_id', 'id18', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid', 'out_of_pocket'])
          .where('received_period', '=', period)
          .orderBy('line')
          .execute();
        expect(
          stored.map((s) => [
            s.line,
            {
              claim_id: s.claim_id,
              id18: s.id18,
              name: s.name,
              settled_on: String(s.settled_on),
              inpatient: s.inpatient,
              total: Number(s.total_cost).toFixed(2),
              fund: Number(s.fund_paid).toFixed(2),
              oop: Number(s.out_of_pocket).toFixed(2),
            },
          ]),
        ).toEqual([...e.stored.entries()]);
      }),
      { numRuns: NUM_RUNS, seed: SEED, path: process.env.FC_PATH },
    );
  });
});

// the generator's own vocabulary holds what the contract says it should
it('builds its rows from the contract: Chinese headers, and a GB18030 header that is not UTF-8', () => {
  expect(CLAIMS_HEADER).toEqual([...COLUMNS]);
  expect(CHINESE.claim_id).toBe('结算单号');
  const header = iconv.encode(COLUMNS.map((c) => CHINESE[c]).join(','), 'gb18030');
  expect(() => new TextDecoder('utf-8', { fatal: true }).decode(header)).toThrow();
  expect(isoDate(periodEnd('2030-02'))).toBe('2030-02-28');
});
