import { sql } from 'kysely';
import type pg from 'pg';
import type { SafetynetConfig } from '../config/schema.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { assertPeriod } from '../period.js';
import { scoreHousehold } from '../../scoring/combine.js';
import { buildHouseholdFacts } from './household-facts.sql.js';
import { previousSucceededPeriod } from '../db/runs.js';
import { toFacts, type FactsRow } from './score-households.js';

/**
 * Scores a period again under another config, in a transaction that writes nothing but a temp
 * table, and compares with the stored results: which households would enter or leave the list,
 * and who moves most. How a bureau tries a rule change before making it.
 */
export interface WhatIfMove {
  household_id: string;
  before: number;
  after: number;
  delta: number;
  tier_before: string;
  tier_after: string;
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
    if (Number(stored.n) === 0) throw new UsageError(`period ${period} has no stored results to compare with: run it first`);
    const previous = await previousSucceededPeriod(tx.db, period);
    await buildHouseholdFacts(tx, period, previous, other);
    const report: WhatIfReport = { period, households: 0, on_list_before: 0, on_list_after: 0, entering: [], leaving: [], biggest_moves: [] };
    let after = '';
    for (;;) {
      const { rows } = await sql<FactsRow & { stored_total: number; stored_tier: string; stored_on_list: boolean }>`
        select f.*, s.total as stored_total, s.tier as stored_tier, s.on_list as stored_on_list
        from household_facts f join household_score s on s.period = ${period} and s.household_id = f.household_id
        where f.household_id > ${after} order by f.household_id limit ${BATCH}
      `.execute(tx.db);
      if (rows.length === 0) break;
      for (const r of rows) {
        const score = scoreHousehold(toFacts(r), other);
        const move: WhatIfMove = {
          household_id: r.household_id,
          before: Number(r.stored_total),
          after: score.total,
          delta: Math.round((score.total - Number(r.stored_total)) * 10) / 10,
          tier_before: r.stored_tier,
          tier_after: score.tier,
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

export function formatWhatIf(r: WhatIfReport): string {
  const line = (m: WhatIfMove) =>
    `  ${m.household_id.padEnd(18)} ${String(m.before).padStart(5)} → ${String(m.after).padStart(5)}  (${m.delta > 0 ? '+' : ''}${m.delta})  ${m.tier_before} → ${m.tier_after}`;
  const out = [
    `${r.period}: ${r.households} households; on the list ${r.on_list_before} now, ${r.on_list_after} under the other config`,
    '',
    `Would enter the list (${r.entering.length}):`,
    ...r.entering.map(line),
    '',
    `Would leave the list (${r.leaving.length}):`,
    ...r.leaving.map(line),
    '',
    `Largest other moves (${r.biggest_moves.length}):`,
    ...r.biggest_moves.map(line),
  ];
  return `${out.join('\n')}\n`;
}
