import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * A rejected row's reason class, over rejected_row's `reason` and `column_name`: the text after
 * the "column: " prefix, up to the first '(' or ':' (or '; ' when a row had several problems);
 * quoted values and digits are blanked, so that no value from a row leaves the database this way
 * and equal problems group together. The monthly report's table and a refused period's message
 * both group by it.
 */
export const reasonClass = sql<string>`coalesce(nullif(btrim(regexp_replace(regexp_replace(substring(
  case when column_name is not null then regexp_replace(reason, '^[^:]*:\\s*', '') else reason end
  from '^[^(:;]*'), '"[^"]*"', '…', 'g'), '[0-9]+', 'N', 'g')), ''), 'other')`;

export interface ReasonCount {
  /** the column as the file's header names it; null for a problem of the whole row */
  column: string | null;
  reason: string;
  rows: number;
}

/** A department's commonest reasons of the period, by column and class, most rows first. */
export async function commonestReasons(db: Kysely<Database>, period: string, source: string, limit: number): Promise<ReasonCount[]> {
  const { rows } = await sql<ReasonCount>`
    select column_name as column, ${reasonClass} as reason, count(*)::int as rows
    from rejected_row where period = ${period} and source = ${source}
    group by 1, 2 order by 3 desc, 1 nulls first, 2 limit ${limit}
  `.execute(db);
  return rows;
}

/**
 * A rejected row's reason in Chinese, for the zh report and data-quality file: the class in the
 * words a department's clerk uses, then the reason as written (it names the column and the rule).
 * The ingest words its reasons in English once; they are translated here, where people read them.
 */
const REASONS_ZH: [RegExp, string][] = [
  [/invalid ID number/, '身份证号无效'],
  [/not an amount in yuan/, '金额格式错误'],
  [/is not a date/, '日期格式错误'],
  [/after the end of the period/, '日期晚于本期期末'],
  [/is not a yes\/no value/, '是/否取值错误'],
  [/is not a known /, '取值不在允许范围内'],
  [/^row has \S+ fields/, '字段数与表头不符'],
  [/characters that are not valid/, '编码错误（乱码）'],
  [/^required$|value is missing/i, '必填项为空'],
  // a visit report's own
  [/is after today/, '日期晚于今天'],
  [/is not in any period Safetynet has run/, '户编号不在任何已运行期次中'],
  [/a formula, not a value/, '单元格为公式而非数值'],
];

export function reasonZh(reason: string): string {
  const hit = REASONS_ZH.find(([re]) => re.test(reason));
  return hit ? `${hit[1]}（${reason}）` : reason;
}
