import type { Writable } from 'node:stream';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import { requireSucceededRun, windowOfRun } from '../db/runs.js';
import type { Database, StoredReason } from '../db/schema.js';
import { UsageError } from '../errors.js';
import { maskIdNumber, maskName } from '../identity/id-number.js';
import { assertPeriod } from '../period.js';
import { idNumberCell, streamCsv, streamJsonLines } from './stream-rows.js';
import { visitContact } from './visit-contact.js';
import { readRegionNames, regionName } from './region-label.js';
import { signalLabels } from './signal-label.js';
import { inRegion, listed, listRank, listRankInOrder } from './list-rank.js';
import { withinCapacity, type StreetCapacity } from './street-capacity.js';
import { exportViews, VIEW } from './views.js';
import { readAhead } from '../db/read-ahead.js';
import { auditVisitOrder } from '../score/audit-sample.js';
import { ROUTE_ZH, type RouteId } from '../../scoring/route.js';
import { ASSETS_FLAGGED } from '../../scoring/asset-check.js';
import { DIMENSIONS, type DimensionId } from '../../scoring/dimensions.js';

export interface ExportOptions {
  period: string;
  /** every scored household with its six dimension scores, not only those on the list */
  all?: boolean;
  /** a 12-digit community code, a 9-digit street prefix (or a 6-digit county) */
  region?: string;
  top?: number;
  unmasked?: boolean;
  lang?: 'en' | 'zh';
  /** the night runs' urgent warnings instead of the period's list */
  urgent?: boolean;
  /** with `urgent`: the first day of warnings to list, YYYY-MM-DD */
  since?: string;
  /**
   * The month's audit visits after the listed households (src/score/audit-sample.ts): on unless
   * false, since the street visits them from this list; never with `all` or `top`, which select
   * among the scored households by rank.
   */
  audit?: boolean;
  /** cut each street's listed households at its visits a month (src/export/street-capacity.ts) */
  capacity?: StreetCapacity;
}

export const COLUMNS = [
  ['rank', '排名'],
  ['household_id', '户编号'],
  ['region_code', '区划代码'],
  ['head_name', '户主姓名'],
  ['head_id_number', '户主身份证号'],
  ['members', '家庭人口'],
  ['score', '预警总分'],
  ['tier', '预警等级'],
  // each dimension's 0-100 score, in the registry's order (the contract's)
  ...DIMENSIONS.map((d) => [d.id, d.labels.zh] as const),
  ['coverage', '救助覆盖'],
  ['change', '变化'],
  ['reasons', '预警原因'],
  // issue 8: what to check at the door; after the contract's columns so that readers of those keep working
  ['route', '建议救助路径'],
  ['route_rule', '匹配规则'],
  ['rescued_ids', '纠错关联数'],
  // last month's score and place on last month's list (empty when it was not on it): what `change` compares with
  ['previous_score', '上月得分'],
  ['previous_rank', '上月排名'],
  // for the visit: in clear for a street's or community's own list, masked district-wide unless unmasked
  ['address', '住址'],
  ['phone', '联系电话'],
  // the street's and community's names beside region_code (which stays the code): last, so that
  // readers of the columns before keep working by position as well as by name
  ['region_name', '区划名称'],
  // what the information verification (核对) found to check at the visit; masked: only that it found something
  ['asset_check', '入户核查财产'],
  // how many departments' data point at the household, and which (Zhongshan's "data overlap"):
  // for the analyst to weigh, no score reads them
  ['signal_count', '数据指向部门数'],
  ['signal_departments', '数据指向部门'],
  // 'listed', or 'audit': drawn at random among the households the list leaves out, to measure whom it misses
  ['visit_kind', '走访类型'],
  // 1 when every dated fact behind the reasons comes from an old extract (scoring/evidence.ts): confirm them at the visit
  ['low_confidence', '数据陈旧可信度低'],
] as const;

export const ZH: Record<string, string> = {
  red: '红色', orange: '橙色', yellow: '黄色', none: '无',
  new: '新增', up: '上升', down: '下降', same: '持平',
  dibao: '低保', tekun: '特困', dibao_edge: '低保边缘', temporary: '临时救助', not_on_roster: '未在民政名册',
  listed: '名单走访', audit: '抽查走访',
};

/**
 * What an audit row says instead of the facts that would list it: the visit measures the list,
 * so nothing on the row argues for or against the household's need.
 */
export const AUDIT_VISIT_NOTE = {
  en: 'audit visit: drawn at random among the households the list leaves out, to measure whom it misses; visit and record the outcome as for any household',
  zh: '抽查走访：从未列入名单的家庭中随机抽取，用于衡量名单遗漏；请像其他家庭一样走访并回填结果',
} as const;

/** Which visit a row of the street's list asks for. */
export type VisitKind = 'listed' | 'audit';

/** Text a spreadsheet would run as a formula is prefixed with an apostrophe; numbers stay numbers. */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

interface ListRow {
  household_id: string;
  region_code: string;
  head_name: string;
  head_id18: string;
  members: number;
  total: number;
  tier: string;
  dimensions: Partial<Record<DimensionId, number>>;
  covered: boolean;
  review: boolean;
  previous_total: number | null;
  assistance: string;
  on_roster: boolean;
  change: string;
  reasons: StoredReason[];
  route: RouteId | null;
  route_rule: string | null;
  route_rule_zh: string | null;
  review_reasons: { text: string; text_zh: string }[];
  rescued_links: number;
  covered_by_visit: 'dibao' | 'tekun' | null;
  visit_notes: { text: string; text_zh: string }[];
  review_by_score: boolean;
  address: string | null;
  phone: string | null;
  signal_departments: string[];
  route_confidence: 'high' | 'low' | null;
  low_confidence: boolean;
  /** the household_asset_check row, as the masked view shows it (figures only to an unmasked reader) */
  asset_flagged: boolean;
  asset_note: string | null;
  asset_note_zh: string | null;
}

const ASSISTANCE_ZH: Record<string, string> = { dibao: '低保', tekun: '特困' };

/** What the list says about a household before its facts: roster, coverage, review. */
function notesFor(r: ListRow, previousPeriod: string | null, zh: boolean): string[] {
  const notes: string[] = [];
  // what the street workers reported comes first: it is the newest fact about the household
  for (const x of r.visit_notes) notes.push(zh ? x.text_zh : x.text);
  const programmeId = r.covered_by_visit ?? r.assistance;
  const programme = zh ? (ASSISTANCE_ZH[programmeId] ?? programmeId) : programmeId;
  if (!r.on_roster) notes.push(zh ? '未在民政名册：请核实其居住地和同住人' : 'not on the civil-affairs roster: confirm where this person lives and with whom');
  for (const x of r.review_reasons) notes.push(zh ? x.text_zh : x.text);
  if (r.review_by_score) {
    const delta = r.total - (r.previous_total ?? 0);
    const by = Math.abs(delta).toFixed(1);
    if (delta > 0) {
      notes.push(zh ? `已享受${programme}；比${previousPeriod}上升${by}分：请复核救助` : `already covered by ${programme}; score up ${by} since ${previousPeriod}: review the assistance`);
    } else {
      notes.push(
        zh
          ? `已享受${programme}；比${previousPeriod}下降${by}分：请复核是否仍符合条件`
          : `already covered by ${programme}; score down ${by} since ${previousPeriod}: review whether the assistance still fits`,
      );
    }
  } else if (r.covered && !r.covered_by_visit && r.review_reasons.length === 0) notes.push(zh ? `已享受${programme}` : `already covered by ${programme}`);
  if (r.rescued_links > 0) {
    notes.push(
      zh
        ? `${r.rescued_links}项数据经身份证号纠错关联：入户时请核对身份证`
        : `${r.rescued_links === 1 ? '1 fact rests' : `${r.rescued_links} facts rest`} on an ID number corrected from a keying error: check the ID at the visit`,
    );
  }
  return notes;
}

/** Each dimension's score by id; null for a dimension added after the period was scored. */
export type DimensionColumns = Record<DimensionId, number | null>;

/** One household of the list as its reader sees it: masked unless asked, words in the chosen language. */
export type WarningListEntry = EntryFields & DimensionColumns;

interface EntryFields {
  /** the place on the list; null for an audit visit, which is not on it */
  rank: number | null;
  household_id: string;
  region_code: string;
  head_name: string;
  head_id_number: string;
  members: number;
  score: number;
  tier: string;
  coverage: string;
  change: string;
  /** notes and facts in one text, as the CSV column shows them */
  reasons: string;
  /** the programme the household most likely fits (empty for covered households) */
  route: string;
  /** the rule that matched, in words */
  route_rule: string;
  /** how many of the household's facts rest on an ID number corrected by the identity rescue */
  rescued_ids: number;
  /** the score of the previous run's period; null when the household was not scored then */
  previous_score: number | null;
  /** its place on the previous period's list, numbered as this selection numbers it (same region); null when it was not on it */
  previous_rank: number | null;
  /** for the visit: in clear for a street or community, masked district-wide unless unmasked */
  address: string;
  phone: string;
  /** street and community names (region-label.ts), '' when none is known; the not-on-roster label for people not on it */
  region_name: string;
  /**
   * What to check at the visit that the verification (核对) found ("check assets at the visit: 2
   * vehicles registered, one business"); without figures unless the export is unmasked: they are
   * asset data. '' when it found nothing.
   */
  asset_check: string;
  /** how sure the route is: 'low' when the verification flagged assets or an income far above the roster's; null without a route */
  route_confidence: 'high' | 'low' | null;
  /** how many departments' data point at the household this month (src/ingest/department.ts `signal`) */
  signal_count: number;
  /** those departments by label, in registry order, joined with "; " (zh "、") */
  signal_departments: string;
  /** 'listed' or 'audit' (zh 名单走访, 抽查走访) */
  visit_kind: string;
  /** every dated fact behind the reasons comes from an extract evidence.staleMonths or more older than the period; never for an audit visit, which argues nothing */
  low_confidence: boolean;
  /** roster, coverage and review notes */
  notes: string[];
  /** each scoring dimension's facts and weighted points, biggest first */
  facts: { dimension: string; points: number; text: string }[];
}

export interface EntryOptions extends ExportOptions {
  /** 'street': by 9-digit street prefix, then rank (one sheet per street); ranks stay those of the whole list */
  order?: 'rank' | 'street';
}

/** Whether a list carries the month's audit visits after its listed households: unless left out, or the selection is by rank. */
export const includesAuditVisits = (opts: Pick<ExportOptions, 'audit' | 'all' | 'top'>): boolean =>
  opts.audit !== false && !opts.all && opts.top === undefined;

/**
 * The ranked warning list of a period, streamed from the database (a cursor, never the whole
 * table): by default the households over the threshold and covered ones flagged for review;
 * `all` every scored household. Ranks are renumbered within a `region` or `top` selection.
 */
export async function* warningListEntries(db: Kysely<Database>, opts: EntryOptions): AsyncGenerator<WarningListEntry> {
  const period = assertPeriod(opts.period);
  if (opts.region !== undefined && !/^(\d{6}|\d{9}|\d{12})$/.test(opts.region)) {
    throw new UsageError(`--region "${opts.region}" must be a 12-digit community code, a 9-digit street prefix or a 6-digit county code`);
  }
  if (opts.top !== undefined && !(Number.isInteger(opts.top) && opts.top > 0)) throw new UsageError('--top must be a positive whole number');
  if (opts.capacity && opts.all) throw new UsageError('--capacity cuts the listed households of each street: it cannot be used with --all');
  if (opts.capacity && opts.region?.length === 12) {
    throw new UsageError(`--capacity is a street's visits a month: give the street (--region ${opts.region.slice(0, 9)}) or a county, not a community`);
  }
  const withAudit = includesAuditVisits(opts);
  // what the run measured change against, as its window recorded it
  const previousPeriod = windowOfRun(await requireSucceededRun(db, period)).previous;

  const zh = opts.lang === 'zh';
  const word = (v: string) => (zh ? (ZH[v] ?? v) : v);
  const contact = await visitContact(db, opts);
  const names = await readRegionNames(db);
  // the previous period's list as this selection would have numbered it (the same region, not
  // --top, not --all): `previous_rank` is a place a street office saw on last month's list. Read
  // first, by household: joined into the list's statement, it made PostgreSQL build the whole
  // list before its first row (below)
  const previousRanks = new Map<string, number>();
  if (previousPeriod !== null) {
    // the scores' view keeps to the reader's region by itself; the households are read for --region
    // only (joined without one, they cost 1.5 of the 2.1 s this read took at 1,000,000 households)
    const inSelection = opts.region === undefined
      ? sql<boolean>`true`
      : sql<boolean>`exists (select 1 from ${sql.table(VIEW.household)} ph where ph.period = ps.period and ph.household_id = ps.household_id and ${inRegion(opts.region, 'ph.region_code')})`;
    const previousList = exportViews(db)
      .selectFrom('household_score as ps')
      .select(['ps.household_id', listRank('ps').as('previous_rank')])
      .where('ps.period', '=', previousPeriod)
      .where(listed('ps'))
      .where(inSelection);
    for await (const r of previousList.stream(10_000)) previousRanks.set(r.household_id, Number(r.previous_rank));
  }
  // The list's households in rank order with their scores, households and asset checks, and then
  // each one's explanation looked up by its key (offset 0 keeps the lookup per row): filling the
  // reasons from their templates is most of the statement, and done this way it is done as the
  // rows are fetched, so that Node renders one batch while PostgreSQL fills the next (readAhead
  // below). With the explanations in the sort by rank, all of PostgreSQL's work was done before
  // the first row. By key, a list read also does not hash the whole explanations table, which
  // grows with every month kept (16-18 s against 11 s at 1,000,000 households and 13 periods).
  const ranked = (where: RawBuilder<boolean>) =>
    exportViews(db)
      .selectFrom('household_score as s')
      .innerJoin('household as h', (j) => j.onRef('h.period', '=', 's.period').onRef('h.household_id', '=', 's.household_id'))
      .leftJoin('household_asset_check as a', (j) => j.onRef('a.period', '=', 's.period').onRef('a.household_id', '=', 's.household_id'))
      .select([
        's.household_id', 's.rank', 'h.region_code', 'h.head_name', 'h.head_id18', 'h.members', 's.total', 's.tier', 's.covered', 's.review',
        's.previous_total', 'h.assistance', 'h.on_roster', 's.change', 's.route',
        's.review_reasons', 's.rescued_links', 's.covered_by_visit', 's.visit_notes', 's.review_by_score',
        'h.address', 'h.phone', 's.signal_departments', 's.route_confidence', 's.low_confidence',
        'a.note as asset_note', 'a.note_zh as asset_note_zh', sql<boolean>`a.household_id is not null`.as('asset_flagged'),
      ])
      .where('s.period', '=', period)
      .where(inRegion(opts.region, 'h.region_code'))
      .where(where)
      .orderBy('s.rank')
      .offset(0);
  const explained = (rows: ReturnType<typeof ranked>) =>
    exportViews(db)
      .selectFrom(rows.as('l'))
      .innerJoinLateral(
        (eb) => eb.selectFrom('household_score as x').select(['x.dimensions', 'x.reasons', 'x.route_rule', 'x.route_rule_zh'])
          .where('x.period', '=', period).whereRef('x.household_id', '=', 'l.household_id').offset(0).as('e'),
        (j) => j.onTrue(),
      )
      .selectAll('l')
      .select(['e.dimensions', 'e.reasons', 'e.route_rule', 'e.route_rule_zh']);
  const selection = [
    ...(opts.all ? [] : [listed('s')]),
    ...(opts.capacity !== undefined ? [withinCapacity(opts.capacity, { period, region: opts.region })] : []),
  ];
  const selected = explained(ranked(selection.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(selection, sql` and `)}`))
    // the list's own numbering (list-rank.ts), in the rows' order; with --all, among every scored household
    .select(listRankInOrder('l').as('list_rank'))
    .orderBy('l.rank')
    .$if(opts.top !== undefined, (q) => q.limit(opts.top!));
  const query =
    opts.order === 'street'
      ? db.selectFrom(selected.as('l')).selectAll().orderBy(sql`left(region_code, 9)`).orderBy('l.rank')
      : db.selectFrom(selected.as('l')).selectAll().orderBy('l.rank');
  // a few a street: read before the list's cursor opens (one connection runs one statement at a time).
  // Their households named as values: a join to the sample cannot pass into the scores' and
  // households' views (security barriers), which then read the whole period to meet a few
  // hundred (6.4 s at 1,000,000 households, against a tenth of a second by key)
  const audited = withAudit
    ? (await exportViews(db).selectFrom('audit_sample').select('household_id').where('period', '=', period).execute()).map((r) => r.household_id)
    : [];
  const auditRows = audited.length > 0
    ? await explained(ranked(sql<boolean>`s.household_id = any(${audited}::text[]) and h.household_id = any(${audited}::text[])`))
        .innerJoin(exportViews(db).selectFrom('audit_sample').selectAll().where('period', '=', period).as('x'), 'x.household_id', 'l.household_id')
        .select([sql<number | null>`null::int`.as('list_rank'), 'x.street'])
        .orderBy(auditVisitOrder)
        .execute()
    : [];

  type Row = (typeof auditRows)[number];
  const entry = (r: Omit<Row, 'street'>, kind: VisitKind): WarningListEntry => {
    const previousRank = previousRanks.get(r.household_id) ?? null;
    // an audit visit is not argued for: its facts stay on its card (`explain`), not on the list
    const notes = kind === 'audit' ? [AUDIT_VISIT_NOTE[zh ? 'zh' : 'en']] : notesFor(r, previousPeriod, zh);
    const facts =
      kind === 'audit' ? [] : r.reasons.map((x) => ({ dimension: x.dimension, points: x.points, text: zh ? (x.text_zh ?? x.text) : x.text }));
    return {
      rank: r.list_rank === null ? null : Number(r.list_rank),
      household_id: r.household_id,
      region_code: r.region_code,
      head_name: opts.unmasked ? r.head_name : maskName(r.head_name),
      head_id_number: opts.unmasked ? r.head_id18 : maskIdNumber(r.head_id18),
      members: r.members,
      score: r.total,
      tier: word(r.tier),
      ...dimensionColumns(r.dimensions),
      coverage: r.covered_by_visit ? `${word(r.covered_by_visit)}${zh ? '（走访）' : ' (visit)'}` : word(r.on_roster ? r.assistance : 'not_on_roster'),
      change: word(r.change),
      reasons: [...notes, ...facts.map((f) => f.text)].join(zh ? '；' : '; '),
      route: r.route && kind === 'listed' ? (zh ? ROUTE_ZH[r.route] : r.route) : '',
      route_rule: kind === 'listed' ? ((zh ? r.route_rule_zh : r.route_rule) ?? '') : '',
      rescued_ids: r.rescued_links,
      previous_score: r.previous_total,
      previous_rank: previousRank,
      ...contact(r.address, r.phone),
      region_name: regionName(r.region_code, names, zh ? 'zh' : 'en'),
      asset_check: assetCheckText(r, !!opts.unmasked, zh),
      route_confidence: r.route && kind === 'listed' ? r.route_confidence : null,
      signal_count: r.signal_departments.length,
      signal_departments: signalLabels(r.signal_departments, zh ? 'zh' : 'en'),
      visit_kind: word(kind),
      low_confidence: kind === 'listed' && r.low_confidence,
      notes,
      facts,
    };
  };

  // the audit visits follow the listed households: each street's after its own on a list by
  // street, all of them (by street) after the list in rank order
  let next = 0;
  const auditUpTo = function* (street: string | null): Generator<WarningListEntry> {
    for (; next < auditRows.length && (street === null || auditRows[next]!.street < street); next++) yield entry(auditRows[next]!, 'audit');
  };
  for await (const r of readAhead(query.stream(1000), 2000)) {
    if (opts.order === 'street') yield* auditUpTo(r.region_code.slice(0, 9));
    yield entry(r, 'listed');
  }
  yield* auditUpTo(null);
}

/** The asset-check note: its figures only in an unmasked export (the view gives them to no other exporter); '' when none. */
function assetCheckText(r: Pick<ListRow, 'asset_flagged' | 'asset_note' | 'asset_note_zh'>, unmasked: boolean, zh: boolean): string {
  if (!r.asset_flagged) return '';
  const note = zh ? r.asset_note_zh : r.asset_note;
  return unmasked && note ? note : ASSETS_FLAGGED[zh ? 'zh' : 'en'];
}

/** The dimension columns of a row, in the registry's order (the order of the JSON's keys). */
function dimensionColumns(scores: Partial<Record<DimensionId, number>>): DimensionColumns {
  const columns = {} as DimensionColumns;
  for (const d of DIMENSIONS) columns[d.id] = scores[d.id] ?? null;
  return columns;
}

/** Text columns of an entry: these are escaped against formula injection, the rest are numbers. */
const TEXT_COLUMNS = new Set(['household_id', 'region_code', 'head_name', 'head_id_number', 'tier', 'coverage', 'change', 'reasons', 'route', 'route_rule', 'address', 'phone', 'region_name', 'asset_check', 'signal_departments', 'visit_kind']);

/** Streams the ranked warning list of a period as CSV (UTF-8 with BOM, so Excel reads Chinese). */
export async function writeWarningList(db: Kysely<Database>, opts: ExportOptions, out: Writable, _log: Logger): Promise<number> {
  const zh = opts.lang === 'zh';
  return streamCsv(
    warningListEntries(db, opts),
    COLUMNS.map(([en, cn]) => (zh ? cn : en)),
    (e) => COLUMNS.map(([key]) => (key === 'head_id_number' ? idNumberCell(neutraliseFormula(String(e[key]))) : TEXT_COLUMNS.has(key) ? neutraliseFormula(String(e[key])) : e[key])),
    out,
  );
}

/** JSON Lines: one object per household, the reasons as structured facts. */
export async function writeWarningListJson(db: Kysely<Database>, opts: ExportOptions, out: Writable, _log: Logger): Promise<number> {
  return streamJsonLines(
    warningListEntries(db, opts),
    ({ reasons: _flat, ...entry }) => ({ period: opts.period, ...entry }),
    out,
  );
}

/** For summaries: how many households a period's list holds, split by coverage. */
export async function listCounts(db: Kysely<Database>, period: string): Promise<{ uncovered: number; covered: number }> {
  const { rows } = await sql<{ uncovered: number; covered: number }>`
    select count(*) filter (where not covered and on_list)::int as uncovered,
           count(*) filter (where covered and (on_list or review))::int as covered
    from ${sql.table(VIEW.household_score)} where period = ${period}
  `.execute(db);
  return rows[0] ?? { uncovered: 0, covered: 0 };
}
