import type { Logger } from 'pino';
import { openMigrated, outputLang, type GlobalOptions } from '../context.js';
import { DIFF_EN, DIFF_ZH } from '../identity/id-rescue.js';
import { createHash } from 'node:crypto';
import { withTransaction } from '../db/transaction.js';
import { beginAudit, finishAudit } from '../export/audit-log.js';
import { operatorName } from '../export/audited-export.js';
import { UsageError } from '../errors.js';
import { decideReviewItem, reviewItems } from '../link/identity-review.js';

export interface ReviewOptions extends GlobalOptions {
  period: string;
  json?: boolean;
  unmasked?: boolean;
  /** why the list is needed in clear: required with `unmasked`, kept in the audit log */
  purpose?: string;
  confirm?: string;
  refuse?: string;
  candidate?: number;
  operator?: string;
  note?: string;
  lang?: 'en' | 'zh';
}

const TEXT = {
  en: {
    none: (p: string) => `no identity rescue item waits for review in ${p}`,
    answered: (d: string, by: string, id18: string | null) => `${d} by ${by}${id18 ? ` as ${id18}` : ''}`,
    sent: 'sent', noName: '(no name)', name: 'name', birth: 'birth date', region: 'region', sep: ', ', nothing: 'nothing',
    moreThanOne: 'more than one keying error',
    candidate: (n: number, id18: string, name: string, household: string, flags: string, difference: string) =>
      `candidate ${n}: ${id18} ${name} household ${household}; matches ${flags}; ${difference}`,
    footer: (n: number, p: string) => `${n} item(s). Answer with: safetynet review --period ${p} --confirm ITEM --candidate N  (or --refuse ITEM)`,
    decided: (item: string, linkedTo: string | null, p: string) =>
      `${linkedTo ? `${item}: confirmed as ${linkedTo}` : `${item}: refused, stays rejected`}\nremembered for later months; to apply it to ${p} too, run that period again (safetynet run --period ${p})`,
  },
  zh: {
    none: (p: string) => `${p}没有待人工核对的身份证号纠错项`,
    answered: (d: string, by: string, id18: string | null) => `${by}已${d === 'confirmed' ? '确认' : '拒绝'}${id18 ? `：${id18}` : ''}`,
    sent: '报送', noName: '（无姓名）', name: '姓名', birth: '出生日期', region: '地区', sep: '、', nothing: '无',
    moreThanOne: '不止一处录入错误',
    candidate: (n: number, id18: string, name: string, household: string, flags: string, difference: string) =>
      `候选${n}：${id18} ${name}，户${household}；一致项：${flags}；${difference}`,
    footer: (n: number, p: string) => `共${n}项。确认：safetynet review --period ${p} --confirm 项目 --candidate 序号（拒绝：--refuse 项目）`,
    decided: (item: string, linkedTo: string | null, p: string) =>
      `${linkedTo ? `${item}：已确认为${linkedTo}` : `${item}：已拒绝，仍为拒收`}\n已记录，以后各期自动适用；如需用于${p}，请重新运行该期（safetynet run --period ${p}）`,
  },
};

/**
 * `safetynet review`: the identity review list of a period, or an analyst's answer to one item.
 * Answers are remembered; a rerun of the period (or any later month) applies them.
 */
export async function reviewCommand(opts: ReviewOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (opts.confirm && opts.refuse) throw new UsageError('--confirm and --refuse are one answer each: give one');
  if (opts.candidate !== undefined && !opts.confirm) throw new UsageError('--candidate goes with --confirm');
  if (opts.unmasked && !opts.purpose?.trim()) {
    throw new UsageError('--unmasked needs --purpose: why names and ID numbers are needed in clear goes into the audit log');
  }
  const lang = outputLang(opts);
  const database = await openMigrated(opts, log);
  try {
    const item = opts.confirm ?? opts.refuse;
    if (item) {
      const operator = operatorName(opts.operator);
      const result = await decideReviewItem(database.db, {
        period: opts.period,
        item,
        decision: opts.confirm ? 'confirmed' : 'refused',
        candidate: opts.candidate,
        operator,
        note: opts.note,
      });
      log.info({ period: opts.period, item, decision: opts.confirm ? 'confirmed' : 'refused', operator }, 'identity review answered');
      out.write(`${TEXT[lang].decided(item, result.linkedTo ?? null, opts.period)}\n`);
      return;
    }
    const items = await withTransaction(database.pool, async (tx) => {
      await tx.client.query('set transaction isolation level repeatable read');
      // numbers and names in clear are an export like any other: in the audit log, in the
      // transaction that read them
      const auditId = opts.unmasked
        ? await beginAudit(tx.db, {
            operator: operatorName(opts.operator),
            purpose: opts.purpose ?? null,
            period: opts.period,
            format: opts.json ? 'review-json' : 'review-text',
            filters: { review: true },
            masked: false,
            file: '-',
          })
        : null;
      const read = await reviewItems(tx.db, opts.period, { unmasked: opts.unmasked });
      if (auditId !== null) {
        const sha256 = createHash('sha256').update(JSON.stringify(read)).digest('hex');
        await finishAudit(tx.db, auditId, { rows: read.length, sha256 });
      }
      return read;
    });
    if (opts.unmasked) log.warn({ period: opts.period, purpose: opts.purpose }, 'UNMASKED identity review list');
    if (opts.json) {
      for (const i of items) out.write(`${JSON.stringify({ period: opts.period, ...i })}\n`);
      return;
    }
    const t = TEXT[lang];
    if (items.length === 0) {
      out.write(`${t.none(opts.period)}\n`);
      return;
    }
    for (const i of items) {
      const answered = i.decision ? `  [${t.answered(i.decision.decision, i.decision.decided_by, i.decision.id18)}]` : '';
      out.write(`${i.item}  ${t.sent} ${i.sent_number} ${i.sent_name ?? t.noName}${answered}\n  ${lang === 'zh' ? i.reason_zh : i.reason}\n`);
      i.candidates.forEach((c, n) => {
        const flags = [c.name_matches ? t.name : '', c.birth_matches ? t.birth : '', c.region_matches ? t.region : ''].filter(Boolean).join(t.sep);
        const difference = c.difference ? (lang === 'zh' ? DIFF_ZH : DIFF_EN)[c.difference] : t.moreThanOne;
        out.write(`  ${t.candidate(n + 1, c.id18, c.name, c.household_id, flags || t.nothing, difference)}\n`);
      });
    }
    out.write(`\n${t.footer(items.length, opts.period)}\n`);
  } finally {
    await database.close();
  }
}
