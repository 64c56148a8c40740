import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DIMENSIONS, type DimensionId } from '../../scoring/dimensions.js';
import type { DimensionSource } from '../../scoring/dimension.js';
import type { Database } from '../db/schema.js';
import { UsageError } from '../errors.js';
import { deltaDepartmentIds, departments } from '../ingest/departments.js';
import { maskAddress, maskIdNumber, maskName, maskPhone } from '../identity/id-number.js';
import { ROUTE_ZH, type RouteId } from '../../scoring/route.js';
import { ASSETS_FLAGGED } from '../../scoring/asset-check.js';
import { listLength, listPlaces } from './list-rank.js';
import { exportViews, VIEW } from './views.js';
import { readRegionNames, regionName, type RegionNames } from './region-label.js';
import { signalLabel, signalMeaning } from './signal-label.js';
import { ZH } from './warning-list.js';
import { assertPeriod, claimsWindowStart, notDeliveredNote, periodWindow, rowsPeriod, type PeriodWindow } from '../period.js';
import { latestSucceededRun, windowOfRun } from '../db/runs.js';

export type CardLang = 'en' | 'zh';

/**
 * Everything a street worker needs before a visit: who lives there and where, each dimension's
 * points with the facts and the departments' extracts behind them, coverage, the household's
 * place on the list, its history and what changed since last month. Names and ID numbers masked,
 * diagnoses by category only, unless asked otherwise; words in English or Chinese.
 */
export interface HouseholdCard {
  period: string;
  lang: CardLang;
  household_id: string;
  region_code: string;
  /** the street's and community's names (region-label.ts); for people not on the roster, the label saying so */
  region_name: string;
  on_roster: boolean;
  /** for the visit: in clear for a street's or community's own scope or unmasked, masked otherwise */
  address: string | null;
  phone: string | null;
  coverage: string;
  monthly_income: number | null;
  score: number;
  tier: string;
  /** the place on the list, as `export` numbers it for the same reader and region; null: not on the list */
  rank: number | null;
  /** how many households that list holds */
  list_size: number;
  /** the --region the list was narrowed to, if any (ranks are renumbered within it, as the export does) */
  list_region: string | null;
  on_list: boolean;
  review: boolean;
  change: string;
  members: {
    name: string;
    id_number: string;
    relation: string;
    age: number;
    sex: string;
    employment: string | null;
    disabilities: string[];
    diagnoses: string[];
  }[];
  /** every dimension, biggest weighted points first; score null: the dimension did not exist when the period was scored */
  dimensions: { dimension: DimensionId; label: string; score: number | null; points: number; facts: string; sources: string[] }[];
  /** each period scored up to this one, with the household's rank on that period's list (null: not listed) */
  history: { period: string; score: number; tier: string; rank: number | null; on_list: boolean }[];
  since_last_period: string[];
  /** the programme the household most likely fits and the rule that matched (null when covered) */
  route: { route: RouteId; name: string; rule: string; confidence: 'high' | 'low' | null } | null;
  /**
   * What the information verification (核对) found to check at the visit: with its figures only
   * when unmasked (asset data), otherwise that assets were flagged; null when it found nothing.
   */
  asset_check: string | null;
  /** why the household is flagged for review, besides a score change */
  review_reasons: string[];
  /** rows linked to a member by the identity rescue: check the ID at the visit */
  rescued_links: { source: string; period: string; line: number; difference: string | null; confidence: number | null; reason: string }[];
  /** departments without an extract this period, and the month whose rows stood in ("human-resources as of 2026-09: …") */
  not_delivered: string[];
  /**
   * Every department the card's facts may come from (registry order; not one that has never
   * delivered), with the month of the extract the period's facts were taken from: the period's
   * own, or for an optional department that did not deliver its latest earlier one (`older`).
   */
  extracts: { department: string; label: string; month: string; older: boolean }[];
  /** every dated fact behind the reasons comes from an extract evidence.staleMonths or more old (scoring/evidence.ts): confirm at the visit */
  low_confidence: boolean;
  /**
   * The departments whose data point at the household this month, in registry order, with what
   * each one's signal means (src/ingest/department.ts `signal`): the overlap for the analyst to
   * weigh, not a score.
   */
  signals: { department: string; label: string; meaning: string }[];
}

export interface CardOptions {
  unmasked?: boolean;
  lang?: CardLang;
  /** the list's region selection (`--region`): ranks are those of the list narrowed to it */
  region?: string;
  /**
   * The region the reader may see (its effective scope): a street (9 digits) or a community (12)
   * sees address and phone in clear, as the masked views show them to such a reader; a
   * district-wide or unscoped reader sees them masked unless unmasked.
   */
  readerScope?: string | null;
  /** street and community names, when the caller has read them already (a batch of cards) */
  regionNames?: RegionNames;
}

/** Address and phone in clear: unmasked, or a reader scoped to a street or a community (their own visits). */
export const contactsInClear = (opts: CardOptions): boolean => !!opts.unmasked || (opts.readerScope ?? '').length >= 9;

/** The words of the card's values that are codes in the database. */
const WORDS_ZH: Record<string, string> = {
  ...ZH,
  head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女', sibling: '兄弟姐妹', other: '其他',
  male: '男', female: '女',
  employed: '在业', unemployed: '失业', retired: '退休', student: '在校', unable: '无劳动能力',
  visual: '视力', hearing: '听力', speech: '言语', physical: '肢体', intellectual: '智力', mental: '精神', multiple: '多重',
  chronic: '慢性病', severe: '重特大疾病',
};
const GRADE_ZH = ['', '一级', '二级', '三级', '四级'];
const MENTAL_DIAGNOSIS_ZH = '严重精神障碍';

/** The extracts behind a dimension's facts, named by department and months (a department that did not deliver: the month its rows are of). */
function sourceNames(sources: readonly DimensionSource[], window: PeriodWindow): string[] {
  const { period } = window;
  return sources.map((s) => {
    if (s.months === 'reference') return s.from;
    if (s.months === 'claims-window') return `${s.from} ${claimsWindowStart(period).slice(0, 7)}..${period}`;
    return `${s.from} ${rowsPeriod(window, s.from) ?? '—'}${s.note ? ` (${s.note})` : ''}`;
  });
}

/**
 * A card's rows of other departments that reach the household only through a corrected ID number:
 * this period's, and the claims of the 12-month window. Read through the views, not the tables:
 * they apply the reader's region scope (migrations 0003, 0040). The bench's exporter reads time it.
 */
export function cardRescuedRows(period: string, household: RawBuilder<string>) {
  return sql<{ source: string; period: string; line: number; difference: string | null; confidence: number | null; reason: string }>`
    select r.source, r.period, r.line, r.difference, r.confidence, r.reason
    from ${sql.table(VIEW.identity_rescue_link)} r join ${sql.table(VIEW.member)} m
      on m.period = ${period} and m.household_id = ${household} and m.person_key = r.person_key
    where r.outcome = 'rescued' and r.period <= ${period}
      and (r.period = ${period} or (r.source = any(${deltaDepartmentIds()}::text[]) and r.period >= ${claimsWindowStart(period).slice(0, 7)}))
    order by r.period, r.source, r.line`;
}

export async function householdCard(raw: Kysely<Database>, period: string, householdId: string, opts: CardOptions = {}): Promise<HouseholdCard> {
  assertPeriod(period);
  const zh = opts.lang === 'zh';
  const word = (v: string) => (zh ? (WORDS_ZH[v] ?? v) : v);
  // the masked views (migration 0006): an exporter sees names and numbers in clear only after
  // its transaction opened an unmasked audit entry
  const db = exportViews(raw);
  const row = await db
    .selectFrom('household_score as s')
    .innerJoin('household as h', (j) => j.onRef('h.period', '=', 's.period').onRef('h.household_id', '=', 's.household_id'))
    .selectAll('s')
    .select(['h.region_code', 'h.on_roster', 'h.assistance', 'h.monthly_income', 'h.members as member_count', 'h.address', 'h.phone'])
    .where('s.period', '=', period)
    .where('s.household_id', '=', householdId)
    .executeTakeFirst();
  if (!row) throw new UsageError(`no household ${householdId} was scored in ${period}`);
  // the departments' months as the run used them: an optional one that had not delivered stands on its latest extract
  const run = await latestSucceededRun(raw, period);
  const window = run ? windowOfRun(run) : periodWindow(period, null);
  if (opts.region !== undefined && !row.region_code.startsWith(opts.region)) {
    throw new UsageError(`no household ${householdId} was scored in ${period} within region ${opts.region}`);
  }

  const members = await sql<{
    name: string; id18: string; relation: string; age: number; sex: string; employment: string | null;
    disabilities: { type: string; grade: number }[] | null; diagnoses: string[] | null; codes: { category: string; code: string }[] | null;
  }>`
    select m.name, m.id18, m.relation, m.age, m.sex, m.employment,
           (select json_agg(json_build_object('type', d.disability_type, 'grade', d.disability_grade) order by d.disability_grade, d.disability_type)
              from ${sql.table(VIEW.disability)} d where d.period = ${rowsPeriod(window, 'disability')}::text and d.person_key = m.person_key) as disabilities,
           (select array_agg(distinct x.category) from ${sql.table(VIEW.diagnosis)} x where x.period = ${rowsPeriod(window, 'health')}::text and x.person_key = m.person_key) as diagnoses,
           (select json_agg(distinct jsonb_build_object('category', x.category, 'code', x.diagnosis_code)) filter (where x.diagnosis_code is not null)
              from ${sql.table(VIEW.diagnosis)} x where x.period = ${rowsPeriod(window, 'health')}::text and x.person_key = m.person_key) as codes
    from ${sql.table(VIEW.member)} m
    where m.period = ${period} and m.household_id = ${householdId}
    -- oldest first after the head: by age, as the birth date itself is masked
    order by m.relation = 'head' desc, m.age desc, m.id18
  `.execute(raw);

  const history = await db
    .selectFrom('household_score')
    .select(['period', 'total', 'tier', 'on_list', 'review'])
    .where('household_id', '=', householdId)
    .where('period', '<=', period)
    .orderBy('period')
    .execute();
  // the rank of every period's list, by the list's own rule (src/export/list-rank.ts)
  const places = new Map((await listPlaces(raw, { period, region: opts.region, household: householdId, history: true })).map((p) => [p.period, p]));
  const here = places.get(period);
  const listSize = here?.of ?? (await listLength(raw, { period, region: opts.region }));

  const dimensions = DIMENSIONS.map((d) => {
    const reason = row.reasons.find((r) => r.dimension === d.id);
    const facts = (zh ? (reason?.text_zh ?? reason?.text) : reason?.text) ?? '';
    return { dimension: d.id, label: d.labels[zh ? 'zh' : 'en'], score: row.dimensions[d.id] ?? null, points: reason?.points ?? 0, facts, sources: sourceNames(d.sources, window) };
  }).sort((a, b) => b.points - a.points);

  const rescued = await cardRescuedRows(period, sql`${householdId}`).execute(db);

  const since: string[] = [];
  const previous = history.filter((h) => h.period < period).at(-1);
  const notOnRecord = zh ? '无记录' : 'not on record';
  if (!previous) since.push(zh ? '本户首次评分' : 'first period this household was scored');
  else {
    since.push(zh ? `${previous.period}为${previous.total}分 → 本期${row.total}分` : `score ${previous.total} in ${previous.period} → ${row.total}`);
    if (previous.tier !== row.tier) since.push(zh ? `预警等级 ${word(previous.tier)} → ${word(row.tier)}` : `tier ${previous.tier} → ${row.tier}`);
    const before = await db
      .selectFrom('household')
      .select(['monthly_income', 'members', 'assistance'])
      .where('period', '=', previous.period)
      .where('household_id', '=', householdId)
      .executeTakeFirst();
    if (before) {
      if (before.monthly_income !== row.monthly_income) {
        since.push(`${zh ? '家庭月收入' : 'monthly income'} ${before.monthly_income ?? notOnRecord} → ${row.monthly_income ?? notOnRecord}`);
      }
      if (before.members !== row.member_count) since.push(`${zh ? '家庭人口' : 'members'} ${before.members} → ${row.member_count}`);
      if (before.assistance !== row.assistance) since.push(`${zh ? '救助' : 'assistance'} ${word(before.assistance)} → ${word(row.assistance)}`);
    }
  }

  // the masked view gives the figures to no exporter that has not opened an unmasked audit entry
  const assets = await db
    .selectFrom('household_asset_check')
    .select(['note', 'note_zh'])
    .where('period', '=', period)
    .where('household_id', '=', householdId)
    .executeTakeFirst();
  const assetNote = assets ? ((opts.unmasked ? (zh ? assets.note_zh : assets.note) : null) ?? ASSETS_FLAGGED[zh ? 'zh' : 'en']) : null;

  const clearContacts = contactsInClear(opts);
  const route = row.route;
  return {
    period,
    lang: zh ? 'zh' : 'en',
    household_id: householdId,
    region_code: row.region_code,
    region_name: regionName(row.region_code, opts.regionNames ?? (await readRegionNames(raw)), zh ? 'zh' : 'en'),
    on_roster: row.on_roster,
    address: row.address === null ? null : clearContacts ? row.address : maskAddress(row.address),
    phone: row.phone === null ? null : clearContacts ? row.phone : maskPhone(row.phone),
    coverage: word(row.on_roster ? row.assistance : 'not_on_roster'),
    monthly_income: row.monthly_income === null ? null : Number(row.monthly_income),
    score: row.total,
    tier: word(row.tier),
    rank: here?.rank ?? null,
    list_size: listSize,
    list_region: opts.region ?? null,
    on_list: row.on_list,
    review: row.review,
    change: word(row.change),
    members: members.rows.map((m) => ({
      name: opts.unmasked ? m.name : maskName(m.name),
      id_number: opts.unmasked ? m.id18 : maskIdNumber(m.id18),
      relation: word(m.relation),
      age: m.age,
      sex: word(m.sex),
      employment: m.employment === null ? null : word(m.employment),
      disabilities: (m.disabilities ?? []).map((d) => (zh ? `${word(d.type)}${GRADE_ZH[d.grade] ?? `${d.grade}级`}` : `${d.type} grade ${d.grade}`)),
      // categories only unless asked: a diagnosis code is health data
      diagnoses: opts.unmasked
        ? (m.codes ?? []).map((c) => `${zh ? diagnosisZh(c.category) : c.category} ${c.code}`).sort()
        : (m.diagnoses ?? []).map((c) => (zh ? diagnosisZh(c) : c)),
    })),
    dimensions,
    history: history.map((h) => ({
      period: h.period,
      score: h.total,
      tier: word(h.tier),
      rank: places.get(h.period)?.rank ?? null,
      on_list: places.has(h.period),
    })),
    since_last_period: since,
    route: route ? { route, name: zh ? ROUTE_ZH[route] : route, rule: (zh ? row.route_rule_zh : row.route_rule) ?? '', confidence: row.route_confidence } : null,
    asset_check: assetNote,
    review_reasons: (row.review_reasons ?? []).map((r) => (zh ? r.text_zh : r.text)),
    rescued_links: rescued.rows.map((r) => ({ ...r, confidence: r.confidence === null ? null : Number(r.confidence) })),
    not_delivered: Object.keys(window.notDelivered).map((id) => notDeliveredNote(window, id, zh ? 'zh' : 'en')!),
    extracts: departments().flatMap((d) => {
      const month = rowsPeriod(window, d.id);
      return month === null ? [] : [{ department: d.id, label: d.labels[zh ? 'zh' : 'en'], month, older: month !== period }];
    }),
    low_confidence: row.low_confidence,
    signals: row.signal_departments.map((id) => ({
      department: id,
      label: signalLabel(id, zh ? 'zh' : 'en'),
      meaning: signalMeaning(id, zh ? 'zh' : 'en'),
    })),
  };
}

const diagnosisZh = (category: string) => (category === 'mental' ? MENTAL_DIAGNOSIS_ZH : (WORDS_ZH[category] ?? category));

/** The card's labels, in the card's language. */
export const CARD_LABELS = {
  en: {
    household: 'Household', region: 'region', paren: (s: string) => ` (${s})`, notOnRoster: ' (NOT on the civil-affairs roster)',
    score: 'Score', change: 'change', coverage: 'coverage', reviewAssistance: ' — REVIEW the assistance',
    rank: (c: HouseholdCard) =>
      c.rank === null
        ? `not on the ${c.period} list${c.list_region ? ` of ${c.list_region}` : ''}`
        : `rank ${c.rank} of ${c.list_size} on the ${c.period} list${c.list_region ? ` of ${c.list_region}` : ''}`,
    income: 'Monthly income', yuan: (n: number) => `${n} yuan`, notOnRecord: 'not on record',
    address: 'Address', phone: 'Phone', none: '—',
    route: 'Suggested route', review: 'Review', identity: 'Identity',
    confidence: (c: 'high' | 'low' | null) => (c === 'low' ? ' (low confidence: the verification found assets or income to check)' : ''),
    assets: 'Assets',
    signals: (n: number) => (n === 0 ? 'No department points here' : `${n} ${n === 1 ? 'department points' : 'departments point'} here`),
    rescued: (r: HouseholdCard['rescued_links'][number]) =>
      `${r.source} ${r.period} line ${r.line} linked by the rescue (${r.difference}, confidence ${r.confidence ?? '—'}): ${r.reason}`,
    members: 'Members', disability: 'disability', diagnosis: 'diagnosis',
    why: 'Why (points of the weighted total, biggest first)', from: 'from',
    extracts: 'Extracts', older: ' (older than the period)',
    lowConfidence: 'LOW CONFIDENCE: every dated fact behind the reasons comes from an old extract (see Extracts): confirm them at the visit',
    history: 'History', listed: (rank: number | null) => (rank === null ? '' : `  rank ${rank} on the list`),
    since: 'Since last period', sep: ', ', list: '; ', colon: ': ', dash: ' — ',
  },
  zh: {
    household: '户编号', region: '区划', paren: (s: string) => `（${s}）`, notOnRoster: '（未在民政名册）',
    score: '预警总分', change: '变化', coverage: '救助覆盖', reviewAssistance: '——请复核救助',
    rank: (c: HouseholdCard) =>
      c.rank === null
        ? `未列入${c.period}${c.list_region ? ` ${c.list_region}` : ''}预警名单`
        : `${c.period}${c.list_region ? ` ${c.list_region}` : ''}预警名单第${c.rank}位（共${c.list_size}户）`,
    income: '家庭月收入', yuan: (n: number) => `${n}元`, notOnRecord: '无记录',
    address: '住址', phone: '联系电话', none: '—',
    route: '建议救助路径', review: '复核', identity: '身份核对',
    confidence: (c: 'high' | 'low' | null) => (c === 'low' ? '（可信度低：核对发现财产或收入待核实）' : ''),
    assets: '财产核查',
    signals: (n: number) => (n === 0 ? '无部门数据指向本户' : `${n}个部门数据指向本户`),
    rescued: (r: HouseholdCard['rescued_links'][number]) =>
      `${r.source} ${r.period} 第${r.line}行经身份证号纠错关联（${r.difference}，置信度${r.confidence ?? '—'}）：${r.reason}`,
    members: '家庭成员', disability: '残疾', diagnosis: '疾病',
    why: '预警原因（各维度加权得分，从高到低）', from: '数据来源',
    extracts: '各部门数据月份', older: '（早于本期）',
    lowConfidence: '可信度低：预警原因所依据的数据均来自较早的月份（见各部门数据月份），请入户核实',
    history: '历史', listed: (rank: number | null) => (rank === null ? '' : `  名单第${rank}位`),
    since: '与上期相比', sep: '，', list: '；', colon: '：', dash: '——',
  },
} as const;

/** The card as text, for a terminal or a printout. */
export function formatCard(c: HouseholdCard): string {
  const t = CARD_LABELS[c.lang];
  const lines: string[] = [];
  // the not-on-roster label says it already where a name would stand
  const notOnRoster = c.on_roster || c.region_name ? '' : t.notOnRoster;
  lines.push(`${t.household} ${c.household_id}${t.sep}${c.period}${t.dash}${t.region} ${c.region_code}${c.region_name ? ` ${c.region_name}` : ''}${notOnRoster}`);
  lines.push(`${t.score} ${c.score}${t.paren(c.tier)}${t.sep}${t.rank(c)}${t.sep}${t.change}${t.colon}${c.change}${t.list}${t.coverage}${t.colon}${c.coverage}${c.review ? t.reviewAssistance : ''}`);
  lines.push(`${t.income}${t.colon}${c.monthly_income === null ? t.notOnRecord : t.yuan(c.monthly_income)}`);
  lines.push(`${t.address}${t.colon}${c.address ?? t.none}   ${t.phone}${t.colon}${c.phone ?? t.none}`);
  if (c.low_confidence) lines.push(t.lowConfidence);
  if (c.route) lines.push(`${t.route}${t.colon}${c.route.name}${t.confidence(c.route.confidence)}${t.dash}${c.route.rule}`);
  if (c.asset_check) lines.push(`${t.assets}${t.colon}${c.asset_check}`);
  for (const r of c.review_reasons) lines.push(`${t.review}${t.colon}${r}`);
  for (const r of c.rescued_links) lines.push(`${t.identity}${t.colon}${t.rescued(r)}`);
  lines.push(`${t.signals(c.signals.length)}${c.signals.length ? `${t.colon}${c.signals.map((s) => `${s.label}${s.meaning ? t.paren(s.meaning) : ''}`).join(t.list)}` : ''}`);
  lines.push('', `${t.members}${t.colon.trim()}`);
  for (const m of c.members) {
    const extra = [...m.disabilities.map((d) => `${t.disability}${t.colon}${d}`), ...m.diagnoses.map((d) => `${t.diagnosis}${t.colon}${d}`)];
    lines.push(`  ${m.name}  ${m.id_number}  ${[m.relation, m.age, m.sex, ...(m.employment ? [m.employment] : [])].join(t.sep)}${extra.length ? `${t.dash}${extra.join(t.list)}` : ''}`);
  }
  lines.push('', `${t.why}${t.colon.trim()}`);
  const width = Math.max(...c.dimensions.map((d) => displayWidth(d.label)));
  for (const d of c.dimensions) {
    lines.push(`  ${padDisplay(d.label, width)} ${(d.score === null ? t.none : String(d.score)).padStart(5)}/100  +${d.points.toFixed(1).padStart(4)}  ${d.facts || '—'}`);
    lines.push(`  ${padDisplay('', width)} ${t.from}${t.colon}${d.sources.join(', ')}`);
  }
  for (const note of c.not_delivered) lines.push(`  ${t.from}${t.colon}${note}`);
  lines.push('', `${t.extracts}${t.colon}${c.extracts.map((e) => `${e.label} ${e.month}${e.older ? t.older : ''}`).join(t.list)}`);
  lines.push('', `${t.history}${t.colon.trim()}`);
  for (const h of c.history) lines.push(`  ${h.period}  ${String(h.score).padStart(5)}  ${padDisplay(h.tier, 6)}${t.listed(h.rank)}`);
  lines.push('', `${t.since}${t.colon.trim()}`);
  for (const s of c.since_last_period) lines.push(`  ${s}`);
  return `${lines.join('\n')}\n`;
}

/** Columns a terminal gives a string: a CJK character takes two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

const padDisplay = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));
