import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskIdNumber } from '../../src/identity/id-number.js';
import { departmentIds } from '../../src/ingest/departments.js';
import { cli, ROOT } from '../helpers/cli.js';
import { useScratchDatabase } from '../helpers/database.js';
import { useScratchDirs } from '../helpers/faults.js';
import { fixturePeople, type FixturePeople } from '../helpers/fixture-people.js';

/**
 * Nothing personal in the logs: a whole fixture run at trace level, as a terminal-less cron job
 * (JSON lines) and with --log-json, its output searched for every ID number, name, address and
 * phone number of the fixture's four departments, and for anything shaped like an ID number.
 * Messages about refused rows and files say where (file, line, column) and why, never who.
 */

const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
// 18 characters (17 digits and a check character) or 15 digits, standing alone: digits inside
// longer runs or hex strings are not ID numbers
const ID_SHAPED = /(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;

let people: FixturePeople;

beforeAll(async () => {
  people = await fixturePeople(INBOX);
  // the search below is only as good as this list: every file's columns were found
  expect(people.ids.size).toBeGreaterThan(100);
  expect(people.names.size).toBeGreaterThan(80);
  expect(people.addresses.size).toBeGreaterThan(20);
  expect(people.phones.size).toBeGreaterThan(20);
});

/** What of the fixture's people a text gives away, masked so that the failure report does not. */
function leaks(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(ID_SHAPED)) found.add(`ID-shaped number ${maskIdNumber(m[1]!)}`);
  for (const id of people.ids) if (text.includes(id)) found.add(`ID number ${maskIdNumber(id)}`);
  for (const name of people.names) if (text.includes(name)) found.add(`name ${[...name][0]}*`);
  for (const address of people.addresses) if (text.includes(address)) found.add(`address ${address.slice(0, 6)}…`);
  for (const phone of people.phones) if (text.includes(phone)) found.add(`phone ${phone.slice(0, 3)}…`);
  return [...found];
}

const scratch = useScratchDirs();

describe('a full run of the fixture district', () => {
  let home: string;
  beforeAll(async () => {
    home = await scratch('logs');
  });

  it('at --log-level trace (first run: the server initialised, both periods): no ID number, name, address or phone', async () => {
    const r = await cli(['run', '--inbox', INBOX, '--log-level', 'trace'], { SAFETYNET_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    // the logs searched are the whole of them: the server's own lines, every stage's summary
    expect(r.stderr).toContain('initialising the embedded PostgreSQL');
    expect(r.stderr).toMatch(/"msg":"postgres"/);
    // one "ingested" per extract the fixture has: five in 2026-09, ten in 2026-10 (the optional departments first deliver then)
    const extracts = (await Promise.all(['2026-09', '2026-10'].map(async (p) => (await readdir(join(INBOX, p))).filter((f) => /\.(csv|xlsx)$/.test(f)).length))).reduce((a, b) => a + b, 0);
    expect(extracts).toBe(15);
    expect(r.stderr.match(/"msg":"ingested"/g)).toHaveLength(extracts);
    expect(r.stdout).toMatch(/2026-10: \d+ households scored/);
    expect(r.stdout).toContain('  human-resources: not delivered; no 2026-09 extract and none before it\n');
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  it('with --log-json (a rerun of both periods) and the run ledger: the same', async () => {
    const r = await cli(['run', '--inbox', INBOX, '--log-level', 'trace', '--log-json', '--json'], { SAFETYNET_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.every((l) => JSON.parse(l) !== null)).toBe(true);
    expect(lines.length).toBeGreaterThan(20);
    const runs = await cli(['runs', '--json', '--log-level', 'trace', '--log-json'], { SAFETYNET_HOME: home });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout.trim().split('\n')).toHaveLength(4);
    expect(leaks(r.stdout + r.stderr + runs.stdout + runs.stderr)).toEqual([]);
  });

  it('the data-quality reports: each refused row by file, line, column and reason, and no ID number or its person', async () => {
    const reports = (await readdir(join(home, 'exports'))).filter((f) => f.startsWith('data-quality-'));
    expect(reports.sort()).toEqual(['data-quality-2026-09.csv', 'data-quality-2026-10.csv']);
    let refused = 0;
    for (const report of reports) {
      const period = report.slice('data-quality-'.length, -'.csv'.length);
      const text = await readFile(join(home, 'exports', report), 'utf8');
      expect(leaks(text), report).toEqual([]);
      const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
      for (const row of rows.filter((r) => r.status === 'rejected')) {
        refused++;
        // the source names the file: <inbox>/<period>/<source>.csv
        expect(departmentIds()).toContain(row.source);
        const file = await readFile(join(INBOX, period, `${row.source}.csv`));
        const lines = file.toString('latin1').split('\n').length;
        const line = Number(row.line);
        expect(line, `${report}: ${JSON.stringify(row)}`).toBeGreaterThan(1);
        expect(line).toBeLessThan(lines);
        // the column as the file names it, and the reason in words that start with it; a row
        // refused whole (wrong number of fields, garbled) says so instead
        if (row.column) expect(row.problem!.startsWith(`${row.column.split(', ')[0]}: `), row.problem).toBe(true);
        else expect(row.problem).toMatch(/\brow\b/);
      }
    }
    // the fixture refuses rows on purpose (a bad check digit, a missing value, …)
    expect(refused).toBeGreaterThanOrEqual(5);
  });
});

describe('a file refused for a broken row', () => {
  const db = useScratchDatabase('logs');

  it('names the file and the line, gives no ID number or name, in the message, the log or the ledger', async () => {
    // 2026-10 cut after a person whose name opens a quote that never closes: the CSV cannot be read
    const inbox = await scratch('logs-inbox');
    await mkdir(join(inbox, '2026-10'));
    await copyFile(join(INBOX, 'dibao-standards.csv'), join(inbox, 'dibao-standards.csv'));
    for (const f of ['disability.csv', 'medical-insurance.csv', 'health.csv']) await copyFile(join(INBOX, '2026-10', f), join(inbox, '2026-10', f));
    const lines = (await readFile(join(INBOX, '2026-10', 'civil-affairs.csv'), 'utf8')).split('\n');
    expect(lines[0]).toMatch(/^\uFEFFid_number,name,/);
    const broken = lines.findIndex((l, i) => i > 3 && /^\d{17}[\dX],[^",]{2,},[^"]*$/.test(l));
    const [id, name] = lines[broken]!.split(',') as [string, string];
    lines[broken] = lines[broken]!.replace(`${id},${name},`, `${id},"${name},`);
    await writeFile(join(inbox, '2026-10', 'civil-affairs.csv'), lines.slice(0, broken + 1).join('\n'));

    const env = { DATABASE_URL: db.url };
    const r = await cli(['run', '--inbox', inbox, '--period', '2026-10', '--log-level', 'trace', '--log-json'], env);
    expect(r.code, r.stderr).toBe(3);
    const message = r.stderr.split('\n').find((l) => l.startsWith('safetynet: '));
    expect(message).toMatch(new RegExp(`^safetynet: 2026-10/civil-affairs\\.csv, line ${broken + 1}: .*quote`));
    const runs = await cli(['runs', '--period', '2026-10', '--json'], env);
    expect(JSON.parse(runs.stdout.trim().split('\n')[0]!)).toMatchObject({ status: 'refused', error: message!.slice('safetynet: '.length) });
    expect(leaks(r.stdout + r.stderr + runs.stdout + runs.stderr)).toEqual([]);
  });
});

describe('what reaches a log by accident', () => {
  const db = useScratchDatabase('leaks');

  // The logger of the CLI (stderr, as in production) in a process of its own, given what a run
  // may hand it when something goes wrong: real PostgreSQL errors about a row, the embedded
  // server's own log lines, a parser's complaint as an error's cause, a row logged whole.
  const script = `
    import pg from 'pg';
    import { createLogger } from './src/log.ts';
    import { ExtractRejected } from './src/errors.ts';
    const { ID, NAME, ADDRESS, URL } = process.env;
    const log = createLogger({ level: 'trace', json: true });
    const c = new pg.Client({ connectionString: URL });
    await c.connect();
    await c.query('create temp table person (id18 text primary key, name text not null, address text, age int)');
    await c.query('insert into person values ($1, $2, $3, 1)', [ID, NAME, ADDRESS]);
    const failing = (sql, params) => c.query(sql, params).then(() => { throw new Error('no error from ' + sql); }, (e) => e);
    log.error({ err: await failing('insert into person values ($1, $2, $3, 1)', [ID, NAME, ADDRESS]) }, 'unique violation');
    log.error({ err: await failing('insert into person values ($1, null, $2, 1)', [ID.slice(0, 17) + '0', ADDRESS]) }, 'not-null violation');
    log.error({ err: await failing("insert into person values ('1', '2', '3', $1)", [NAME]) }, 'not a number');
    log.trace({ postgres: 'ERROR:  duplicate key value violates unique constraint "person_pkey"\\nDETAIL:  Key (id18)=(' + ID + ') already exists.\\nCONTEXT:  COPY person, line 1: "' + ID + '\\t' + NAME + '\\t' + ADDRESS + '"' }, 'postgres');
    log.error({ err: new ExtractRejected({ file: '2026-10/civil-affairs.csv', line: 7 }, 'not a readable CSV file', { cause: new Error('Invalid Opening Quote: value is "' + NAME + ' ' + ID + '"') }) }, 'refused');
    log.warn({ row: { 身份证号: ID, 姓名: NAME, 住址: ADDRESS, nested: { deeper: { name: NAME, phone: '13800000000' } } } }, 'row');
    log.info('person ' + ID + ' in a message');
    await c.end();
  `;

  it('PostgreSQL errors, server lines, causes and rows: what and where stay, who goes', async () => {
    const [ID] = [...people.ids].filter((id) => /^\d{17}[\dX]$/.test(id));
    const [NAME] = people.names;
    const [ADDRESS] = people.addresses;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, env: { ...process.env, ID, NAME, ADDRESS, URL: db.url } },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut })),
      ),
    );
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; err?: Record<string, unknown>; postgres?: string });
    expect(lines.map((l) => l.msg)).toEqual(['unique violation', 'not-null violation', 'not a number', 'postgres', 'refused', 'row', `person ${maskIdNumber(ID!)} in a message`]);
    expect(leaks(stdout + stderr)).toEqual([]);
    // what happened, and where, is still there for whoever reads the log
    expect(lines[0]!.err).toMatchObject({ code: '23505', message: expect.stringContaining('duplicate key value violates unique constraint'), detail: 'Key (id18)=(values withheld) already exists.' });
    expect(lines[1]!.err).toMatchObject({ code: '23502', detail: 'Failing row contains (values withheld).' });
    expect(lines[2]!.err).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: (value withheld)' });
    expect(lines[3]!.postgres).toContain('COPY person, line 1: (row withheld)');
    expect(lines[4]!.err).toMatchObject({ message: '2026-10/civil-affairs.csv, line 7: not a readable CSV file', cause: { type: 'Error' } });
  });
});
