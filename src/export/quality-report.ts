import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { neutraliseFormula } from './warning-list.js';

/**
 * The period's data-quality report: every refused row (with file line, column and reason) and
 * every warning on a kept row, for the departments to fix at the source. Reasons name columns
 * and lines, never the values, so the report can be sent back without masking.
 */
export async function writeQualityReport(db: Kysely<Database>, period: string, out: Writable): Promise<number> {
  const csv = stringify({ bom: true, record_delimiter: 'windows' });
  const done = pipeline(csv, out);
  csv.write(['status', 'source', 'line', 'column', 'problem']);
  const rows = sql<{ status: string; source: string; line: number | null; column_name: string | null; problem: string }>`
    select 'rejected' as status, source, line, column_name, reason as problem from rejected_row where period = ${period}
    union all
    select 'kept with warning', source, line, null, kind || ': ' || detail from quality_issue where period = ${period}
    order by source, line nulls first, status
  `;
  let n = 0;
  for (const r of (await rows.execute(db)).rows) {
    n++;
    if (!csv.write([r.status, r.source, r.line ?? '', neutraliseFormula(r.column_name ?? ''), neutraliseFormula(r.problem)])) {
      await new Promise((resolve) => csv.once('drain', resolve));
    }
  }
  csv.end();
  await done;
  return n;
}
