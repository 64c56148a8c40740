import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ExtractRejected, ExtractsMissing, ManifestMismatch } from '../errors.js';
import { normaliseEncodingName, type ExtractEncoding } from '../ingest/read-extract.js';
import { isRequired, type Department, type DepartmentId, type DepartmentSettings } from '../ingest/department.js';
import { departments } from '../ingest/departments.js';
import { quote } from '../ingest/values.js';
import { fileKind, notRegular } from './file-kind.js';

/**
 * The inbox layout of the contract: `<inbox>/<period>/<file>.csv` (or `.xlsx`) per department
 * and an optional `manifest.json`. Pulling from URLs lands files in this same layout.
 */

/** The forms an extract may come in, by file extension: a department sends one of them a month. */
export const EXTRACT_EXTENSIONS = ['.csv', '.xlsx'] as const;

export interface LocatedExtract {
  source: DepartmentId;
  path: string;
  /** as messages name it: `2026-10/civil-affairs.csv` */
  file: string;
  sha256: string;
  encoding?: ExtractEncoding;
  expectedRows?: number;
}

const manifestSchema = z.object({
  /** optional: a manifest that names its month must name the folder's */
  period: z.string().optional(),
  files: z.record(
    z.string(),
    z.object({
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex digits'),
      rows: z.int().min(0),
      encoding: z.string().optional(),
    }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * The period's manifest.json, checked against its schema: absent (both undefined), read, or
 * unreadable (the reason, which refuses the period when the run comes to it).
 */
export async function readManifest(path: string, period: string): Promise<{ manifest?: Manifest; unreadable?: ExtractRejected }> {
  if (!(await present(path, `${period}/manifest.json`))) return {};
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    return { unreadable: new ExtractRejected({ file: `${period}/manifest.json` }, `not valid JSON: ${(cause as Error).message}`, { cause }) };
  }
  const parsed = manifestSchema.safeParse(json);
  if (parsed.success) return { manifest: parsed.data };
  return {
    unreadable: new ExtractRejected({ file: `${period}/manifest.json` }, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')),
  };
}

/** The name under which the manifest lists a department's file (CSV or XLSX), if it does. */
export const listedFileOf = (manifest: Manifest, def: Department): string | undefined =>
  EXTRACT_EXTENSIONS.map((ext) => `${def.file}${ext}`).find((name) => name in manifest.files);

/** Present and a regular file; anything else in its place refuses the period (see file-kind.ts). */
async function present(path: string, file: string): Promise<boolean> {
  const found = await fileKind(path);
  if (found.kind === 'other') throw new ExtractRejected({ file }, `${notRegular(found.what)}; the period was refused whole`);
  return found.kind === 'file';
}

/** A manifest whose listed files are all among those a run loads. */
function unloadedEntries(manifest: Manifest, names: string[], period: string, inFolder: Set<string>): ExtractRejected | undefined {
  const extra = Object.keys(manifest.files).filter((name) => !names.includes(name));
  if (extra.length === 0) return undefined;
  const shown = extra.map((name) => `${quote(name)} (${inFolder.has(name) ? 'in the folder' : 'not in the folder'})`).join(', ');
  // The manifest is the department's statement of what it sent: a listed file the run would not
  // load is data it believes we have (a renamed roster, a second part of a file). Loading the
  // rest would publish a list without it, silently.
  return new ExtractRejected(
    { file: `${period}/manifest.json` },
    `lists ${shown}, which the run does not load: a period's files are ${departments().map((d) => `${d.file}.csv`).join(', ')} (each may come as .xlsx instead). ` +
      'Ask the department what the extra file is (a file under another name, or a manifest to correct); the period was refused whole',
  );
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Finds the period's extracts, one per registered department (as CSV or XLSX), and checks them
 * against the manifest when there is one. An optional department that has not delivered is
 * left out. Throws ExtractsMissing when a required one is absent, ExtractRejected when
 * something other than a regular file stands in an extract's place, when a department's file
 * is there as both CSV and XLSX, or when the manifest lists a file the run does not load, and
 * ManifestMismatch when a hash differs, before anything is loaded. Row counts are checked while
 * loading (they need a parse). `settings` are the config's departments (which are required).
 */
export async function locateExtracts(inbox: string, period: string, settings: Readonly<Record<string, DepartmentSettings>> = {}): Promise<LocatedExtract[]> {
  const dir = join(inbox, period);
  const names = departments().flatMap((d) => EXTRACT_EXTENSIONS.map((ext) => `${d.file}${ext}`));
  const missing: string[] = [];
  const delivered: { source: DepartmentId; fileName: string }[] = [];
  for (const d of departments()) {
    const found: string[] = [];
    for (const ext of EXTRACT_EXTENSIONS) {
      const name = `${d.file}${ext}`;
      if (await present(join(dir, name), `${period}/${name}`)) found.push(name);
    }
    if (found.length > 1) {
      // two forms of one extract may differ; loading either one would be a guess
      throw new ExtractRejected(
        { file: `${period}/${found[0]}` },
        `the ${d.id} extract is in the folder twice, as ${found.join(' and ')}: remove the one the department did not mean ` +
          '(the manifest, when there is one, names the file delivered); the period was refused whole',
      );
    }
    if (found.length === 1) delivered.push({ source: d.id, fileName: found[0]! });
    // a required department's file is named as the contract names it; an optional one is not waited for
    else if (isRequired(d, settings[d.id])) missing.push(`${d.file}.csv`);
  }

  const { manifest, unreadable } = await readManifest(join(dir, 'manifest.json'), period);
  if (manifest) {
    // checked before waiting for missing files: a listed file the run never loads will not come
    const extra = unloadedEntries(manifest, names, period, new Set(await readdir(dir)));
    if (extra) throw extra;
    // a file the manifest lists is one the department sent: an optional department's too is waited for
    for (const d of departments()) {
      const listed = listedFileOf(manifest, d);
      if (listed && !delivered.some((x) => x.source === d.id) && !missing.includes(`${d.file}.csv`)) missing.push(listed);
    }
  }
  if (missing.length > 0) throw new ExtractsMissing(period, missing);
  if (unreadable) throw unreadable;
  if (manifest) {
    if (manifest.period !== undefined && manifest.period.trim() !== period) {
      // last month's delivery dropped in this month's folder: its hashes all match, its data is old
      throw new ExtractRejected(
        { file: `${period}/manifest.json` },
        `the manifest is for period ${quote(manifest.period.trim())}, not ${period}: the extracts were delivered to the wrong period; the period was refused whole`,
      );
    }
  }

  const located: LocatedExtract[] = [];
  for (const { source: id, fileName } of delivered) {
    const path = join(dir, fileName);
    const file = `${period}/${fileName}`;
    const sha256 = await sha256File(path);
    const entry = manifest?.files[fileName];
    if (manifest && !entry) throw new ManifestMismatch(file, 'the manifest does not list this file');
    if (entry && entry.sha256.toLowerCase() !== sha256) {
      throw new ManifestMismatch(file, `sha256 is ${sha256}, the manifest says ${entry.sha256.toLowerCase()}`);
    }
    let encoding: ExtractEncoding | undefined;
    if (entry?.encoding) {
      const e = normaliseEncodingName(entry.encoding);
      if (!e) throw new ManifestMismatch(file, `encoding "${entry.encoding}" is not one the contract allows (UTF-8 or GB18030/GBK)`);
      encoding = e;
    }
    located.push({ source: id, path, file, sha256, encoding, expectedRows: entry?.rows });
  }
  return located;
}

/**
 * A night's files (`<inbox>/daily/<day>/`): those of the departments that may send daily
 * deliveries (`Department.daily`), as CSV or XLSX, by department; none is required, and one sent
 * in both forms refuses the night. Names only: whether a night has anything to do.
 */
export async function dailyFilesIn(inbox: string, day: string): Promise<{ source: DepartmentId; fileName: string }[]> {
  const dir = join(inbox, 'daily', day);
  const found: { source: DepartmentId; fileName: string }[] = [];
  for (const d of departments().filter((x) => x.daily)) {
    const forms: string[] = [];
    for (const ext of EXTRACT_EXTENSIONS) {
      if (await present(join(dir, `${d.file}${ext}`), `daily/${day}/${d.file}${ext}`)) forms.push(`${d.file}${ext}`);
    }
    if (forms.length > 1) {
      throw new ExtractRejected(
        { file: `daily/${day}/${forms[0]}` },
        `the ${d.id} delivery of ${day} is in the folder twice, as ${forms.join(' and ')}: remove the one the department did not mean; the night was refused whole`,
      );
    }
    if (forms.length === 1) found.push({ source: d.id, fileName: forms[0]! });
  }
  return found;
}

/** A night's files as the night loads them, each with its hash. No manifest: a night's delivery is small and resent whole when in doubt. */
export async function locateDailyExtracts(inbox: string, day: string): Promise<LocatedExtract[]> {
  const located: LocatedExtract[] = [];
  for (const { source, fileName } of await dailyFilesIn(inbox, day)) {
    const path = join(inbox, 'daily', day, fileName);
    located.push({ source, path, file: `daily/${day}/${fileName}`, sha256: await sha256File(path) });
  }
  return located;
}

/** The file names a night looks for, one per department that may send daily deliveries. */
export const dailyFileNames = (): string[] => departments().filter((d) => d.daily).map((d) => `${d.file}.csv`);

/** Periods present in an inbox (folders named YYYY-MM), oldest first. */
export async function periodsInInbox(inbox: string): Promise<string[]> {
  const entries = await readdir(inbox, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^\d{4}-(0[1-9]|1[0-2])$/.test(e.name))
    .map((e) => e.name)
    .sort();
}
