import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OperationConfig } from '../config/schema.js';
import { isRequired, type DepartmentSettings } from '../ingest/department.js';
import { departments } from '../ingest/departments.js';
import { UsageError } from '../errors.js';
import { DIBAO_FILE } from './dibao-standards.js';
import { fetchFile } from './fetch-file.js';
import { listedFileOf, readManifest } from './inbox.js';

export interface PulledPeriod {
  /** an inbox in the contract's layout holding the period's files */
  inbox: string;
  /** files not delivered yet (a 404 or a missing file) */
  missing: string[];
}

/**
 * Brings a period's files from the configured locations into `<home>/pulled/<period>/`, in the
 * inbox layout `run` reads. The manifest comes first: when one is configured and not there yet,
 * the period is not delivered. Without configured sources the local inbox is used as it is.
 */
export async function pullPeriod(
  op: OperationConfig,
  home: string,
  period: string,
  log: Logger,
  /** the config's departments: which are required */
  settings: Readonly<Record<string, DepartmentSettings>> = {},
): Promise<PulledPeriod> {
  if (!op.sources) {
    if (!op.inbox) throw new Error('pullPeriod needs operation.sources or operation.inbox');
    return { inbox: op.inbox, missing: [] };
  }
  const inbox = join(home, 'pulled');
  const dir = join(inbox, period);
  const fetchOpts = (label: string) => ({
    retries: op.retries,
    retryDelayMs: op.retryDelayMs,
    timeoutMs: op.timeoutMs,
    deadlineMs: op.fileDeadlineMs,
    maxBytes: op.maxFileBytes,
    log,
    label,
  });
  const missing: string[] = [];

  if (op.sources.manifest) {
    const got = await fetchFile(op.sources.manifest, period, join(dir, 'manifest.json'), fetchOpts('manifest'));
    if (got === 'not-delivered') return { inbox, missing: ['manifest.json'] };
    await refuseUnfetchedListed(join(dir, 'manifest.json'), period, op.sources);
  }
  for (const d of departments()) {
    const location = op.sources[d.id];
    // an optional department without a location is not pulled (the config requires the required ones')
    if (!location) continue;
    // the location says the form: a workbook lands as <file>.xlsx, anything else as <file>.csv
    const fileName = `${d.file}${/\.xlsx$/i.test(location.location.split(/[?#]/)[0]!) ? '.xlsx' : '.csv'}`;
    const got = await fetchFile(location, period, join(dir, fileName), fetchOpts(d.id));
    // an optional department not there yet is left to the run, which goes ahead without it
    if (got === 'not-delivered' && isRequired(d, settings[d.id])) missing.push(fileName);
  }
  if (op.sources['dibao-standards']) {
    const got = await fetchFile(op.sources['dibao-standards'], period, join(inbox, DIBAO_FILE), fetchOpts('dibao-standards'));
    if (got === 'not-delivered') log.warn({ period }, 'dibao-standards.csv not delivered: the last one pulled, or the config defaults, apply');
  }
  return { inbox, missing };
}

/**
 * A manifest listing an optional department's file that the config does not fetch would keep the
 * month waiting for a file that never comes: that is the config's gap, said as such. (A manifest
 * that cannot be read is left to the run, which refuses it with its own message.)
 */
async function refuseUnfetchedListed(manifestPath: string, period: string, sources: NonNullable<OperationConfig['sources']>): Promise<void> {
  const { manifest } = await readManifest(manifestPath, period);
  if (!manifest) return;
  for (const d of departments()) {
    if (sources[d.id]) continue;
    const name = listedFileOf(manifest, d);
    if (name) {
      throw new UsageError(
        `the manifest of ${period} lists ${name}, but operation.sources has no location for ${d.id}: ` +
          `add operation.sources.${d.id} to the config (the month would otherwise wait for a file that is never fetched)`,
      );
    }
  }
}
