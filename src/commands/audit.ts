import type { Logger } from 'pino';
import { openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { shownTime } from '../shown-time.js';
import { padDisplay, padDisplayStart } from '../text-width.js';

export interface AuditOptions extends GlobalOptions {
  period?: string;
  limit?: number;
  json?: boolean;
  lang?: 'en' | 'zh';
}

const TEXT = {
  en: { head: ['id', 'at', 'operator', 'period', 'format', 'masked', 'rows', 'purpose / file'], yes: 'yes', no: 'NO' },
  zh: { head: ['编号', '时间', '操作人', '期次', '格式', '脱敏', '行数', '用途 / 文件'], yes: '是', no: '否（明文）' },
};

/** `safetynet audit`: the export audit log, newest first; times on the bureau's clock (operation.timezone), UTC in --json. */
export async function auditCommand(opts: AuditOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const lang = outputLang(opts);
  const timeZone = resolveConfig(opts).config.operation.timezone;
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
    const t = TEXT[lang];
    const widths = [4, 19, 17, 7, 11, 10, 5];
    const line = (cells: string[]) => cells.map((c, i) => (i === 6 ? padDisplayStart(c, widths[i]!) : i < widths.length ? padDisplay(c, widths[i]!) : c)).join('  ').trimEnd();
    out.write(`${line(t.head)}  (${timeZone})\n`);
    for (const r of rows) {
      out.write(
        `${line([
          String(r.audit_id), shownTime(new Date(r.at), timeZone), r.operator, r.period, r.format, r.masked ? t.yes : t.no, String(r.rows),
          `${r.purpose ?? ''}${r.purpose ? ' / ' : ''}${r.file}`,
        ])}\n`,
      );
    }
  } finally {
    await database.close();
  }
}
