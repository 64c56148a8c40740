import type { Logger } from 'pino';
import { DIMENSIONS } from '../../scoring/dimensions.js';
import { openMigrated, outputLang, type GlobalOptions } from '../context.js';
import { readRegionNames, regionWithName } from '../export/region-label.js';
import { ZH } from '../export/warning-list.js';
import { displayWidth, padDisplay, padDisplayStart } from '../text-width.js';
import { listPrecision } from '../visits/list-precision.js';

export interface QualityOptions extends GlobalOptions {
  period: string;
  json?: boolean;
  lang?: 'en' | 'zh';
}

const pct = (p: number | null) => (p === null ? '—' : `${(p * 100).toFixed(1)}%`);

const TEXT = {
  en: {
    title: (p: string) => `The list of ${p} (uncovered households) and what the visits since found`,
    head: ['group', 'key', 'listed', 'visited', 'assisted', 'not elig.', 'unsettled', 'precision'],
    groups: {} as Record<string, string>,
    footer: 'precision = assisted / (assisted + not eligible); refused, not found and moved settle nothing',
  },
  zh: {
    title: (p: string) => `${p}预警名单（未获救助家庭）及此后的走访结果`,
    head: ['分组', '项目', '名单户数', '已走访', '获得救助', '不符合条件', '未能核实', '准确率'],
    groups: { all: '合计', tier: '预警等级', street: '街道', dimension: '主要维度' } as Record<string, string>,
    footer: '准确率 = 获得救助 /（获得救助 + 不符合条件）；拒绝入户、未找到、已搬迁不计入',
  },
};

/** `safetynet quality --period P`: of P's list, how many were visited and how many needed help. */
export async function qualityCommand(opts: QualityOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const lang = outputLang(opts);
  const database = await openMigrated(opts, log);
  try {
    const rows = await listPrecision(database.db, opts.period);
    if (opts.json) {
      for (const r of rows) out.write(`${JSON.stringify({ period: opts.period, ...r })}\n`);
      return;
    }
    const t = TEXT[lang];
    const names = await readRegionNames(database.db);
    const dimension = new Map(DIMENSIONS.map((d) => [d.id as string, d.labels[lang]]));
    const key = (group: string, k: string) =>
      group === 'street' ? regionWithName(k, names, lang)
        : group === 'dimension' ? (dimension.get(k) ?? k)
          : group === 'all' ? (t.groups.all ?? k)
            : lang === 'zh' ? (ZH[k] ?? k) : k;
    const keys = rows.map((r) => key(r.group, r.key));
    const keyWidth = Math.max(16, ...keys.map(displayWidth));
    const line = (cells: string[]) =>
      [padDisplay(cells[0]!, 10), padDisplay(cells[1]!, keyWidth), ...cells.slice(2).map((c) => padDisplayStart(c, 10))].join(' ').trimEnd();
    out.write(`${t.title(opts.period)}\n`);
    out.write(`${line(t.head)}\n`);
    rows.forEach((r, i) => {
      out.write(`${line([t.groups[r.group] ?? r.group, keys[i]!, String(r.listed), String(r.visited), String(r.assisted), String(r.not_eligible), String(r.unsettled), pct(r.precision)])}\n`);
    });
    out.write(`${t.footer}\n`);
  } finally {
    await database.close();
  }
}
