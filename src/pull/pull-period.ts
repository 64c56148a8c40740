import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OperationConfig } from '../config/schema.js';
import { sourceIds } from '../ingest/source.js';
import { sources as definitions } from '../ingest/sources.js';
import { DIBAO_FILE } from './dibao-standards.js';
import { fetchFile } from './fetch-file.js';

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
export async function pullPeriod(op: OperationConfig, home: string, period: string, log: Logger): Promise<PulledPeriod> {
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
  }
  for (const id of sourceIds) {
    const fileName = definitions[id].fileName;
    const got = await fetchFile(op.sources[id], period, join(dir, fileName), fetchOpts(id));
    if (got === 'not-delivered') missing.push(fileName);
  }
  if (op.sources['dibao-standards']) {
    const got = await fetchFile(op.sources['dibao-standards'], period, join(inbox, DIBAO_FILE), fetchOpts('dibao-standards'));
    if (got === 'not-delivered') log.warn({ period }, 'dibao-standards.csv not delivered: the last one pulled, or the config defaults, apply');
  }
  return { inbox, missing };
}
