import type { DimensionScore, Evidence } from './household-facts.js';

/** Whole months from `month` back from `period` (2026-08 in 2026-10: 2); both YYYY-MM. */
export function monthsOlder(month: string, period: string): number {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7));
  return index(period) - index(month);
}

/** Whether any department's facts are of an earlier extract: in most months none is, and nothing needs dating. */
function anyOlder(evidence: Evidence): boolean {
  for (const _ in evidence.older) return true;
  return false;
}

/** The earlier extracts a reason's facts come from, in the order the reason names its departments. */
function olderExtracts(from: readonly string[], evidence: Evidence): { month: string; label: string }[] {
  return [...new Set(from)].flatMap((id) => (evidence.older[id] ? [evidence.older[id]] : []));
}

/**
 * A dimension's reasons, each followed by the department and month of every extract older than
 * the period that its facts come from: "1 member with a chronic illness (卫健, 2026-08)". Facts
 * of the period's own extracts need no date.
 */
export function datedReasons(d: DimensionScore, evidence: Evidence): { en: string[]; zh: string[] } {
  // the reasons as they are: the caller joins them at once
  if (!anyOlder(evidence)) return { en: d.reasons, zh: d.reasonsZh.length === d.reasons.length ? d.reasonsZh : d.reasons.map((text, i) => d.reasonsZh[i] ?? text) };
  const en: string[] = [];
  const zh: string[] = [];
  d.reasons.forEach((text, i) => {
    const older = olderExtracts(d.from?.[i] ?? [], evidence);
    en.push(older.length === 0 ? text : `${text} (${older.map((o) => `${o.label}, ${o.month}`).join('; ')})`);
    const textZh = d.reasonsZh[i] ?? text;
    zh.push(older.length === 0 ? textZh : `${textZh}（${older.map((o) => `${o.label}，${o.month}`).join('；')}）`);
  });
  return { en, zh };
}

/**
 * Low confidence: every fact behind the household's reasons that comes from a department's
 * extract (income and employment on the roster, pensions, illnesses, disabilities, claims,
 * appraisals, …) comes from one at least `staleMonths` months older than the period. A reason
 * resting on several departments is recent when one of them is. Reasons resting on nothing that
 * ages (ages from ID numbers) neither make nor spare it; a household with no dated fact behind
 * its reasons is not low-confidence (nothing of it is old).
 */
export function lowConfidence(scored: readonly DimensionScore[], evidence: Evidence, staleMonths: number): boolean {
  if (!anyOlder(evidence)) return false;
  const dated = scored.flatMap((d) => d.from ?? []).filter((from) => from.length > 0);
  const old = (id: string) => {
    const o = evidence.older[id];
    return o !== undefined && monthsOlder(o.month, evidence.period) >= staleMonths;
  };
  return dated.length > 0 && dated.every((from) => from.every(old));
}
