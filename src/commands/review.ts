import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
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
}

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
      out.write(
        (result.linkedTo ? `${item}: confirmed as ${result.linkedTo}` : `${item}: refused, stays rejected`) +
          `\nremembered for later months; to apply it to ${opts.period} too, run that period again (safetynet run --period ${opts.period})\n`,
      );
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
    if (items.length === 0) {
      out.write(`no identity rescue item waits for review in ${opts.period}\n`);
      return;
    }
    for (const i of items) {
      const answered = i.decision ? `  [${i.decision.decision} by ${i.decision.decided_by}${i.decision.id18 ? ` as ${i.decision.id18}` : ''}]` : '';
      out.write(`${i.item}  sent ${i.sent_number} ${i.sent_name ?? '(no name)'}${answered}\n  ${i.reason}\n`);
      i.candidates.forEach((c, n) => {
        const flags = [c.name_matches ? 'name' : '', c.birth_matches ? 'birth date' : '', c.region_matches ? 'region' : '']
          .filter(Boolean)
          .join(', ');
        out.write(`  candidate ${n + 1}: ${c.id18} ${c.name} household ${c.household_id}; matches ${flags || 'nothing'}; ${c.difference ?? 'more than one keying error'}\n`);
      });
    }
    out.write(`\n${items.length} item(s). Answer with: safetynet review --period ${opts.period} --confirm ITEM --candidate N  (or --refuse ITEM)\n`);
  } finally {
    await database.close();
  }
}
