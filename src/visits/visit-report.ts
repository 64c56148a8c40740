import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { ColumnSpec } from '../ingest/department.js';
import { openExtract, type ExtractRecord } from '../ingest/read-extract.js';
import { clean, codeList, optionalMoney, optionalText, parseDate, requiredText } from '../ingest/values.js';
import { defaultConfig } from '../config/defaults.js';
import { visitOutcomes, type VisitOutcome } from './outcomes.js';
import { openWorkbookRows, WORKBOOK_LIMITS, type WorkbookLimits, type WorkbookRow } from './read-workbook.js';

/**
 * The street offices' visit reports: one row per visit, CSV (the contract's conventions, UTF-8 or
 * GB18030) or the first sheet of an XLSX workbook, English or Chinese headers.
 */

export { visitOutcomes, type VisitOutcome } from './outcomes.js';

/** Outcomes in which the visit found a need and help was given: the list was right. */
export const ASSISTED: readonly VisitOutcome[] = ['assisted_dibao', 'assisted_tekun', 'assisted_temporary', 'assisted_medical', 'assisted_other'];

/** Spaces and punctuation a street office puts between the words of an outcome. */
const OUTCOME_NOISE = /[\s，,、。.；;：:（）()]/gu;

/** The outcome column: the ids, and the street offices' words (config `visits.outcomeWords`). */
export function outcomeOf(words: Record<string, VisitOutcome>) {
  const list = codeList(
    {
      ...Object.fromEntries(Object.entries(words).map(([w, o]) => [w.replace(OUTCOME_NOISE, ''), o])),
      ...Object.fromEntries(visitOutcomes.map((o) => [o, o])),
    } as Record<string, VisitOutcome>,
    'visit outcome',
  );
  return z.preprocess((v) => {
    const c = clean(v as string | undefined);
    // an id keeps its underscores; words lose the spaces and commas between them
    return c === undefined || /^[a-z_]+$/i.test(c) ? c : c.replace(OUTCOME_NOISE, '');
  }, list);
}

/** The outcome column with the default words (the cards print words that this reads back). */
export const outcome = outcomeOf(defaultConfig.visits.outcomeWords);

export const visitColumns: ColumnSpec[] = [
  { name: 'household_id', headers: ['户编号'], required: true },
  { name: 'visited_on', headers: ['走访日期'], required: true },
  { name: 'outcome', headers: ['走访结果'], required: true },
  { name: 'assistance_granted', headers: ['救助金额', '救助金额（元）'], required: false },
  { name: 'note', headers: ['备注', '情况说明'], required: false },
];

/**
 * A visit's day as street offices write it: 2026-11-07, 20261107, 2026/11/7, and also
 * 2026年11月7日 and 2026.11.7 (the Chinese date and the dotted one of forms and WeChat).
 */
export function visitDate(s: string): string | null {
  const chinese = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$/u.exec(s);
  const dotted = /^(\d{4})\.(\d{1,2})\.(\d{1,2})$/.exec(s);
  const parts = chinese ?? dotted;
  return parseDate(parts ? `${parts[1]}-${parts[2]}-${parts[3]}` : s);
}

/** 800元, ¥800, 800.00 元, RMB 800: the amount with its currency sign or word taken off. */
function withoutYuan(v: unknown): unknown {
  const c = clean(v as string | undefined);
  // NFKC has made the full-width ￥ a ¥
  return c === undefined ? c : c.replace(/^(?:[¥]|RMB|人民币)\s*/iu, '').replace(/\s*元$/u, '');
}

/** `today` bounds the date: a report of a visit that has not happened yet is a typo. */
export const visitRow = (today: string, words: Record<string, VisitOutcome> = defaultConfig.visits.outcomeWords) =>
  z.object({
    household_id: requiredText,
    visited_on: z.preprocess(
      clean,
      z.string({ error: 'value is missing' }).transform((s, ctx) => {
        const d = visitDate(s);
        if (d === null || d < '2000-01-01') {
          ctx.addIssue({ code: 'custom', message: `"${s}" is not a date (2026-11-07, 20261107, 2026/11/7, 2026.11.7 or 2026年11月7日)` });
          return z.NEVER;
        }
        if (d > today) {
          ctx.addIssue({ code: 'custom', message: `${d} is after today (${today})` });
          return z.NEVER;
        }
        return d;
      }),
    ),
    outcome: outcomeOf(words),
    assistance_granted: z.preprocess(withoutYuan, optionalMoney),
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
