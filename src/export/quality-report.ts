import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { maskIdNumber, normaliseIdNumber } from '../identity/id-number.js';
import { drained } from './stream-rows.js';
import { neutraliseFormula } from './warning-list.js';

/**
 * The period's data-quality report: every refused row (with file line, column and reason) and
 * every warning on a kept row, for the departments to fix at the source. Reasons name columns
 * and lines; the sent ID number appears masked only, so the report can be sent back as it is.
 */
export async function writeQualityReport(db: Kysely<Database>, period: string, out: Writable): Promise<number> {
  const csv = stringify({ bom: true, record_delimiter: 'windows' });
  const done = pipeline(csv, out);
  done.catch(() => {}); // awaited below, or by drained() when the pipe fails mid-list
  // the sent ID number, masked as the contract masks it (first 6, last 4): enough for the
  // department to find its row beside the line number, not enough to rebuild the number
  csv.write(['status', 'source', 'line', 'column', 'problem', 'id_number_masked']);
  const rejected = db
    .selectFrom('rejected_row')
    .select([
      sql.lit('rejected').as('status'), 'source', sql<number | null>`line`.as('line'), 'column_name', 'reason as problem',
      sql<string | null>`(select v from jsonb_each_text(raw) e(k, v) where lower(btrim(k)) in ('id_number', '身份证号', '身份证号码') limit 1)`.as('sent_id'),
    ])
    .where('period', '=', period);
  const warned = db
    .selectFrom('quality_issue')
    .select([
      sql.lit('kept with warning').as('status'),
      'source',
      'line',
      sql<string | null>`null::text`.as('column_name'),
      sql<string>`kind || ': ' || detail`.as('problem'),
      sql<string | null>`null::text`.as('sent_id'),
    ])
    .where('period', '=', period);
  // what the identity rescue made of each rejected ID number: linked, in review, still rejected
  const rescued = db
    .selectFrom('identity_rescue')
    .select([
      sql<string>`case outcome when 'rescued' then 'rescued (identity)' when 'review' then 'identity review' else 'rejected (identity)' end`.as('status'),
      'source',
      sql<number | null>`line`.as('line'),
      sql<string | null>`'id_number'`.as('column_name'),
      // generic words: this report goes back to the departments, the roster's people stay out of it
      sql<string>`case outcome
        when 'rescued' then 'linked to a roster person: ' || case difference when 'substitution' then 'one wrong digit'
          when 'transposition' then 'two adjacent digits swapped' else 'confirmed by an analyst' end
          || ', confidence ' || confidence || ' (please correct the number at the source)'
        when 'review' then 'more than one or only a weak roster match: waiting for an analyst (safetynet review)'
        else case when id18 is not null then 'would link to a roster person, but the row is invalid otherwise or a valid line carries the same claim: stays rejected'
                  when reason like 'an analyst%' then 'an analyst refused the suggested link: stays rejected'
                  else 'no roster person matches: stays rejected' end end`.as('problem'),
      'sent_number as sent_id',
    ])
    .where('period', '=', period);
  // every column in the order, byte-wise: rows that tie on file and line (a row rejected and then
  // rescued, several notes on one line) would otherwise come in whatever order the heap holds
  // them, and a rerun's report must be byte-identical to the first
  const rows = db
    .selectFrom(rejected.unionAll(warned).unionAll(rescued).as('r'))
    .selectAll()
    .orderBy(sql`source collate "C"`)
    .orderBy(sql`line nulls first`)
    .orderBy(sql`status collate "C"`)
    .orderBy(sql`column_name collate "C" nulls first`)
    .orderBy(sql`problem collate "C"`)
    .orderBy(sql`sent_id collate "C" nulls first`);
  let n = 0;
  for await (const r of rows.stream(1000)) {
    n++;
    const sent = r.sent_id ? normaliseIdNumber(r.sent_id) : '';
    if (!csv.write([r.status, r.source, r.line ?? '', neutraliseFormula(r.column_name ?? ''), neutraliseFormula(r.problem), neutraliseFormula(sent ? maskIdNumber(sent) : '')])) {
      await drained(csv, done);
    }
  }
  csv.end();
  await done;
  return n;
}
