import type { Logger } from 'pino';
import { listRuns } from '../../jobs/run-ledger.js';
import { openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { shownDuration, shownTime } from '../shown-time.js';
import { padDisplay, padDisplayStart } from '../text-width.js';

export interface RunsOptions extends GlobalOptions {
  period?: string;
  json?: boolean;
  limit?: number;
  lang?: 'en' | 'zh';
}

const TEXT = {
  en: {
    head: ['run', 'period', 'status', 'started', 'took', 'households', 'warnings', 'output'],
    status: {} as Record<string, string>,
  },
  zh: {
    head: ['运行', '期次', '状态', '开始时间', '耗时', '评分户数', '预警户数', '名单哈希'],
    status: { running: '运行中', succeeded: '成功', failed: '失败', refused: '拒收', waiting: '等待数据' } as Record<string, string>,
  },
};

/** `safetynet runs`: the run ledger, newest first; times on the bureau's clock (operation.timezone), UTC in --json. */
export async function runsCommand(opts: RunsOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const lang = outputLang(opts);
  const timeZone = resolveConfig(opts).config.operation.timezone;
  const database = await openMigrated(opts, log);
  try {
    const runs = await listRuns(database.db, { period: opts.period, limit: opts.limit });
    if (opts.json) {
      for (const r of runs) out.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const t = TEXT[lang];
    const widths = [4, 7, 9, 19, 8, 10, 8];
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 4 || i === 5 || i === 6 ? padDisplayStart(c, widths[i]!) : i < widths.length ? padDisplay(c, widths[i]!) : c)).join('  ').trimEnd();
    out.write(`${line(t.head)}  (${timeZone})\n`);
    for (const r of runs) {
      const summary = (r.summary ?? {}) as { households_scored?: number; warnings?: number };
      const took = r.finished_at ? shownDuration((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000) : '';
      out.write(
        `${line([
          String(r.run_id), r.period, t.status[r.status] ?? r.status, shownTime(new Date(r.started_at), timeZone), took,
          String(summary.households_scored ?? ''), String(summary.warnings ?? ''), r.output_sha256?.slice(0, 12) ?? '',
        ])}${r.error ? `\n      ${r.error}` : ''}\n`,
      );
    }
  } finally {
    await database.close();
  }
}
