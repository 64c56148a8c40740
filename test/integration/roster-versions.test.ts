import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { migrations } from '../../migrations/index.js';
import { parseConfig } from '../../src/config/load-config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { generateCity } from '../../src/generate/generate-city.js';
import { rosterAsOf } from '../../src/ingest/civil-affairs/civil-affairs.source.js';
import { householdsAsOf } from '../../src/link/households.js';
import { membersAsOf } from '../../src/link/members.js';
import { silentLog, useScratchDatabase, useTestDatabase } from '../helpers/database.js';

/**
 * The roster kept as versions (migration 0025): a month writes the rows that changed, and what
 * any period reads is what that period's roster said, whatever order the months were run in
 * and however often. The generated city changes between months as a real one does (people born,
 * dying, moving, incomes given on members' rows or not); a second city stands in for a wrong
 * delivery of a month, which a rerun then corrects.
 */
const config = parseConfig(undefined);
const test = useTestDatabase();
const late = useScratchDatabase('rosterlate');
const together = useScratchDatabase('rostertogether');
const HOUSEHOLDS = 300;
const PERIODS = ['2026-09', '2026-10', '2026-11', '2026-12'];

let dir: string;
let inbox: string;
let wrongInbox: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-roster-versions-'));
  inbox = join(dir, 'city');
  await generateCity({ out: inbox, households: HOUSEHOLDS, periods: PERIODS.length, seed: 2026 });
  // the same city, but its second month delivered from another city altogether
  const other = join(dir, 'other');
  await generateCity({ out: other, households: HOUSEHOLDS, periods: PERIODS.length, seed: 99 });
  wrongInbox = join(dir, 'wrong');
  await cp(inbox, wrongInbox, { recursive: true });
  await rm(join(wrongInbox, PERIODS[1]!), { recursive: true });
  await cp(join(other, PERIODS[1]!), join(wrongInbox, PERIODS[1]!), { recursive: true });
  // and without its human resources extract (optional: the month reads the one before)
  await rm(join(wrongInbox, PERIODS[1]!, 'human-resources.csv'));
  const manifestPath = join(wrongInbox, PERIODS[1]!, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: Record<string, unknown> };
  delete manifest.files['human-resources.csv'];
  await writeFile(manifestPath, JSON.stringify(manifest));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (database: DatabaseHandle, period: string, from = inbox) => runPeriod({ database, config, log: silentLog }, { inbox: from, period });

async function list(db: Kysely<Database>, period: string): Promise<string> {
  const chunks: Buffer[] = [];
  await writeWarningList(db, { period, all: true }, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }), silentLog);
  return Buffer.concat(chunks).toString('utf8');
}

/** A period's roster as its readers see it, in one order. */
async function roster(db: Kysely<Database>, period: string): Promise<unknown[]> {
  const { rows } = await sql`select * from ${rosterAsOf(period)} as r order by id18`.execute(db);
  return rows.map((r) => ({ ...(r as object), valid_from: undefined, valid_until: undefined }));
}

/** The roster's versions, and those of the departments kept so (migration 0032). */
async function versions(db: Kysely<Database>): Promise<unknown[]> {
  return [
    (await sql`select * from roster_version order by id18, valid_from`.execute(db)).rows,
    (await sql`select * from diagnosis_version order by id18, ordinal, valid_from`.execute(db)).rows,
    (await sql`select * from human_resources_version order by id18, valid_from`.execute(db)).rows,
    (await sql`select * from verification_version order by id18, valid_from`.execute(db)).rows,
    (await sql`select * from enrolment_version order by id18, valid_from`.execute(db)).rows,
  ];
}

/** A period's diagnoses and human-resources rows as their readers see them. */
async function departmentRows(db: Kysely<Database>, period: string): Promise<unknown[]> {
  return [
    (await sql`select * from diagnosis where period = ${period} order by id18, ordinal`.execute(db)).rows,
    (await sql`select * from human_resources where period = ${period} order by id18`.execute(db)).rows,
    (await sql`select * from verification where period = ${period} order by id18`.execute(db)).rows,
    (await sql`select * from enrolment where period = ${period} order by id18`.execute(db)).rows,
  ];
}

/** Every period's scores as their readers see them, explanations joined (migration 0026). */
async function explainedScores(db: Kysely<Database>): Promise<unknown[]> {
  return (await sql`select * from household_score order by period, household_id`.execute(db)).rows;
}

async function members(db: Kysely<Database>): Promise<unknown[]> {
  return (await sql`select * from member order by period, id18`.execute(db)).rows;
}

async function households(db: Kysely<Database>): Promise<unknown[]> {
  return (await sql`select * from household order by period, household_id`.execute(db)).rows;
}

const clean: { lists: Record<string, string>; rosters: Record<string, unknown[]>; departments: Record<string, unknown[]>; versions: unknown[] } = {
  lists: {}, rosters: {}, departments: {}, versions: [],
};

describe('the roster as versions', () => {
  it('writes a month\'s changed rows only, and each period reads its own roster', async () => {
    const changed: Record<string, number> = {};
    for (const p of PERIODS) changed[p] = (await run(test.handle, p)).households_changed;
    for (const p of PERIODS) {
      clean.lists[p] = await list(test.handle.db, p);
      clean.rosters[p] = await roster(test.handle.db, p);
      clean.departments[p] = await departmentRows(test.handle.db, p);
    }
    clean.versions = await versions(test.handle.db);
    // the diagnoses and registrations, sent whole each month, are written when they change (migration 0032)
    for (const [i, table] of [[1, 'diagnosis'], [2, 'human_resources'], [3, 'verification'], [4, 'enrolment']] as const) {
      const rows = PERIODS.reduce((n, p) => n + (clean.departments[p]![i - 1] as unknown[]).length, 0);
      const kept = (clean.versions[i] as unknown[]).length;
      expect(kept, table).toBeLessThan(rows * 0.5);
      expect(kept, table).toBeGreaterThanOrEqual((clean.departments[PERIODS[3]!]![i - 1] as unknown[]).length);
    }
    const people = PERIODS.reduce((n, p) => n + clean.rosters[p]!.length, 0);
    // a copy a month would be `people` rows; the city changes a few percent a month
    const rosterVersions = clean.versions[0] as unknown[];
    expect(rosterVersions.length).toBeLessThan(people * 0.5);
    expect(rosterVersions.length).toBeGreaterThan(clean.rosters[PERIODS[0]!]!.length);
    // every person once a period, and the periods differ (people came and went)
    for (const p of PERIODS) expect(new Set(clean.rosters[p]!.map((r) => (r as { id18: string }).id18)).size).toBe(clean.rosters[p]!.length);
    expect(clean.rosters[PERIODS[3]!]).not.toEqual(clean.rosters[PERIODS[0]!]);
    // a household's income is on its first row only
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${rosterAsOf(PERIODS[3]!)} as r where monthly_income is not null and position > 1 and relation <> 'head'`.execute(test.handle.db);
    expect(rows[0]!.n).toBe(0);
    // a period's members: the roster's people in force then and the people outside the roster,
    // the same through the view every reader has and through the run's own membersAsOf
    for (const p of PERIODS) {
      const { rows: [counts] } = await sql<{ members: number; roster: number; outside: number }>`
        select (select count(*)::int from member where period = ${p}) as members,
               (select count(*)::int from ${rosterAsOf(p)} as r) as roster,
               (select count(*)::int from household where period = ${p} and not on_roster) as outside`.execute(test.handle.db);
      expect(counts!.members, p).toBe(counts!.roster + counts!.outside);
      const viewed = (await sql`select * from member where period = ${p} order by id18`.execute(test.handle.db)).rows;
      expect((await sql`select * from ${membersAsOf(p)} as m order by id18`.execute(test.handle.db)).rows, p).toEqual(viewed);
      // and its households, through the view and through householdsAsOf
      const homes = (await sql`select * from household where period = ${p} order by household_id`.execute(test.handle.db)).rows;
      expect(homes.length, p).toBeGreaterThan(0);
      expect((await sql`select * from ${householdsAsOf(p)} as h order by household_id`.execute(test.handle.db)).rows, p).toEqual(homes);
    }
    // the households as versions: a household is written again only when it changes
    const { rows: [homes] } = await sql<{ versions: number; copies: number }>`
      select (select count(*)::int from household_version) as versions, (select count(*)::int from household) as copies`.execute(test.handle.db);
    expect(homes!.versions).toBeLessThan(homes!.copies * 0.5);
    // the run says how many households each month wrote: the versions that begin with it
    const { rows: begun } = await sql<{ period: string; n: number }>`
      select valid_from as period, count(*)::int as n from household_version group by 1 order by 1`.execute(test.handle.db);
    expect(Object.fromEntries(begun.map((r) => [r.period, r.n]))).toEqual(changed);
    expect(changed[PERIODS[1]!]).toBeLessThan(changed[PERIODS[0]!]! * 0.5);
    // the scores' explanations are kept once, however many households and months they explain
    // (migration 0026), and every score finds its own
    const { rows: [kept] } = await sql<{ explanations: number; scores: number; unexplained: number }>`
      select (select count(*)::int from score_explanation) as explanations, (select count(*)::int from scored_household) as scores,
             (select count(*)::int from household_score where reasons is null or dimensions is null) as unexplained`.execute(test.handle.db);
    expect(kept!.explanations).toBeLessThan(kept!.scores * 0.8);
    expect(kept!.unexplained).toBe(0);
  });

  it('a wrong month rerun changes that month\'s roster alone', async () => {
    await run(test.handle, PERIODS[1]!, wrongInbox);
    expect(await roster(test.handle.db, PERIODS[1]!)).not.toEqual(clean.rosters[PERIODS[1]!]);
    for (const p of [PERIODS[0]!, PERIODS[2]!, PERIODS[3]!]) expect(await roster(test.handle.db, p), p).toEqual(clean.rosters[p]);
    // its human resources, not delivered this time, are no longer that month's: the month before stands in
    const [, registrations] = await departmentRows(test.handle.db, PERIODS[1]!);
    expect(registrations).toEqual([]);
    for (const p of [PERIODS[0]!, PERIODS[2]!, PERIODS[3]!]) expect(await departmentRows(test.handle.db, p), p).toEqual(clean.departments[p]);
  });

  it('rerunning month 2 of 4 right, then months 3 and 4, gives the lists and the versions of a clean run', async () => {
    for (const p of PERIODS.slice(1)) await run(test.handle, p);
    for (const p of PERIODS) expect(await list(test.handle.db, p), p).toBe(clean.lists[p]);
    expect(await versions(test.handle.db)).toEqual(clean.versions);
    for (const p of PERIODS) expect(await departmentRows(test.handle.db, p), p).toEqual(clean.departments[p]);
  });

  it('a month run after the months that follow it gives the same versions, and so does the migration from copies', async () => {
    const database = await openDatabase({ databaseUrl: late.url, home: '', log: silentLog });
    try {
      for (const p of [PERIODS[0]!, PERIODS[2]!, PERIODS[3]!, PERIODS[1]!]) await run(database, p);
      expect(await versions(database.db)).toEqual(clean.versions);
      for (const p of PERIODS) expect(await roster(database.db, p), p).toEqual(clean.rosters[p]);

      // the migration's conversion of a copy a period gives the versions the months write
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
      // and the scores through migration 0026's down (a table with the explanations in its rows) and up
      // and the members through migration 0027's down (a table of rows again) and up (the versions' and member_row's)
      const scores = await explainedScores(database.db);
      const people = await members(database.db);
      expect(people.length).toBeGreaterThan(PERIODS.length * 300);
      // and the households through migration 0028's down (a table of rows again) and up (versions)
      const homes = await households(database.db);
      expect(homes.length).toBeGreaterThan(PERIODS.length * 300);
      const down = await migrator.migrateTo('0024-claim-latest-bulk-build');
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => r.migrationName)).toEqual(['0040-rescued-rows-in-scope-by-key', '0039-score-reasons-parsed-once', '0038-dimension-scores-as-template-and-figures', '0037-disability-as-versions', '0036-signal-sets-kept-once', '0035-scores-ranked-on-the-list-only', '0034-score-texts-as-templates-and-figures', '0033-verification-and-enrolment-as-versions', '0032-snapshot-departments-as-versions', '0031-score-reasons-kept-once', '0030-claims-superseded-by', '0029-scores-by-household-versions-with-room', '0028-household-versions', '0027-members-from-roster-versions', '0026-score-explanations', '0025-roster-versions']);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from roster_member`.execute(database.db);
      expect(rows[0]!.n).toBe(PERIODS.reduce((n, p) => n + clean.rosters[p]!.length, 0));
      expect(await explainedScores(database.db)).toEqual(scores);
      expect(await members(database.db)).toEqual(people);
      expect(await households(database.db)).toEqual(homes);
      // the diagnoses and registrations a table a period again, a line each
      const { rows: [lines] } = await sql<{ n: number }>`select count(*)::int as n from diagnosis where line is null`.execute(database.db);
      expect(lines!.n).toBe(0);
      const { rows: [copies] } = await sql<{ n: number }>`select count(*)::int as n from household`.execute(database.db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await households(database.db)).toEqual(homes);
      // the conversion keeps a household once while it does not change
      const { rows: [versioned] } = await sql<{ n: number }>`select count(*)::int as n from household_version`.execute(database.db);
      expect(versioned!.n).toBeLessThan(copies!.n * 0.5);
      expect(await versions(database.db)).toEqual(clean.versions);
      for (const p of PERIODS) expect(await departmentRows(database.db, p), p).toEqual(clean.departments[p]);
      expect(await explainedScores(database.db)).toEqual(scores);
      expect(await members(database.db)).toEqual(people);
      // only the people outside the roster are rows of their own
      const { rows: [split] } = await sql<{ rows: number; outside: number }>`
        select (select count(*)::int from member_row) as rows,
               (select count(*)::int from member m join household h using (period, household_id) where not h.on_roster) as outside`.execute(database.db);
      expect(split!.rows).toBe(split!.outside);
      expect(split!.rows).toBeGreaterThan(0);
      // the migration digests the stored text, not the scorer's: fewer or as many explanations as scores
      const { rows: kept } = await sql<{ explanations: number; scores: number }>`
        select (select count(*)::int from score_explanation) as explanations, (select count(*)::int from scored_household) as scores`.execute(database.db);
      expect(kept[0]!.explanations).toBeLessThan(kept[0]!.scores);
    } finally {
      await database.close();
    }
  });

  it('two months run at once: the later waits for the earlier, and the versions are a clean run\'s', async () => {
    const database = await openDatabase({ databaseUrl: together.url, home: '', log: silentLog });
    try {
      for (const p of PERIODS.slice(0, 2)) await run(database, p);
      // both replace the tables every month replaces (the dibao standards): one month at a time
      const settled = await Promise.allSettled(PERIODS.slice(2).map((p) => run(database, p)));
      expect(settled.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).toEqual(['fulfilled', 'fulfilled']);
      expect(await versions(database.db)).toEqual(clean.versions);
    } finally {
      await database.close();
    }
  });
});
