import { sql, type Kysely } from 'kysely';
import type { Database, RescueCandidateRow } from '../db/schema.js';
import { UsageError } from '../errors.js';
import { maskIdNumber, maskName } from '../identity/id-number.js';
import { assertPeriod } from '../period.js';

/**
 * The identity review list: rows whose invalid ID number had an ambiguous or weak match on the
 * roster. An analyst confirms one candidate or refuses; the answer is remembered by the number
 * and name as sent, and applied by every later run (and by a rerun of this period).
 */

export interface ReviewItem {
  /** `source:line`, how an analyst names the item */
  item: string;
  source: string;
  line: number;
  sent_number: string;
  sent_name: string | null;
  reason: string;
  reason_zh: string;
  candidates: RescueCandidateRow[];
  decision: { decision: 'confirmed' | 'refused'; id18: string | null; decided_by: string; decided_at: Date } | null;
}

export async function reviewItems(db: Kysely<Database>, period: string, opts: { unmasked?: boolean } = {}): Promise<ReviewItem[]> {
  assertPeriod(period);
  const rows = await db
    .selectFrom('identity_rescue as r')
    .leftJoin('identity_decision as d', (j) =>
      j.onRef('d.sent_number', '=', 'r.sent_number').on(sql<boolean>`d.sent_name = coalesce(r.sent_name, '')`),
    )
    .select(['r.source', 'r.line', 'r.sent_number', 'r.sent_name', 'r.reason', 'r.reason_zh', 'r.candidates', 'd.decision', 'd.id18 as decided_id18', 'd.decided_by', 'd.decided_at'])
    .where('r.period', '=', period)
    .where('r.outcome', '=', 'review')
    .orderBy('r.source')
    .orderBy('r.line')
    .execute();
  const id = (v: string) => (opts.unmasked ? v : maskIdNumber(v));
  const name = (v: string | null) => (v === null ? null : opts.unmasked ? v : maskName(v));
  return rows.map((r) => ({
    item: `${r.source}:${r.line}`,
    source: r.source,
    line: r.line,
    sent_number: id(r.sent_number),
    sent_name: name(r.sent_name),
    reason: r.reason,
    reason_zh: r.reason_zh,
    candidates: r.candidates.map((c) => ({ ...c, id18: id(c.id18), name: name(c.name) ?? '' })),
    decision: r.decision
      ? { decision: r.decision, id18: r.decided_id18 === null ? null : id(r.decided_id18), decided_by: r.decided_by!, decided_at: r.decided_at! }
      : null,
  }));
}

export interface ReviewDecision {
  period: string;
  /** `source:line` */
  item: string;
  decision: 'confirmed' | 'refused';
  /** 1-based position in the item's candidate list; required to confirm */
  candidate?: number;
  operator: string;
  note?: string;
}

/** Records an analyst's answer to one review item; returns the person linked (masked) when confirmed. */
export async function decideReviewItem(db: Kysely<Database>, d: ReviewDecision): Promise<{ linkedTo: string | null }> {
  assertPeriod(d.period);
  const m = /^(disability|medical-insurance|health):(\d+)$/.exec(d.item);
  if (!m) throw new UsageError(`review item "${d.item}" must be written source:line, for example medical-insurance:12 (see safetynet review --period ${d.period})`);
  const row = await db
    .selectFrom('identity_rescue')
    .select(['outcome', 'sent_number', 'sent_name', 'candidates'])
    .where('period', '=', d.period)
    .where('source', '=', m[1]!)
    .where('line', '=', Number(m[2]))
    .executeTakeFirst();
  if (!row) throw new UsageError(`no identity rescue item ${d.item} in ${d.period}`);
  if (row.outcome !== 'review') throw new UsageError(`item ${d.item} of ${d.period} is not on the review list (it was ${row.outcome})`);
  let id18: string | null = null;
  if (d.decision === 'confirmed') {
    if (d.candidate === undefined) throw new UsageError('--confirm needs --candidate N: which of the listed candidates the row means');
    const c = row.candidates[d.candidate - 1];
    if (!c) throw new UsageError(`item ${d.item} has ${row.candidates.length} candidate(s); --candidate ${d.candidate} is not one of them`);
    id18 = c.id18;
  }
  await db
    .insertInto('identity_decision')
    .values({ sent_number: row.sent_number, sent_name: row.sent_name ?? '', decision: d.decision, id18, decided_by: d.operator, note: d.note ?? null })
    .onConflict((oc) =>
      oc.columns(['sent_number', 'sent_name']).doUpdateSet({
        decision: d.decision,
        id18,
        decided_by: d.operator,
        decided_at: sql<Date>`now()`,
        note: d.note ?? null,
      }),
    )
    .execute();
  return { linkedTo: id18 === null ? null : maskIdNumber(id18) };
}
