import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { maskIdNumber, normaliseIdNumber } from '../identity/id-number.js';
import { headerKey } from '../ingest/department.js';
import { departments, findDepartment } from '../ingest/departments.js';
import { reasonZh } from '../ingest/reject-reasons.js';
import { drained } from './stream-rows.js';
import { neutraliseFormula } from './warning-list.js';

/**
 * The period's data-quality report: every refused row (with file line, column and reason) and
 * every warning on a kept row, for the departments to fix at the source. Reasons name columns
 * and lines; the sent ID number appears masked only, so the report can be sent back as it is.
 */
/** The names the registered departments give the ID-number column, as a header key. */
const idHeaders = (): string[] => [
  ...new Set(departments().flatMap((d) => [d.idColumn, ...(d.columns.find((c) => c.name === d.idColumn)?.headers ?? [])].map(headerKey))),
];

/** The report in Chinese (config `lang: 'zh'`): the rows' words are translated as they are written, the query stays one. */
const HEADER = {
  en: ['status', 'source', 'line', 'column', 'problem', 'id_number_masked'],
  zh: ['状态', '数据来源', '行号', '列', '问题', '身份证号（脱敏）'],
};
const STATUS_ZH: Record<string, string> = {
  rejected: '拒收',
  'kept with warning': '保留（有警告）',
  'rescued (identity)': '已纠错关联（身份证号）',
  'identity review': '待人工核对（身份证号）',
  'rejected (identity)': '仍拒收（身份证号）',
};
/** The identity rescue's fixed phrases (below), in the order they are replaced. */
const RESCUE_ZH: [string, string][] = [
  ['linked to a roster person: ', '已关联到名册人员：'],
  ['one wrong digit', '一位数字录入错误'],
  ['two adjacent digits swapped', '相邻两位数字颠倒'],
  ['confirmed by an analyst', '经人工核对确认'],
  [', confidence ', '，置信度'],
  [' (please correct the number at the source)', '（请在本部门系统中更正身份证号）'],
  ['more than one or only a weak roster match: waiting for an analyst (safetynet review)', '名册中有多个匹配或仅有弱匹配：等待人工核对（safetynet review）'],
  ['would link to a roster person, but the row is invalid otherwise or a valid line carries the same claim: stays rejected', '可关联到名册人员，但该行另有错误或已有有效行载有同一笔结算：仍拒收'],
  ['an analyst refused the suggested link: stays rejected', '人工核对拒绝了建议的关联：仍拒收'],
  ['no roster person matches: stays rejected', '名册中无匹配人员：仍拒收'],
];
function problemZh(status: string, problem: string): string {
  if (status === 'rejected') return reasonZh(problem);
  if (status.endsWith('(identity)') || status === 'identity review') return RESCUE_ZH.reduce((p, [en, zh]) => p.replaceAll(en, zh), problem);
  return problem;
}

export async function writeQualityReport(db: Kysely<Database>, period: string, out: Writable, lang: 'en' | 'zh' = 'en'): Promise<number> {
  const zh = lang === 'zh';
  const csv = stringify({ bom: true, record_delimiter: 'windows' });
  const done = pipeline(csv, out);
  done.catch(() => {}); // awaited below, or by drained() when the pipe fails mid-list
  // the sent ID number, masked as the contract masks it (first 6, last 4): enough for the
  // department to find its row beside the line number, not enough to rebuild the number
  csv.write(HEADER[lang]);
  const rejected = db
    .selectFrom('rejected_row')
    .select([
      sql.lit('rejected').as('status'), 'source', sql<number | null>`line`.as('line'), 'column_name', 'reason as problem',
      sql<string | null>`(select v from jsonb_each_text(raw) e(k, v) where lower(btrim(k)) = any(${idHeaders()}::text[]) limit 1)`.as('sent_id'),
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
    const [status, source, problem] = zh
      ? [STATUS_ZH[r.status] ?? r.status, findDepartment(r.source)?.labels.zh ?? r.source, problemZh(r.status, r.problem)]
      : [r.status, r.source, r.problem];
    if (!csv.write([status, source, r.line ?? '', neutraliseFormula(r.column_name ?? ''), neutraliseFormula(problem), neutraliseFormula(sent ? maskIdNumber(sent) : '')])) {
      await drained(csv, done);
    }
  }
  csv.end();
  await done;
  return n;
}
