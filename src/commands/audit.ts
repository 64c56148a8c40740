import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';

export interface AuditOptions extends GlobalOptions {
  period?: string;
  limit?: number;
  json?: boolean;
}

/** `safetynet audit`: the export audit log, newest first. */
export async function auditCommand(opts: AuditOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const database = await openMigrated(opts, log);
  try {
    const rows = await database.db
      .selectFrom('export_audit')
      .selectAll()
      .$if(opts.period !== undefined, (q) => q.where('period', '=', opts.period!))
      .orderBy('audit_id', 'desc')
      .limit(opts.limit ?? 100)
      .execute();
    if (opts.json) {
      for (const r of rows) out.write(`${JSON.stringify(r)}\n`);
      return;
    }
    out.write('id   at                        operator          period   format  masked  rows   purpose / file\n');
    for (const r of rows) {
      out.write(
        `${String(r.audit_id).padEnd(4)} ${new Date(r.at).toISOString().padEnd(25)} ${r.operator.padEnd(17)} ${r.period}  ${r.format.padEnd(6)}  ` +
          `${(r.masked ? 'yes' : 'NO').padEnd(6)}  ${String(r.rows).padStart(5)}  ${r.purpose ?? ''}${r.purpose ? ' / ' : ''}${r.file}\n`,
      );
    }
  } finally {
    await database.close();
  }
}
