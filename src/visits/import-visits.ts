import { basename } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { copyRows, type CopyValue } from '../db/copy.js';
import { withTransaction } from '../db/transaction.js';
import { describeIssues, mapHeader } from '../ingest/ingest-source.js';
import type { Database } from '../db/schema.js';
import { ExtractRejected } from '../errors.js';
import type { VisitOutcome } from './outcomes.js';
import { openVisitReport, REPORT_LIMITS, visitColumns, visitRow, type ReportLimits } from './visit-report.js';
import { anyPeriodHas } from '../link/households.js';

export interface VisitImportCounts {
  import_id: number;
  file: string;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  /** already imported (same household, day and outcome): a report sent twice counts once */
  rows_duplicate: number;
}

export interface VisitImport extends VisitImportCounts {
  /** the report's column names as sent, in its order: the columns of a rejects file */
  header: string[];
}

/** Fields of a rejected row kept as evidence beyond the header's width: a runaway row is not kept whole. */
const EXTRA_FIELDS_KEPT = 20;

/**
 * Imports one street-office visit report in one transaction: each row validated, bad rows kept
 * with line, column and reason (like an extract's), rows for households Safetynet has never
 * scored refused, rows already imported skipped. Nothing is loaded if the file cannot be read or
 * cannot be trusted (a zip bomb, more rows than `limits.maxRows`): ExtractRejected, exit code 3.
 * Valid and rejected rows stream through one COPY into staging: memory does not grow with the file.
 */
export async function importVisits(
  pool: pg.Pool,
  path: string,
  opts: { operator: string; today: string; log: Logger; limits?: Partial<ReportLimits>; outcomeWords?: Record<string, VisitOutcome> },
): Promise<VisitImport> {
  const file = basename(path);
  const limits: ReportLimits = { ...REPORT_LIMITS, ...opts.limits };
  const report = await openVisitReport(path, file, limits);
  let header: ReturnType<typeof mapHeader>;
  try {
    header = mapHeader(report.header, visitColumns, file);
  } catch (err) {
    report.close();
    throw err;
  }
  const schema = visitRow(opts.today, opts.outcomeWords);
  const width = report.header.length;
  const headerName = (i: number) => report.header[i]?.trim() || `column ${i + 1}`;
  const mapped = new Set(header.positions.map((p) => p.index));
  return withTransaction(pool, async (tx) => {
    const imp = await tx.db
      .insertInto('visit_import')
      .values({ file, sha256: '', operator: opts.operator, rows_read: 0, rows_loaded: 0, rows_rejected: 0, rows_duplicate: 0 })
      .returning('import_id')
      .executeTakeFirstOrThrow();
    await sql`
      create temp table stage_visit (
        line integer, household_id text, visited_on date, outcome text, assistance_granted numeric(14, 2), note text,
        reject_column text, reject_reason text, raw jsonb
      ) on commit drop
    `.execute(tx.db);
    let read = 0;
    const reject = (line: number, fields: string[], column: string | null, reason: string): CopyValue[] => {
      // the row as sent, keyed by its own headers, kept for whoever fixes it at the street office
      const raw: Record<string, string> = {};
      fields.slice(0, width + EXTRA_FIELDS_KEPT).forEach((f, i) => {
        raw[headerName(i)] = f.replaceAll('\u0000', '');
      });
      if (fields.length > width + EXTRA_FIELDS_KEPT) raw['…'] = `${fields.length - width - EXTRA_FIELDS_KEPT} more fields not kept`;
      return [line, null, null, null, null, null, column, reason, JSON.stringify(raw)];
    };
    async function* staged(): AsyncGenerator<CopyValue[]> {
      try {
        for await (const { line, fields, formulas } of report.records) {
          read++;
          if (read > limits.maxRows) {
            throw new ExtractRejected(
              { file, line },
              `the report has more than ${limits.maxRows.toLocaleString('en')} rows, more than a visit report holds: split it; the file was refused whole, nothing was imported`,
            );
          }
          if (fields.length !== width) {
            yield reject(line, fields, null, `row has ${fields.length} fields, the header has ${width}`);
            continue;
          }
          // a formula's result is whatever the program that last saved the file wrote beside it
          // (or nothing): an outcome must be what the street worker typed
          const formula = formulas?.find((i) => mapped.has(i));
          if (formula !== undefined) {
            yield reject(line, fields, headerName(formula), `${headerName(formula)}: a formula, not a value: type the value itself (copy, paste as values)`);
            continue;
          }
          const input: Record<string, string> = {};
          for (const p of header.positions) input[p.column.name] = fields[p.index]!;
          const parsed = schema.safeParse(input);
          if (!parsed.success) {
            const problem = describeIssues(parsed.error.issues, header);
            yield reject(line, fields, problem.columns, problem.reason);
            continue;
          }
          const v = parsed.data;
          yield [line, v.household_id, v.visited_on, v.outcome, v.assistance_granted, v.note, null, null, null];
        }
      } finally {
        report.close();
      }
    }
    await copyRows(
      tx.client,
      'stage_visit',
      ['line', 'household_id', 'visited_on', 'outcome', 'assistance_granted', 'note', 'reject_column', 'reject_reason', 'raw'],
      staged(),
    );

    // the row under the report's own column names (values as read: 2026年11月7日 is 2026-11-07)
    const asSent = header.positions.flatMap((p) => [sql`${headerName(p.index)}::text`, sql`${sql.ref(`s.${p.column.name}`)}::text`]);
    const rejected = await sql<{ n: number }>`
      with ins as (
        insert into visit_rejected (import_id, line, column_name, reason, raw)
        select ${imp.import_id}::bigint, line, reject_column, reject_reason, raw from stage_visit where reject_reason is not null
        union all
        -- a household no run has ever scored is a typo in the report, or another district's
        select ${imp.import_id}::bigint, line, 'household_id', format('household %s is not in any period Safetynet has run', household_id),
               jsonb_build_object(${sql.join(asSent)})
        from stage_visit s
        where reject_reason is null and not ${anyPeriodHas(sql.ref('s.household_id'))}
        returning 1
      ) select count(*)::int as n from ins
    `.execute(tx.db);
    const inserted = await sql<{ n: number }>`
      with ins as (
        insert into visit (import_id, line, household_id, visited_on, outcome, assistance_granted, note)
        select distinct on (household_id, visited_on, outcome) ${imp.import_id}, line, household_id, visited_on, outcome, assistance_granted, note
        from stage_visit s
        where reject_reason is null and ${anyPeriodHas(sql.ref('s.household_id'))}
        order by household_id, visited_on, outcome, line
        on conflict (household_id, visited_on, outcome) do nothing
        returning 1
      ) select count(*)::int as n from ins
    `.execute(tx.db);

    const loaded = inserted.rows[0]?.n ?? 0;
    const refused = rejected.rows[0]?.n ?? 0;
    const counts: VisitImportCounts = {
      import_id: imp.import_id,
      file,
      rows_read: read,
      rows_loaded: loaded,
      rows_rejected: refused,
      rows_duplicate: read - loaded - refused,
    };
    await tx.db
      .updateTable('visit_import')
      .set({ sha256: report.sha256(), rows_read: counts.rows_read, rows_loaded: counts.rows_loaded, rows_rejected: counts.rows_rejected, rows_duplicate: counts.rows_duplicate })
      .where('import_id', '=', imp.import_id)
      .execute();
    opts.log.info({ ...counts }, 'visit report imported');
    return { ...counts, header: report.header.map((_, i) => headerName(i)) };
  });
}

export interface RejectedVisitRow {
  line: number;
  column_name: string | null;
  reason: string;
  /** the row as sent, keyed by the report's own column names */
  raw: Record<string, string>;
}

/** The rejected rows of one import, by line: what the street office fixes and sends again. */
export async function* rejectedVisitRows(db: Kysely<Database>, importId: number): AsyncGenerator<RejectedVisitRow> {
  const rows = db
    .selectFrom('visit_rejected')
    .select(['line', 'column_name', 'reason', 'raw'])
    .where('import_id', '=', importId)
    .orderBy('line')
    .orderBy('column_name')
    .stream(1000);
  for await (const r of rows) yield { ...r, raw: (r.raw ?? {}) as Record<string, string> };
}
