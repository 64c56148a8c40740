import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ExtractRejected, ExtractsMissing, ManifestMismatch } from '../errors.js';
import { normaliseEncodingName, type ExtractEncoding } from '../ingest/read-extract.js';
import { sourceIds, type SourceId } from '../ingest/source.js';
import { quote } from '../ingest/values.js';
import { sources } from '../ingest/sources.js';

/**
 * The inbox layout of the contract: `<inbox>/<period>/<source>.csv` and an optional
 * `manifest.json`. Pulling from URLs (issue 3) lands files in this same layout.
 */

export interface LocatedExtract {
  source: SourceId;
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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Finds the period's four extracts and checks them against the manifest when there is one.
 * Throws ExtractsMissing when any is absent and ManifestMismatch when a hash differs, before
 * anything is loaded. Row counts are checked while loading (they need a CSV parse).
 */
export async function locateExtracts(inbox: string, period: string): Promise<LocatedExtract[]> {
  const dir = join(inbox, period);
  const missing: string[] = [];
  for (const id of sourceIds) if (!(await exists(join(dir, sources[id].fileName)))) missing.push(sources[id].fileName);
  if (missing.length > 0) throw new ExtractsMissing(period, missing);

  const manifestPath = join(dir, 'manifest.json');
  let manifest: z.infer<typeof manifestSchema> | undefined;
  if (await exists(manifestPath)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (cause) {
      throw new ExtractRejected({ file: `${period}/manifest.json` }, `not valid JSON: ${(cause as Error).message}`, { cause });
    }
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) {
      throw new ExtractRejected(
        { file: `${period}/manifest.json` },
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    manifest = parsed.data;
    if (manifest.period !== undefined && manifest.period.trim() !== period) {
      // last month's delivery dropped in this month's folder: its hashes all match, its data is old
      throw new ExtractRejected(
        { file: `${period}/manifest.json` },
        `the manifest is for period ${quote(manifest.period.trim())}, not ${period}: the extracts were delivered to the wrong period; the period was refused whole`,
      );
    }
  }

  const located: LocatedExtract[] = [];
  for (const id of sourceIds) {
    const fileName = sources[id].fileName;
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

/** Periods present in an inbox (folders named YYYY-MM), oldest first. */
export async function periodsInInbox(inbox: string): Promise<string[]> {
  const entries = await readdir(inbox, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^\d{4}-(0[1-9]|1[0-2])$/.test(e.name))
    .map((e) => e.name)
    .sort();
}
