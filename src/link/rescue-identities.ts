import { sql } from 'kysely';
import type { Logger } from 'pino';
import { copyRows, type CopyValue } from '../db/copy.js';
import type { Tx } from '../db/transaction.js';
import { parseIdNumber } from '../identity/id-number.js';
import { comparableNumber, birthDateOf, decideRescue, nearNumbers, type RememberedDecision, type RosterPerson, type SentRow } from '../identity/id-rescue.js';
import { columnsWith, headerKey, type DepartmentId, type DepartmentSettings } from '../ingest/department.js';
import { department, departments } from '../ingest/departments.js';
import { rosterAsOf } from '../ingest/civil-affairs/civil-affairs.source.js';
import { mapHeader, valueMaps } from '../ingest/ingest-source.js';
import { clean, parseDate } from '../ingest/values.js';
import { periodEnd } from '../period.js';

export interface RescueCounts {
  rescued: number;
  review: number;
  rejected: number;
}

const BATCH = 2000;
const BIRTH_HEADERS = new Set(['birth_date', '出生日期'].map(headerKey));

interface Pending {
  source: DepartmentId;
  line: number;
  sent: SentRow;
  /** the row's fields by contract column, to validate again with the corrected number */
  input: Record<string, string>;
}

/**
 * After ingest, before linking: every rejected row of the period whose only hope is its ID number
 * is matched against the roster (src/identity/id-rescue.ts). A sure match is validated again with
 * the roster's number and loaded into its department's table; the rest is recorded for the
 * review list or stays rejected. The rejected_row record stays: it is what the file sent.
 */
export async function rescueIdentities(
  tx: Tx,
  period: string,
  log: Logger,
  /** the config's departments: a bureau's header names and codes, as the ingest read the file with them */
  settings: Readonly<Record<string, DepartmentSettings>> = {},
): Promise<Record<DepartmentId, RescueCounts>> {
  const asOf = periodEnd(period);
  // the departments whose rows point at roster people; the roster itself defines them
  const rescuable = departments().filter((d) => d.rescuable).map((d) => d.id);
  const counts: Record<DepartmentId, RescueCounts> = Object.fromEntries(rescuable.map((s) => [s, { rescued: 0, review: 0, rejected: 0 }]));
  const staged = new Map<DepartmentId, CopyValue[][]>();

  let after: { source: string; line: number } = { source: '', line: 0 };
  for (;;) {
    const { rows } = await sql<{ source: DepartmentId; line: number; raw: Record<string, string> }>`
      select source, line, raw from rejected_row
      where period = ${period} and source = any(${rescuable}::text[]) and (source, line) > (${after.source}, ${after.line})
      order by source, line limit ${BATCH}
    `.execute(tx.db);
    if (rows.length === 0) break;
    after = { source: rows.at(-1)!.source, line: rows.at(-1)!.line };

    const pending: Pending[] = [];
    for (const r of rows) {
      const def = department(r.source);
      const keys = Object.keys(r.raw);
      let header;
      try {
        header = mapHeader(keys, columnsWith(def, settings[def.id]), def.file);
      } catch {
        continue; // cannot happen for a file that loaded; nothing to rescue from
      }
      const sent = keys.map((k) => r.raw[k] ?? '');
      const fields = valueMaps(header)?.(sent) ?? sent;
      const input: Record<string, string> = {};
      for (const p of header.positions) input[p.column.name] = fields[p.index]!;
      const number = input[def.idColumn] ?? '';
      const parsed = parseIdNumber(number, asOf);
      // a valid number was rejected for another column; an empty one has nothing to match on
      if (parsed.ok || parsed.reason === 'empty') continue;
      const birthKey = keys.find((k) => BIRTH_HEADERS.has(headerKey(k)));
      pending.push({
        source: r.source,
        line: r.line,
        // a birth-date column the contract does not define: any date form we read, else the number's own digits
        sent: { number, name: clean(input.name) ?? null, birthDate: birthKey ? parseDate(clean(r.raw[birthKey]) ?? '') : null },
        input,
      });
    }
    if (pending.length === 0) continue;

    // roster people one keying error away, or with the same name and birth date, in one query
    const probes = pending.flatMap((p, i) => nearNumbers(p.sent.number).map((n) => [i, n] as const));
    const named = pending.map((p, i) => [i, p.sent.name, p.sent.birthDate ?? birthDateOf(p.sent.number)] as const).filter(([, n, b]) => n !== null && b !== null);
    const { rows: found } = await sql<RosterPerson & { i: number }>`
      select distinct p.i, r.id18, r.household_id, r.name, to_char(r.birth_date, 'YYYY-MM-DD') as birth_date
      from unnest(${probes.map(([i]) => i)}::int[], ${probes.map(([, n]) => n)}::text[]) as p(i, id18)
      join ${rosterAsOf(period)} as r on r.id18 = p.id18
      union
      select p.i, r.id18, r.household_id, r.name, to_char(r.birth_date, 'YYYY-MM-DD')
      from unnest(${named.map(([i]) => i)}::int[], ${named.map(([, n]) => n)}::text[], ${named.map(([, , b]) => b)}::date[]) as p(i, name, birth)
      join ${rosterAsOf(period)} as r on r.name = p.name and r.birth_date = p.birth
    `.execute(tx.db);
    const candidatesOf = new Map<number, RosterPerson[]>();
    for (const f of found) {
      const list = candidatesOf.get(f.i);
      if (list) list.push(f);
      else candidatesOf.set(f.i, [f]);
    }

    const keyOf = (p: Pending) => [comparableNumber(p.sent.number), p.sent.name ?? ''] as const;
    const { rows: decisions } = await sql<RememberedDecision & { sent_number: string; sent_name: string }>`
      select d.* from identity_decision d
      join unnest(${pending.map((p) => keyOf(p)[0])}::text[], ${pending.map((p) => keyOf(p)[1])}::text[]) as k(n, m)
        on d.sent_number = k.n and d.sent_name = k.m
    `.execute(tx.db);
    const remembered = new Map(decisions.map((d) => [`${d.sent_number}\u0000${d.sent_name}`, d]));

    const records: CopyValue[][] = [];
    pending.forEach((p, i) => {
      const [number, name] = keyOf(p);
      const decision = decideRescue(p.sent, candidatesOf.get(i) ?? [], remembered.get(`${number}\u0000${name}`));
      if (decision.outcome === 'rescued') {
        // the rest of the row must still hold: only the number is forgiven
        const def = department(p.source);
        const again = def.rowSchema(asOf).safeParse({ ...p.input, [def.idColumn]: decision.id18! });
        if (again.success) {
          let rows = staged.get(p.source);
          if (!rows) staged.set(p.source, (rows = []));
          rows.push(def.toColumns(again.data, { period, line: p.line }) as CopyValue[]);
        } else {
          const problems = again.error.issues.map((x: { path: PropertyKey[]; message: string }) => `${String(x.path[0] ?? '')}: ${x.message}`).join('; ');
          decision.outcome = 'rejected';
          decision.reason = `the number would link to a roster person, but the row is invalid for another reason (${problems})`;
          decision.reason_zh = `号码可关联名册人员，但该行另有错误（${problems}）`;
        }
      }
      counts[p.source]![decision.outcome]++;
      records.push([
        period, p.source, p.line, decision.outcome, number, p.sent.name, decision.id18, decision.confidence, decision.difference,
        decision.reason, decision.reason_zh, JSON.stringify(decision.candidates),
      ]);
    });
    await copyRows(tx.client, 'identity_rescue', [
      'period', 'source', 'line', 'outcome', 'sent_number', 'sent_name', 'id18', 'confidence', 'difference', 'reason', 'reason_zh', 'candidates',
    ], records);
  }

  for (const [source, rows] of staged) {
    const def = department(source);
    const stage = `rescue_${def.table}`;
    await sql`create temp table ${sql.table(stage)} (like ${sql.table(def.table)}) on commit drop`.execute(tx.db);
    await copyRows(tx.client, stage, def.tableColumns, rows);
    // a claim a valid line of the file also carries already holds its key: the valid line wins,
    // and the rescued row is not counted as loaded
    const kept = new Set(
      def.addRescued
        ? await def.addRescued(tx, period, stage)
        : (await sql<{ line: number }>`
            insert into ${sql.table(def.table)} select * from ${sql.table(stage)} on conflict do nothing returning line
          `.execute(tx.db)).rows.map((r) => r.line),
    );
    const superseded = rows.map((r) => Number(r[1])).filter((line) => !kept.has(line));
    if (superseded.length > 0) {
      await sql`
        update identity_rescue set outcome = 'rejected',
          reason = 'the number would link to a roster person, but a valid line of the file carries the same claim, which wins',
          reason_zh = '号码可关联名册人员，但文件中另有同一结算单号的有效行，以该行为准'
        where period = ${period} and source = ${source} and line = any(${superseded}::int[])
      `.execute(tx.db);
      counts[source]!.rescued -= superseded.length;
      counts[source]!.rejected += superseded.length;
    }
  }
  for (const source of rescuable) {
    const c = counts[source]!;
    if (c.rescued + c.review + c.rejected === 0) continue;
    await tx.db.updateTable('source_load').set({ rows_rescued: c.rescued }).where('period', '=', period).where('source', '=', source).execute();
    log.info({ source, ...c }, 'identity rescue');
  }
  // the figures of the departments that delivered this month: one that did not has no rows to rescue
  const delivered = new Set((await tx.db.selectFrom('source_load').select('source').where('period', '=', period).execute()).map((r) => r.source));
  return Object.fromEntries(Object.entries(counts).filter(([source]) => delivered.has(source)));
}
