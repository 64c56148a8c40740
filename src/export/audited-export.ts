import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { enterExportScope, requireScopeGranted } from '../db/roles.js';
import { beginAudit, finishAudit } from './audit-log.js';
import type { Database } from '../db/schema.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { writeFileAtomically, type FileAccess } from './output-file.js';
import { configuredRegion, resolveRegionScope } from './region-scope.js';
import type { ExportOptions } from './warning-list.js';

/**
 * Every export of a list is audited: who, why, what (period, filters, masked or not), how many
 * rows, the file's hash. The audit row is written in the transaction that read the rows; a file
 * is renamed into place only after that transaction committed, so no file exists unaudited.
 */
export type ListWriter = (db: Kysely<Database>, opts: ExportOptions, out: Writable, log: Logger) => Promise<number>;

export interface Audit {
  operator?: string;
  purpose?: string;
  format: string;
  /**
   * The operator's configured region scope (src/export/region-scope.ts); when left out,
   * SAFETYNET_REGION, else `access.region` of the config file (--config, else SAFETYNET_CONFIG).
   */
  scope?: string | null;
  /**
   * The monthly run's own copy of the district list (masked, under SAFETYNET_HOME/exports): the
   * batch wrote these rows and reads them whole, as it does for the run's output hash. Audited
   * all the same; no operator's street scope applies.
   */
  batch?: boolean;
  /** who may read the file besides its owner (default: nobody, 0600) */
  fileAccess?: FileAccess;
}

export interface AuditedResult {
  rows: number;
  sha256: string;
  file: string;
}

/** What an audit row says of a list's selection, and whether row security applied and let it see `scope`. */
export function listFilters(opts: ExportOptions, secured: boolean, scope: unknown): Record<string, unknown> {
  return {
    all: !!opts.all,
    region: opts.region ?? null,
    top: opts.top ?? null,
    lang: opts.lang ?? 'en',
    ...(opts.urgent ? { urgent: true, since: opts.since ?? null } : {}),
    // what was left off the street's list: the audit visits, the households beyond a street's visits a month
    ...(opts.audit === false ? { audit_visits: false } : {}),
    ...(opts.capacity ? { capacity: Object.fromEntries(opts.capacity) } : {}),
    // what the database let this export see: null scope under row security is nothing
    row_security: secured,
    scope: secured ? scope : null,
  };
}

/** Who the monthly run's own copy of the district list is audited as (jobs/period-files.ts). */
export const RUN_COPY = { operator: 'safetynet run', purpose: 'monthly run' } as const;

export function operatorName(given?: string): string {
  return given || process.env.SAFETYNET_OPERATOR || userInfo().username;
}

export async function auditedExport(
  pool: pg.Pool,
  opts: ExportOptions,
  audit: Audit,
  target: string,
  writer: ListWriter,
  log: Logger,
): Promise<AuditedResult> {
  if (opts.unmasked && !audit.purpose?.trim()) {
    throw new UsageError('--unmasked needs --purpose: why names and ID numbers are needed in clear goes into the audit log');
  }
  const operator = operatorName(audit.operator);
  const configured = () =>
    audit.scope !== undefined
      ? { region: audit.scope, source: audit.scope ? ('config access.region' as const) : null }
      : configuredRegion((opts as ExportOptions & { config?: string }).config);
  const { scope } = audit.batch ? { scope: null } : resolveRegionScope(opts.region, configured());
  let secured = false;
  const write = (out: Writable) =>
    withTransaction(pool, async (tx) => {
      // one snapshot for the rows and their count
      await tx.client.query('set transaction isolation level repeatable read');
      // the single chokepoint: from here on the reads go through row-level security, as the
      // exporter, limited to the scope (where `migrate --create-roles` set the roles up)
      secured = audit.batch ? false : await enterExportScope(tx.db, scope);
      const seen = secured ? await requireScopeGranted(tx.db, scope) : null;
      if (secured && seen === null) {
        log.warn('no region scope for this login (--region, access.region, SAFETYNET_REGION or `safetynet access grant`): row security shows no household, the list is empty');
      }
      // the audit row first: an unmasked one is what opens the masked views to this transaction
      const auditId = await beginAudit(tx.db, {
        operator,
        purpose: audit.purpose ?? null,
        period: opts.period,
        format: audit.format,
        filters: listFilters(opts, secured, seen),
        masked: !opts.unmasked,
        file: target,
      });
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      const piped = pipeline(hashing, out);
      piped.catch(() => {}); // awaited below; when the writer fails first, its error is the one to report
      let rows: number;
      try {
        rows = await writer(tx.db, opts, hashing, log);
      } catch (err) {
        hashing.destroy();
        throw err;
      }
      await piped;
      const sha256 = hash.digest('hex');
      await finishAudit(tx.db, auditId, { rows, sha256 });
      return { rows, sha256, file: target };
    });
  let result: AuditedResult;
  if (target === '-') {
    // stdout cannot be taken back: the list goes to a temp file, is audited, and only then printed
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-export-'));
    try {
      const file = join(dir, 'list');
      result = await writeFileAtomically(file, write);
      await pipeline(createReadStream(file), process.stdout, { end: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } else {
    result = await writeFileAtomically(target, write, audit.fileAccess);
  }
  if (opts.unmasked) {
    log.warn({ period: opts.period, rows: result.rows, operator, purpose: audit.purpose, file: target }, 'UNMASKED export: names and ID numbers in clear');
  }
  return result;
}
