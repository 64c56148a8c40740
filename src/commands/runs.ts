import type { Logger } from 'pino';
import { listRuns } from '../../jobs/run-ledger.js';
import { openMigrated, type GlobalOptions } from '../context.js';

export interface RunsOptions extends GlobalOptions {
  period?: string;
  json?: boolean;
  limit?: number;
}

/** `safetynet runs`: the run ledger, newest first. */
export async function runsCommand(opts: RunsOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const database = await openMigrated(opts, log);
  try {
    const runs = await listRuns(database.db, { period: opts.period, limit: opts.limit });
    if (opts.json) {
      for (const r of runs) out.write(`${JSON.stringify(r)}\n`);
      return;
    }
    out.write('run  period   status     started                   seconds  households  warnings  output\n');
    for (const r of runs) {
      const summary = (r.summary ?? {}) as { households_scored?: number; warnings?: number };
      const seconds = r.finished_at ? ((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000).toFixed(1) : '';
      out.write(
        `${String(r.run_id).padEnd(4)} ${r.period}  ${r.status.padEnd(10)} ${new Date(r.started_at).toISOString().padEnd(25)} ${seconds.padStart(7)}  ` +
          `${String(summary.households_scored ?? '').padStart(10)}  ${String(summary.warnings ?? '').padStart(8)}  ${r.output_sha256?.slice(0, 12) ?? ''}` +
          `${r.error ? `\n     ${r.error}` : ''}\n`,
      );
    }
  } finally {
    await database.close();
  }
}
