import { ZH } from '../export/warning-list.js';
import { sql } from 'kysely';
import type pg from 'pg';
import type { SafetynetConfig } from '../config/schema.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { assertPeriod } from '../period.js';
import { assessHousehold } from '../../scoring/assess-household.js';
import type { ScoreReason, Tier } from '../../scoring/combine.js';
import { DIMENSIONS, type DimensionId } from '../../scoring/dimensions.js';
import type { StoredReason } from '../db/schema.js';
import { buildHouseholdFacts } from './household-facts.sql.js';
import { requireSucceededRun, windowOfRun } from '../db/runs.js';
import { toFacts, type FactsRow } from './score-households.js';

/**
 * Assesses a period's households again under another config, as the monthly run does (visits
 * and their cool-down included), in a transaction that writes nothing but temp tables, and
 * compares with the stored results: which households would enter or leave the list, and who
 * moves most. How a bureau tries a rule change before making it.
 */
export interface WhatIfMove {
  household_id: string;
  before: number;
  after: number;
  delta: number;
  tier_before: Tier;
  tier_after: Tier;
  /** the dimensions whose weighted points differ, in the registry's order: what moved the household */
  dimensions: { dimension: DimensionId; before: number; after: number }[];
}

export interface WhatIfReport {
  period: string;
  households: number;
  on_list_before: number;
  on_list_after: number;
  entering: WhatIfMove[];
  leaving: WhatIfMove[];
  /** the largest moves of households that stay on (or off) the list */
  biggest_moves: WhatIfMove[];
}

const BATCH = 5000;

export async function whatIf(pool: pg.Pool, period: string, other: SafetynetConfig, opts: { top?: number } = {}): Promise<WhatIfReport> {
  assertPeriod(period);
  const top = opts.top ?? 20;
  return withTransaction(pool, async (tx) => {
    const stored = await tx.db.selectFrom('household_score').select((eb) => eb.fn.countAll<number>().as('n')).where('period', '=', period).executeTakeFirstOrThrow();
    if (stored.n === 0) throw new UsageError(`period ${period} has no stored results to compare with: run it first`);
    // the stored results' own window, so that only the config differs between the two scorings
    const evidence = await buildHouseholdFacts(tx, windowOfRun(await requireSucceededRun(tx.db, period)), other);
    const report: WhatIfReport = { period, households: 0, on_list_before: 0, on_list_after: 0, entering: [], leaving: [], biggest_moves: [] };
    let after = '';
    for (;;) {
      const { rows } = await sql<FactsRow & { stored_total: number; stored_tier: Tier; stored_on_list: boolean; stored_reasons: StoredReason[] }>`
        select f.*, s.total as stored_total, s.tier as stored_tier, s.on_list as stored_on_list, s.reasons as stored_reasons
        from household_facts f join household_score s on s.period = ${period} and s.household_id = f.household_id
        where f.household_id > ${after} order by f.household_id limit ${BATCH}
      `.execute(tx.db);
      if (rows.length === 0) break;
      for (const r of rows) {
        const score = assessHousehold(toFacts(r, evidence), period, other);
        const move: WhatIfMove = {
          household_id: r.household_id,
          before: r.stored_total,
          after: score.total,
          delta: Math.round((score.total - r.stored_total) * 10) / 10,
          tier_before: r.stored_tier,
          tier_after: score.tier,
          dimensions: pointsMoved(r.stored_reasons, score.reasons),
        };
        report.households++;
        if (r.stored_on_list) report.on_list_before++;
        if (score.onList) report.on_list_after++;
        if (score.onList && !r.stored_on_list) report.entering.push(move);
        else if (!score.onList && r.stored_on_list) report.leaving.push(move);
        else if (move.delta !== 0) {
          report.biggest_moves.push(move);
          // keep only the largest moves: bounded memory however big the city
          if (report.biggest_moves.length > top * 4) {
            report.biggest_moves.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.household_id.localeCompare(b.household_id));
            report.biggest_moves.length = top;
          }
        }
      }
      after = rows[rows.length - 1]!.household_id;
    }
    const byDelta = (a: WhatIfMove, b: WhatIfMove) => Math.abs(b.delta) - Math.abs(a.delta) || a.household_id.localeCompare(b.household_id);
    report.entering.sort(byDelta);
    report.leaving.sort(byDelta);
    report.biggest_moves.sort(byDelta);
    report.biggest_moves.length = Math.min(report.biggest_moves.length, top);
    return report;
  });
}

/** Each dimension's weighted points before and after, where they differ, in the registry's order. */
function pointsMoved(before: readonly StoredReason[], after: readonly ScoreReason[]): WhatIfMove['dimensions'] {
  const points = (reasons: readonly { dimension: string; points: number }[], id: string) => reasons.find((x) => x.dimension === id)?.points ?? 0;
  return DIMENSIONS.flatMap(({ id }) => {
    const [b, a] = [points(before, id), points(after, id)];
    return a === b ? [] : [{ dimension: id, before: b, after: a }];
  });
}

const LABEL = { en: new Map<string, string>(DIMENSIONS.map((d) => [d.id, d.labels.en])), zh: new Map<string, string>(DIMENSIONS.map((d) => [d.id, d.labels.zh])) };
const WORDS = {
  en: {
    head: (r: WhatIfReport) => `${r.period}: ${r.households} households; on the list ${r.on_list_before} now, ${r.on_list_after} under the other config`,
    entering: (n: number) => `Would enter the list (${n}):`,
    leaving: (n: number) => `Would leave the list (${n}):`,
    moves: (n: number) => `Largest other moves (${n}):`,
    tier: (t: string) => t,
    sep: ', ',
  },
  zh: {
    head: (r: WhatIfReport) => `${r.period}：共${r.households}户；现名单${r.on_list_before}户，按另一配置为${r.on_list_after}户`,
    entering: (n: number) => `将新列入名单（${n}户）：`,
    leaving: (n: number) => `将移出名单（${n}户）：`,
    moves: (n: number) => `其他变动最大的家庭（${n}户）：`,
    tier: (t: string) => ZH[t] ?? t,
    sep: '，',
  },
};

export function formatWhatIf(r: WhatIfReport, lang: 'en' | 'zh' = 'en'): string {
  const w = WORDS[lang];
  const line = (m: WhatIfMove) =>
    `  ${m.household_id.padEnd(18)} ${String(m.before).padStart(5)} → ${String(m.after).padStart(5)}  (${m.delta > 0 ? '+' : ''}${m.delta})  ${w.tier(m.tier_before)} → ${w.tier(m.tier_after)}` +
    (m.dimensions.length ? `  ${m.dimensions.map((d) => `${LABEL[lang].get(d.dimension)} ${d.before} → ${d.after}`).join(w.sep)}` : '');
  const out = [
    w.head(r),
    '',
    w.entering(r.entering.length),
    ...r.entering.map(line),
    '',
    w.leaving(r.leaving.length),
    ...r.leaving.map(line),
    '',
    w.moves(r.biggest_moves.length),
    ...r.biggest_moves.map(line),
  ];
  return `${out.join('\n')}\n`;
}
