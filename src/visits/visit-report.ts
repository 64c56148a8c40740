import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { ColumnSpec } from '../ingest/source.js';
import { openExtract, type ExtractRecord } from '../ingest/read-extract.js';
import { clean, codeList, optionalMoney, optionalText, parseDate, requiredText } from '../ingest/values.js';
import { openWorkbookRows, WORKBOOK_LIMITS, type WorkbookLimits, type WorkbookRow } from './read-workbook.js';

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

export interface ReportLimits extends WorkbookLimits {
  /** data rows of one report, CSV or XLSX */
  maxRows: number;
}

export const REPORT_LIMITS: ReportLimits = {
  ...WORKBOOK_LIMITS,
  // a street office visits a few hundred households a month, a district a few thousand: 200,000
  // rows is a city's year in one file, and imports in well under a minute; more is no report
  maxRows: 200_000,
};

/** A row of a report: its line (CSV) or row number (XLSX), its fields, and which of them hold a formula. */
export interface ReportRecord extends ExtractRecord {
  /** 0-based columns whose XLSX cell is a formula, not a value (never in a CSV) */
  formulas?: number[];
}

export interface OpenedReport {
  header: string[];
  records: AsyncIterable<ReportRecord>;
  sha256(): string;
  close(): void;
}

async function openWorkbook(path: string, file: string, limits: WorkbookLimits): Promise<OpenedReport> {
  const hash = createHash('sha256');
  const rows = await openWorkbookRows(path, file, limits);
  const blank = (r: WorkbookRow) => r.formulas.length === 0 && r.fields.every((f) => f.trim() === '');
  let first = await rows.next();
  // blank rows above the header are skipped, as a person would
  while (!first.done && blank(first.value)) first = await rows.next();
  const header = first.done ? [] : first.value.fields;
  while (header.length > 0 && header.at(-1)!.trim() === '') header.pop();
  const width = header.length;
  async function* records(): AsyncGenerator<ReportRecord> {
    for (let r = await rows.next(); !r.done; r = await rows.next()) {
      if (blank(r.value)) continue;
      const fields = r.value.fields;
      // empty cells past the header's width are formatting, not data
      while (fields.length > width && fields.at(-1)!.trim() === '') fields.pop();
      while (fields.length < width) fields.push('');
      yield { line: r.value.line, fields, formulas: r.value.formulas };
    }
    // the hash is of the file as given, read once the sheet is: a refused file is never hashed
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  }
  let digest: string | undefined;
  return {
    header,
    records: records(),
    sha256: () => (digest ??= hash.digest('hex')),
    close: () => void rows.return(undefined),
  };
}

/** Opens a report by its extension: .xlsx as a workbook, anything else as CSV. */
export async function openVisitReport(path: string, file: string, limits: WorkbookLimits = WORKBOOK_LIMITS): Promise<OpenedReport> {
  if (/\.xlsx$/i.test(path)) return openWorkbook(path, file, limits);
  const extract = await openExtract(path, file);
  return { header: extract.header, records: extract.records, sha256: () => extract.sha256(), close: () => extract.close() };
}
