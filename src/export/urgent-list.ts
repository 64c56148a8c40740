import type { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { visitContact } from './visit-contact.js';
import { readRegionNames, regionName } from './region-label.js';
import { exportViews } from './views.js';
import { calendarDay } from '../period.js';
import { UsageError } from '../errors.js';
import { maskIdNumber, maskName } from '../identity/id-number.js';
import { idNumberCell, streamCsv, streamJsonLines } from './stream-rows.js';
import { neutraliseFormula, type ExportOptions } from './warning-list.js';

/**
 * The urgent warnings raised by the night runs since a day: one row per household and triggering
 * event (a bill, a death, a disaster), newest first, masked like the monthly list. They go to the street the same morning.
 */
export const URGENT_COLUMNS = [
  ['day', '预警日期'],
  ['household_id', '户编号'],
  ['region_code', '区划代码'],
  ['head_name', '户主姓名'],
  ['head_id_number', '户主身份证号'],
  ['kind', '预警类型'],
  ['previous_total', '原预警总分'],
  ['total', '当前预警总分'],
  ['reason', '预警原因'],
  // for the visit: in clear for a street's or community's own list, masked district-wide unless unmasked
  ['address', '住址'],
  ['phone', '联系电话'],
  // names beside region_code, last as on the monthly list (warning-list.ts)
  ['region_name', '区划名称'],
] as const;

const KIND_ZH: Record<string, string> = {
  crossed_threshold: '超过预警线', severe_event: '重大医疗支出', main_earner_died: '主要劳动力死亡', disaster_loss: '受灾损失',
};

interface UrgentRow {
  day: string;
  household_id: string;
  region_code: string;
  head_name: string;
  head_id18: string;
  kind: string;
  previous_total: number | null;
  total: number;
  reason: string;
  reason_zh: string;
  address: string | null;
  phone: string | null;
}

async function* urgentEntries(db: Kysely<Database>, opts: ExportOptions): AsyncGenerator<Record<string, string | number | null>> {
  const since = opts.since ?? '';
  if (!calendarDay(since)) throw new UsageError(`--urgent needs --since YYYY-MM-DD, a day of the calendar: the first day of warnings to list${since ? ` (got "${since}")` : ''}`);
  if (opts.region !== undefined && !/^(\d{6}|\d{9}|\d{12})$/.test(opts.region)) {
    throw new UsageError(`--region "${opts.region}" must be a 12-digit community code, a 9-digit street prefix or a 6-digit county code`);
  }
  const zh = opts.lang === 'zh';
  const contact = await visitContact(db, opts);
  const names = await readRegionNames(db);
  const query = exportViews(db)
    .selectFrom('urgent_warning as u')
    // each warning's household looked up by its period and id: a lateral select kept whole (offset
    // 0) so that both reach the households' versions as values (a join would build every period's)
    .innerJoinLateral(
      (eb) => eb.selectFrom('household as hh').selectAll('hh')
        .whereRef('hh.period', '=', 'u.base_period').whereRef('hh.household_id', '=', 'u.household_id')
        .offset(0).as('h'),
      (j) => j.onTrue(),
    )
    .select([
      sql<string>`to_char(u.day, 'YYYY-MM-DD')`.as('day'), 'u.household_id', 'h.region_code', 'h.head_name', 'h.head_id18', 'u.kind',
      'u.previous_total', 'u.total', 'u.reason', 'u.reason_zh', 'h.address', 'h.phone',
    ])
    .where('u.day', '>=', since)
    .$if(opts.region !== undefined, (q) => q.where('h.region_code', 'like', `${opts.region}%`))
    .orderBy('u.day', 'desc')
    .orderBy('u.total', 'desc')
    .orderBy('u.household_id')
    .orderBy('u.event_key')
    .$if(opts.top !== undefined, (q) => q.limit(opts.top!));
  for await (const row of query.stream(1000)) {
    const u = row as unknown as UrgentRow;
    yield {
      day: u.day,
      household_id: u.household_id,
      region_code: u.region_code,
      head_name: opts.unmasked ? u.head_name : maskName(u.head_name),
      head_id_number: opts.unmasked ? u.head_id18 : maskIdNumber(u.head_id18),
      kind: zh ? (KIND_ZH[u.kind] ?? u.kind) : u.kind,
      previous_total: u.previous_total,
      total: u.total,
      reason: zh ? u.reason_zh : u.reason,
      ...contact(u.address, u.phone),
      region_name: regionName(u.region_code, names, zh ? 'zh' : 'en'),
    };
  }
}

const TEXT = new Set(['day', 'household_id', 'region_code', 'head_name', 'head_id_number', 'kind', 'reason', 'address', 'phone', 'region_name']);

export async function writeUrgentList(db: Kysely<Database>, opts: ExportOptions, out: Writable, _log: Logger): Promise<number> {
  return streamCsv(
    urgentEntries(db, opts),
    URGENT_COLUMNS.map(([en, cn]) => (opts.lang === 'zh' ? cn : en)),
    (e) => URGENT_COLUMNS.map(([k]) => (k === 'head_id_number' ? idNumberCell(neutraliseFormula(String(e[k] ?? ''))) : TEXT.has(k) ? neutraliseFormula(String(e[k] ?? '')) : e[k])),
    out,
  );
}

export async function writeUrgentListJson(db: Kysely<Database>, opts: ExportOptions, out: Writable, _log: Logger): Promise<number> {
  return streamJsonLines(urgentEntries(db, opts), (e) => e, out);
}
