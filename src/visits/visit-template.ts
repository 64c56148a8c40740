import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { OUTCOME_WORDS } from '../export/visit-cards.js';
import { visitColumns } from './visit-report.js';

/** Rows of the sheet that offer the outcome drop-down: more than a street's month of visits. */
const ROWS_WITH_LIST = 2000;

/**
 * The blank visit report a street office fills in: the columns `visits import` reads, an
 * outcome drop-down in words it reads back, and one example row to delete. The drop-down only
 * warns on other text: a district's own words (`visits.outcomeWords`) are read too.
 */
export async function writeVisitTemplate(out: Writable, lang: 'en' | 'zh' = 'zh'): Promise<void> {
  const zh = lang === 'zh';
  const words = [
    ...Object.values(OUTCOME_WORDS).map((w) => (zh ? w.zh : w.en)),
    ...(zh ? ['符合条件待审批'] : []),
  ];
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(zh ? '走访情况' : 'visits', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = visitColumns.map((c) => ({ header: zh ? c.headers[0]! : c.name, key: c.name, width: c.name === 'note' ? 40 : 18 }));
  ws.getRow(1).font = { bold: true };
  // the date as a date cell: Excel shows the office's own format and the import reads the serial
  ws.getColumn('visited_on').numFmt = 'yyyy-mm-dd';
  ws.getColumn('household_id').numFmt = '@';
  ws.addRow({
    household_id: zh ? '（户编号，见预警名单）' : '(household_id from the list)',
    visited_on: new Date(Date.UTC(2026, 10, 7)),
    outcome: zh ? '符合条件待审批' : 'assisted_other',
    assistance_granted: 800,
    note: zh ? '示例行：填写前请删除' : 'example row: delete it before sending',
  });
  const list = `"${words.join(',')}"`;
  (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(`C2:C${ROWS_WITH_LIST + 1}`, {
    type: 'list',
    allowBlank: true,
    formulae: [list],
    showErrorMessage: true,
    errorStyle: 'warning',
    errorTitle: zh ? '走访结果' : 'outcome',
    error: zh ? '请从列表中选择，或填写本区约定的走访结果用语' : 'choose from the list, or a word your district configured',
  });
  await wb.xlsx.write(out);
}
