import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { openMigrated, resolveConfig, type GlobalOptions } from '../context.js';
import { operatorName } from '../export/audited-export.js';
import { importVisits, type VisitImportCounts } from '../visits/import-visits.js';

export interface VisitsImportOptions extends GlobalOptions {
  file: string;
  operator?: string;
  json?: boolean;
}

/** `safetynet visits import FILE`: the street offices' visit report, validated and kept. */
export async function visitsImportCommand(opts: VisitsImportOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<VisitImportCounts> {
  const database = await openMigrated(opts, log);
  try {
    const counts = await importVisits(database.pool, resolve(opts.file), {
      operator: operatorName(opts.operator),
      // the bureau's today, not the container's UTC one: a visit at 07:00 Beijing time is today's
      today: new Intl.DateTimeFormat('en-CA', { timeZone: resolveConfig(opts).config.operation.timezone }).format(new Date()),
      log,
    });
    if (opts.json) out.write(`${JSON.stringify(counts)}\n`);
    else {
      out.write(
        `${counts.file}: ${counts.rows_read} rows, ${counts.rows_loaded} visits imported` +
          (counts.rows_duplicate ? `, ${counts.rows_duplicate} already imported` : '') +
          (counts.rows_rejected ? `, ${counts.rows_rejected} rejected (each with its line, column and reason in visit_rejected, import ${counts.import_id})` : '') +
          '\nthey take effect at the next run of a period (cool-down, coverage) and in safetynet quality\n',
      );
    }
    return counts;
  } finally {
    await database.close();
  }
}
