import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
import { listPrecision } from '../visits/list-precision.js';

export interface QualityOptions extends GlobalOptions {
  period: string;
  json?: boolean;
}

const pct = (p: number | null) => (p === null ? '—' : `${(p * 100).toFixed(1)}%`);

/** `safetynet quality --period P`: of P's list, how many were visited and how many needed help. */
export async function qualityCommand(opts: QualityOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const database = await openMigrated(opts, log);
  try {
    const rows = await listPrecision(database.db, opts.period);
    if (opts.json) {
      for (const r of rows) out.write(`${JSON.stringify({ period: opts.period, ...r })}\n`);
      return;
    }
    out.write(`The list of ${opts.period} (uncovered households) and what the visits since found\n`);
    out.write(`${'group'.padEnd(10)} ${'key'.padEnd(16)} ${'listed'.padStart(7)} ${'visited'.padStart(8)} ${'assisted'.padStart(9)} ${'not elig.'.padStart(10)} ${'unsettled'.padStart(10)} ${'precision'.padStart(10)}\n`);
    for (const r of rows) {
      out.write(
        `${r.group.padEnd(10)} ${r.key.padEnd(16)} ${String(r.listed).padStart(7)} ${String(r.visited).padStart(8)} ${String(r.assisted).padStart(9)} ` +
          `${String(r.not_eligible).padStart(10)} ${String(r.unsettled).padStart(10)} ${pct(r.precision).padStart(10)}\n`,
      );
    }
    out.write('precision = assisted / (assisted + not eligible); refused, not found and moved settle nothing\n');
  } finally {
    await database.close();
  }
}
