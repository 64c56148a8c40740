import { basename } from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { copyRows, type CopyValue } from '../db/copy.js';
import { withTransaction } from '../db/transaction.js';
import { describeIssues, mapHeader } from '../ingest/ingest-source.js';
import { openVisitReport, visitColumns, visitRow } from './visit-report.js';

export interface VisitImportCounts {
  import_id: number;
  file: string;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  /** already imported (same household, day and outcome): a report sent twice counts once */
  rows_duplicate: number;
}

/**
 * Imports one street-office visit report in one transaction: each row validated, bad rows kept
 * with line, column and reason (like an extract's), rows for households Safetynet has never
 * scored refused, rows already imported skipped. Nothing is loaded if the file cannot be read.
 */
export async function importVisits(pool: pg.Pool, path: string, opts: { operator: string; today: string; log: Logger }): Promise<VisitImportCounts> {
  const file = basename(path);
  const report = await openVisitReport(path, file);
  let header: ReturnType<typeof mapHeader>;
  try {
    header = mapHeader(report.header, visitColumns, file);
  } catch (err) {
    report.close();
    throw err;
  }
  const schema = visitRow(opts.today);
  return withTransaction(pool, async (tx) => {
    const imp = await tx.db
      .insertInto('visit_import')
      .values({ file, sha256: '', operator: opts.operator, rows_read: 0, rows_loaded: 0, rows_rejected: 0, rows_duplicate: 0 })
      .returning('import_id')
      .executeTakeFirstOrThrow();
    await sql`
      create temp table stage_visit (line integer, household_id text, visited_on date, outcome text, assistance_granted numeric(14, 2), note text)
      on commit drop
    `.execute(tx.db);
    const rejects: CopyValue[][] = [];
    let read = 0;
    const width = report.header.length;
    async function* valid(): AsyncGenerator<CopyValue[]> {
      for await (const { line, fields } of report.records) {
        read++;
        const raw = Object.fromEntries(fields.map((f, i) => [report.header[i]?.trim() || `column ${i + 1}`, f]));
        if (fields.length !== width) {
          rejects.push([imp.import_id, line, null, `row has ${fields.length} fields, the header has ${width}`, JSON.stringify(raw)]);
          continue;
        }
        const input: Record<string, string> = {};
        for (const p of header.positions) input[p.column.name] = fields[p.index]!;
        const parsed = schema.safeParse(input);
        if (!parsed.success) {
          const problem = describeIssues(parsed.error.issues, header);
          rejects.push([imp.import_id, line, problem.columns, problem.reason, JSON.stringify(raw)]);
          continue;
        }
        const v = parsed.data;
        yield [line, v.household_id, v.visited_on, v.outcome, v.assistance_granted, v.note];
      }
    }
    await copyRows(tx.client, 'stage_visit', ['line', 'household_id', 'visited_on', 'outcome', 'assistance_granted', 'note'], valid());

    // a household no run has ever scored is a typo in the report, or another district's
    const unknown = await sql<{ line: number; household_id: string }>`
      select line, household_id from stage_visit s
      where not exists (select 1 from household h where h.household_id = s.household_id)
    `.execute(tx.db);
    for (const u of unknown.rows) {
      rejects.push([imp.import_id, u.line, 'household_id', `household ${u.household_id} is not in any period Safetynet has run`, JSON.stringify({ household_id: u.household_id })]);
    }
    const inserted = await sql<{ n: number }>`
      with ins as (
        insert into visit (import_id, line, household_id, visited_on, outcome, assistance_granted, note)
        select distinct on (household_id, visited_on, outcome) ${imp.import_id}, line, household_id, visited_on, outcome, assistance_granted, note
        from stage_visit s
        where exists (select 1 from household h where h.household_id = s.household_id)
        order by household_id, visited_on, outcome, line
        on conflict (household_id, visited_on, outcome) do nothing
        returning 1
      ) select count(*)::int as n from ins
    `.execute(tx.db);
    if (rejects.length > 0) await copyRows(tx.client, 'visit_rejected', ['import_id', 'line', 'column_name', 'reason', 'raw'], rejects);

    const loaded = inserted.rows[0]?.n ?? 0;
    const counts: VisitImportCounts = {
      import_id: imp.import_id,
      file,
      rows_read: read,
      rows_loaded: loaded,
      rows_rejected: rejects.length,
      rows_duplicate: read - loaded - rejects.length,
    };
    await tx.db
      .updateTable('visit_import')
      .set({ sha256: report.sha256(), rows_read: counts.rows_read, rows_loaded: counts.rows_loaded, rows_rejected: counts.rows_rejected, rows_duplicate: counts.rows_duplicate })
      .where('import_id', '=', imp.import_id)
      .execute();
    opts.log.info({ ...counts }, 'visit report imported');
    return counts;
  });
}
