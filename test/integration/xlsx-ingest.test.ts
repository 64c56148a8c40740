import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.js';
import { department } from '../../src/ingest/departments.js';
import { ingestSource, type SourceCounts } from '../../src/ingest/ingest-source.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { makeId } from '../helpers/inbox.js';

/**
 * Departments' XLSX extracts through the real ingest on PostgreSQL: the rows load as their CSV
 * twins would, and a row whose ID number Excel stored as a number is rejected with its row
 * number and why, never loaded under the number Excel rounded it to.
 */

const test = useTestDatabase();
const PERIOD = '2026-10';
const utcDate = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

const A = makeId('19800101', 11);
const B = makeId('19820202', 22);
const C = makeId('19500505', 41);
const X = '42010619550606009X';

async function ingestWorkbook(departmentId: string, name: string, rows: ExcelJS.CellValue[][], style?: (ws: ExcelJS.Worksheet) => void): Promise<SourceCounts> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  for (const r of rows) ws.addRow(r);
  style?.(ws);
  const path = join(await mkdtemp(join(tmpdir(), 'safetynet-xlsx-ingest-')), name);
  await wb.xlsx.writeFile(path);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return withTransaction(test.handle.pool, (tx) =>
    ingestSource(tx, department(departmentId), { period: PERIOD, path, file: `${PERIOD}/${name}`, sha256, log: silentLog }),
  );
}

async function rejects(source: string) {
  const { rows } = await sql<{ line: number; column_name: string | null; reason: string }>`
    select line, column_name, reason from rejected_row where period = ${PERIOD} and source = ${source} order by line
  `.execute(test.handle.db);
  return rows;
}

const NUMERIC_ID =
  "身份证号: ID number stored as a number in the workbook: Excel keeps only 15 significant digits, so it may be another person's number; store the column as text";

describe('an XLSX extract ingested', () => {
  it('loads a health workbook with Excel dates and rejects the row whose ID number is a number', async () => {
    const counts = await ingestWorkbook('health', 'health.xlsx', [
      ['身份证号', '姓名', '诊断编码', '病种类别', '登记日期'],
      [A, '张伟', 'N18.5', '慢性病', utcDate(2026, 9, 14)],
      // 420106198202020221 typed into a General cell: Excel keeps 420106198202020000
      [Number(B), '李娜', 'I10', '慢病', utcDate(2026, 10, 2)],
      [X, '王芳', 'F20.0', '严重精神障碍', '2026-08-01'],
      [C, '刘强', 'E11.9', '慢性病', null],
    ]);
    expect(counts).toEqual({ rows_read: 4, rows_loaded: 3, rows_rejected: 1 });
    expect(await rejects('health')).toEqual([{ line: 3, column_name: '身份证号', reason: NUMERIC_ID }]);
    // diagnoses are kept as versions (migration 0032): the line stays with the rejects
    const { rows } = await sql<{ id18: string; category: string; recorded_on: string | null }>`
      select id18, category, to_char(recorded_on, 'YYYY-MM-DD') as recorded_on from diagnosis where period = ${PERIOD} order by id18
    `.execute(test.handle.db);
    expect(rows).toEqual(
      [
        { id18: A, category: 'chronic', recorded_on: '2026-09-14' },
        { id18: X, category: 'mental', recorded_on: '2026-08-01' },
        { id18: C, category: 'chronic', recorded_on: null },
      ].sort((a, b) => a.id18.localeCompare(b.id18)),
    );
    const load = await test.handle.db.selectFrom('source_load').select(['file', 'encoding', 'rows_read', 'rows_rejected']).where('source', '=', 'health').executeTakeFirstOrThrow();
    expect(load).toEqual({ file: `${PERIOD}/health.xlsx`, encoding: 'xlsx', rows_read: 4, rows_rejected: 1 });
  });

  it('loads a claims workbook of 是/否, amounts typed as numbers and Excel dates', async () => {
    const counts = await ingestWorkbook(
      'medical-insurance',
      'medical-insurance.xlsx',
      [
        ['结算单号', '身份证号', '姓名', '结算日期', '是否住院', '医疗总费用', '统筹支付', '医疗救助支付', '个人自付'],
        // 1.1 + 2.2 is 3.3000000000000003 in a double: read as Excel shows it, 3.3
        ['JS001', A, '张伟', utcDate(2026, 10, 3), '是', 12000.5, 8000, null, 1.1 + 2.2],
        ['JS002', C, '刘强', utcDate(2026, 10, 9), '否', 350, 200, 50, 100],
        ['JS003', Number(B), '李娜', utcDate(2026, 10, 9), '否', 800, 500, null, 300],
      ],
      (ws) => {
        ws.getColumn(4).numFmt = 'yyyy"年"m"月"d"日"';
        for (const c of [6, 7, 8, 9]) ws.getColumn(c).numFmt = '#,##0.00';
      },
    );
    expect(counts).toEqual({ rows_read: 3, rows_loaded: 2, rows_rejected: 1 });
    expect(await rejects('medical-insurance')).toEqual([{ line: 4, column_name: '身份证号', reason: NUMERIC_ID }]);
    const { rows } = await sql<{ claim_id: string; settled_on: string; inpatient: boolean; total_cost: string; out_of_pocket: string }>`
      select claim_id, to_char(settled_on, 'YYYY-MM-DD') as settled_on, inpatient, total_cost::text, out_of_pocket::text
      from claim where received_period = ${PERIOD} order by claim_id
    `.execute(test.handle.db);
    expect(rows).toEqual([
      { claim_id: 'JS001', settled_on: '2026-10-03', inpatient: true, total_cost: '12000.50', out_of_pocket: '3.30' },
      { claim_id: 'JS002', settled_on: '2026-10-09', inpatient: false, total_cost: '350.00', out_of_pocket: '100.00' },
    ]);
  });
});
