import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import ExcelJS from 'exceljs';
import type { ColumnSpec } from '../ingest/source.js';
import { openExtract, type ExtractRecord } from '../ingest/read-extract.js';
import { clean, codeList, optionalMoney, optionalText, parseDate, requiredText } from '../ingest/values.js';

/**
 * The street offices' visit reports: one row per visit, CSV (the contract's conventions, UTF-8 or
 * GB18030) or the first sheet of an XLSX workbook, English or Chinese headers.
 */

export const visitOutcomes = [
  'assisted_dibao', 'assisted_tekun', 'assisted_temporary', 'assisted_medical', 'assisted_other',
  'not_eligible', 'refused', 'not_found', 'moved',
] as const;
export type VisitOutcome = (typeof visitOutcomes)[number];

/** Outcomes in which the visit found a need and help was given: the list was right. */
export const ASSISTED: readonly VisitOutcome[] = ['assisted_dibao', 'assisted_tekun', 'assisted_temporary', 'assisted_medical', 'assisted_other'];

export const outcome = codeList(
  {
    纳入低保: 'assisted_dibao', 低保: 'assisted_dibao', dibao: 'assisted_dibao',
    纳入特困: 'assisted_tekun', 特困: 'assisted_tekun', tekun: 'assisted_tekun',
    临时救助: 'assisted_temporary', temporary: 'assisted_temporary',
    医疗救助: 'assisted_medical', medical: 'assisted_medical',
    其他帮扶: 'assisted_other', 其他救助: 'assisted_other',
    不符合条件: 'not_eligible', 不符合: 'not_eligible',
    拒绝: 'refused', 拒绝走访: 'refused',
    未找到: 'not_found', 查无此户: 'not_found',
    已搬迁: 'moved', 搬迁: 'moved',
    ...Object.fromEntries(visitOutcomes.map((o) => [o, o])),
  } as Record<string, VisitOutcome>,
  'visit outcome',
);

export const visitColumns: ColumnSpec[] = [
  { name: 'household_id', headers: ['户编号'], required: true },
  { name: 'visited_on', headers: ['走访日期'], required: true },
  { name: 'outcome', headers: ['走访结果'], required: true },
  { name: 'assistance_granted', headers: ['救助金额', '救助金额（元）'], required: false },
  { name: 'note', headers: ['备注', '情况说明'], required: false },
];

/** `today` bounds the date: a report of a visit that has not happened yet is a typo. */
export const visitRow = (today: string) =>
  z.object({
    household_id: requiredText,
    visited_on: z.preprocess(
      clean,
      z.string({ error: 'value is missing' }).transform((s, ctx) => {
        const d = parseDate(s);
        if (d === null || d < '2000-01-01') {
          ctx.addIssue({ code: 'custom', message: `"${s}" is not a date (YYYY-MM-DD or YYYYMMDD)` });
          return z.NEVER;
        }
        if (d > today) {
          ctx.addIssue({ code: 'custom', message: `${d} is after today (${today})` });
          return z.NEVER;
        }
        return d;
      }),
    ),
    outcome: z.preprocess(clean, outcome),
    assistance_granted: optionalMoney,
    note: optionalText,
  });
export type VisitRow = z.infer<ReturnType<typeof visitRow>>;

export interface OpenedReport {
  header: string[];
  records: AsyncIterable<ExtractRecord>;
  sha256(): string;
  close(): void;
}

/** A cell as text: dates as YYYY-MM-DD (Excel stores them as dates), numbers as written, rich text joined. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v) return String(v.text);
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if ('error' in v) return '';
  }
  return String(v);
}

async function openWorkbook(path: string): Promise<OpenedReport> {
  const hash = createHash('sha256');
  // the hash is of the file as given, read once beside the parser
  const hashing = (async () => {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  })();
  // styles are read so that date cells come back as dates, not as Excel serial numbers
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'emit' });
  const rows: AsyncIterator<ExcelJS.Row> = (async function* () {
    for await (const sheet of reader) {
      yield* sheet as unknown as AsyncIterable<ExcelJS.Row>;
      return; // the first sheet is the report
    }
  })();
  let first = await rows.next();
  // blank rows above the header are skipped, as a person would
  while (!first.done && Array.from(first.value.values as ExcelJS.CellValue[]).every((v) => cellText(v).trim() === '')) first = await rows.next();
  // Array.from: exceljs leaves holes for empty cells
  const header = first.done ? [] : Array.from(first.value.values as ExcelJS.CellValue[]).slice(1).map(cellText);
  const width = header.length;
  async function* records(): AsyncGenerator<ExtractRecord> {
    for (let r = await rows.next(); !r.done; r = await rows.next()) {
      const values = Array.from(r.value.values as ExcelJS.CellValue[]).slice(1).map(cellText);
      if (values.every((v) => v.trim() === '')) continue;
      while (values.length < width) values.push('');
      yield { line: r.value.number, fields: values.slice(0, Math.max(width, values.length)) };
    }
    await hashing;
  }
  let digest: string | undefined;
  return { header, records: records(), sha256: () => (digest ??= hash.digest('hex')), close: () => {} };
}

/** Opens a report by its extension: .xlsx as a workbook, anything else as CSV. */
export async function openVisitReport(path: string, file: string): Promise<OpenedReport> {
  if (/\.xlsx$/i.test(path)) return openWorkbook(path);
  const extract = await openExtract(path, file);
  return { header: extract.header, records: extract.records, sha256: () => extract.sha256(), close: () => extract.close() };
}
