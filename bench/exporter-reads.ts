import { performance } from 'node:perf_hooks';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Logger } from 'pino';
import { createRoles, enterExportScope, grantRoles } from '../src/db/roles.js';
import { VIEW } from '../src/export/views.js';
import { cardRescuedRows } from '../src/export/household-card.js';

/**
 * What one street's exporter pays to read a period through the masked views, under row security,
 * as the list, a card and the rescue page read it: as `safetynet_exporter`, scoped to the
 * period's largest street. No run reads as the exporter, so this is the only step that sees a
 * policy or a view that makes each row checked read a whole period: one such join of members and
 * households took the street's disability rows from under a second to over two minutes at
 * 250,000 households, and was found by reading the code, not by a test.
 */
export interface ExporterRead {
  read: string;
  /** what the read counted; null when it did not finish */
  rows: number | null;
  ms: number;
  error?: string;
}

const view = (name: keyof typeof VIEW) => sql.raw(VIEW[name]);

function reads(period: string): [string, RawBuilder<{ n: number }>][] {
  return [
    ['the list with its reasons', sql`
      select count(*)::int as n from ${view('household_score')} s
      where s.period = ${period} and (s.on_list or s.review) and jsonb_array_length(s.reasons) >= 0`],
    ["the list's households", sql`
      select count(*)::int as n from ${view('household_score')} s
      join ${view('household')} h on h.period = s.period and h.household_id = s.household_id
      where s.period = ${period} and (s.on_list or s.review)`],
    ['disability rows', sql`select count(*)::int as n from ${view('disability')} where period = ${period}`],
    ['diagnosis rows', sql`select count(*)::int as n from ${view('diagnosis')} where period = ${period}`],
    ['identity-rescue lines', sql`select count(*)::int as n from ${view('identity_rescue_link')} where period = ${period}`],
    ["one card's members", sql`
      select count(*)::int as n from ${view('member')} m
      where m.period = ${period} and m.household_id = (
        select s.household_id from ${view('household_score')} s where s.period = ${period} order by s.rank limit 1)`],
    // as the card reads them (its own statement): a year of rescued rows, each checked against the
    // reader's region; with the check over a range of periods this read did not end in ten
    // minutes at 1,000,000 households (migration 0040)
    ["one card's rescued rows", sql`
      select count(*)::int as n from (${cardRescuedRows(period, sql<string>`(
        select s.household_id from ${view('household_score')} s where s.period = ${period} order by s.rank limit 1)`)}) r`],
  ];
}

/**
 * Creates and grants the roles (as `migrate --create-roles` does), then times each read in a
 * transaction of its own entered as an export is (`enterExportScope`), rolled back, cut at `timeoutMs`.
 */
export async function exporterReads(db: Kysely<any>, period: string, log: Logger, timeoutMs = 120_000): Promise<{ street: string | null; reads: ExporterRead[] }> {
  await createRoles(db, { log });
  await grantRoles(db, log);
  const { rows: [largest] } = await sql<{ street: string }>`
    select left(region_code, 9) as street from household
    where period = ${period} and substr(region_code, 7, 3) <> '000'
    group by 1 order by count(*) desc, 1 limit 1`.execute(db);
  if (!largest) return { street: null, reads: [] };
  const out: ExporterRead[] = [];
  for (const [read, query] of reads(period)) {
    await db.connection().execute(async (c) => {
      await sql`begin`.execute(c);
      const t = performance.now();
      try {
        await sql`select set_config('statement_timeout', ${String(timeoutMs)}, true)`.execute(c);
        if (!(await enterExportScope(c, largest.street))) throw new Error('row security is not active: the roles were not granted');
        const { rows } = await query.execute(c);
        out.push({ read, rows: rows[0]?.n ?? 0, ms: Math.round(performance.now() - t) });
      } catch (err) {
        out.push({ read, rows: null, ms: Math.round(performance.now() - t), error: err instanceof Error ? err.message : String(err) });
      } finally {
        await sql`rollback`.execute(c);
      }
    });
  }
  return { street: largest.street, reads: out };
}
