import type { RouteId } from '../../scoring/route.js';
import type { VisitOutcome } from '../visits/visit-report.js';
import { CARD_LABELS, type CardLang, type HouseholdCard } from './household-card.js';
import { AUDIT_VISIT_NOTE } from './warning-list.js';

/**
 * The printable visit cards of a street: one A4 page per listed household, in list order, with
 * the household card, what to verify at the door for its route, and a blank block for the visit's
 * outcome in the words `visits import` reads back. One self-contained HTML file: no script, no
 * network, so it opens and prints on a locked-down office PC; Chromium prints it to a clean PDF.
 */

interface Words {
  en: string[];
  zh: string[];
}

/**
 * What the street worker asks to see, per route: the documents that confirm or refute the rule
 * that matched (scoring/route.ts), as an application for that programme will need them anyway.
 * `covered`: a covered household flagged for review (no route).
 */
export const VERIFY_AT_VISIT: Record<RouteId | 'covered', Words> = {
  dibao: {
    en: ['proof of every member\'s income (wages, pensions, benefits)', 'assets: savings, housing, vehicles', 'household register (hukou) and ID cards of all members'],
    zh: ['全体成员收入证明（工资、养老金、其他收入）', '家庭财产情况（存款、房产、车辆）', '户口簿及全体成员身份证'],
  },
  expenditure_hardship: {
    en: ['medical bills and settlement statements of the last 12 months (out-of-pocket part)', 'proof of every member\'s income', 'other rigid spending (schooling, care), with receipts'],
    zh: ['近12个月医疗费用票据及结算单（个人自付部分）', '全体成员收入证明', '其他刚性支出（教育、护理等）凭证'],
  },
  single_person: {
    en: ['the disability certificate (grade) or the diagnosis of the severe illness', 'the member\'s ID card and the household register', 'proof of the household\'s income'],
    zh: ['残疾人证（等级）或重病诊断证明', '该成员身份证及户口簿', '家庭收入证明'],
  },
  dibao_edge: {
    en: ['proof of every member\'s income', 'assets: savings, housing, vehicles', 'household register (hukou) and ID cards'],
    zh: ['全体成员收入证明', '家庭财产情况（存款、房产、车辆）', '户口簿及身份证'],
  },
  temporary: {
    en: ['the recent large medical bills and settlement statements', 'what happened and since when (written statement)', 'ID card of the applicant'],
    zh: ['近期大额医疗费用票据及结算单', '突发困难情况说明', '申请人身份证'],
  },
  exit_watch: {
    en: ['income since leaving the programme (wages, pensions)', 'employment of the working-age members', 'medical spending since leaving, with bills'],
    zh: ['退出救助后的收入证明', '劳动年龄成员就业情况', '退出后医疗支出票据'],
  },
  assess: {
    en: ['the household\'s income (not on record or not matching a rule): proof of income', 'care and support needs of elderly, sick or disabled members', 'household register (hukou) and ID cards'],
    zh: ['家庭收入情况及证明（无记录或未匹配规则）', '老年、患病、残疾成员的照护与帮扶需求', '户口簿及身份证'],
  },
  covered: {
    en: ['the current assistance certificate', 'changes of income since the last review, with proof', 'members moved away or deceased'],
    zh: ['现享受救助的证件', '上次复核以来的收入变化及证明', '成员迁出或去世情况'],
  },
};

/** The outcomes to tick, each in a word that `visits import` reads back (src/visits/visit-report.ts). */
export const OUTCOME_WORDS: Record<VisitOutcome, { en: string; zh: string }> = {
  assisted_dibao: { en: 'assisted_dibao', zh: '纳入低保' },
  assisted_tekun: { en: 'assisted_tekun', zh: '纳入特困' },
  assisted_temporary: { en: 'assisted_temporary', zh: '临时救助' },
  assisted_medical: { en: 'assisted_medical', zh: '医疗救助' },
  assisted_other: { en: 'assisted_other', zh: '其他帮扶' },
  not_eligible: { en: 'not_eligible', zh: '不符合条件' },
  refused: { en: 'refused', zh: '拒绝' },
  not_found: { en: 'not_found', zh: '未找到' },
  moved: { en: 'moved', zh: '已搬迁' },
};

const TEXT = {
  en: {
    title: 'Visit card', list: (region: string) => `list of ${region}`, masked: 'names and ID numbers masked',
    facts: 'Household', members: 'Members', name: 'Name', id: 'ID number', relation: 'Relation', age: 'Age', sex: 'Sex',
    employment: 'Employment', health: 'Disability / illness', why: 'Why on the list', dimension: 'Dimension', score: 'Score',
    points: 'Points', reasons: 'Facts', route: 'Route', verify: 'Verify at the visit', outcome: 'Visit outcome (for visits import)',
    visitedOn: 'Date visited', dateBlank: '__________ (YYYY-MM-DD)', amount: 'Amount granted', amountUnit: 'yuan a month', notes: 'Notes',
    signature: 'Visited by (signature)', household_sign: 'Household member (signature)',
    columns: 'import columns: household_id, visited_on, outcome, assistance_granted, note', noRoute: 'already covered, review the assistance',
    tierScore: 'Score', coverage: 'Coverage', change: 'Change', income: 'Monthly income', address: 'Address', phone: 'Phone',
    region: 'Region', empty: 'No household of this region is on the list.', colon: ': ',
    audit: 'Audit visit', auditWhy: 'Why this household',
  },
  zh: {
    title: '入户核查卡', list: (region: string) => `${region}预警名单`, masked: '姓名、身份证号已脱敏',
    facts: '家庭情况', members: '家庭成员', name: '姓名', id: '身份证号', relation: '关系', age: '年龄', sex: '性别',
    employment: '就业', health: '残疾/疾病', why: '预警原因', dimension: '维度', score: '得分', points: '加权分', reasons: '依据',
    route: '建议救助路径', verify: '入户核实材料', outcome: '走访结果（回填 visits import）',
    visitedOn: '走访日期', dateBlank: '______年____月____日', amount: '救助金额', amountUnit: '元/月', notes: '情况说明',
    signature: '走访人签名', household_sign: '户主或家属签名',
    columns: '回填列：户编号、走访日期、走访结果、救助金额、备注', noRoute: '已享受救助，请复核',
    tierScore: '预警总分', coverage: '救助覆盖', change: '变化', income: '家庭月收入', address: '住址', phone: '联系电话',
    region: '区划', empty: '本区域无列入预警名单的家庭。', colon: '：',
    audit: '抽查走访', auditWhy: '抽查说明',
  },
} as const;

const FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'Droid Sans Fallback', sans-serif";

const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `
@page { size: A4; margin: 12mm 12mm 12mm 12mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: ${FONT}; font-size: 9pt; line-height: 1.3; color: #000; }
.card { break-after: page; page-break-after: always; }
.card:last-child { break-after: auto; page-break-after: auto; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1.5pt solid #000; padding-bottom: 2mm; margin-bottom: 2.5mm; }
header h1 { font-size: 15pt; margin: 0; }
header .rank { font-size: 11pt; font-weight: bold; text-align: right; }
header .sub { font-size: 8.5pt; color: #333; }
h2 { font-size: 10pt; margin: 2.4mm 0 1mm; border-left: 3pt solid #000; padding-left: 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #555; padding: 0.5mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: bold; white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; }
table.facts th { width: 18%; }
ul { margin: 0; padding-left: 0; list-style: none; }
li { margin: 0.6mm 0; }
.box { display: inline-block; width: 3.2mm; height: 3.2mm; border: 0.8pt solid #000; vertical-align: -0.5mm; margin-right: 1.5mm; }
.outcomes { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1.5mm 4mm; margin: 1.5mm 0; }
.visit { border: 1pt solid #000; padding: 2mm 3mm; margin-top: 2.5mm; break-inside: avoid; page-break-inside: avoid; }
tr, li { break-inside: avoid; page-break-inside: avoid; }
.visit h2 { margin-top: 0; border: 0; padding: 0; }
.line { border-bottom: 0.5pt solid #000; height: 6.5mm; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 2mm 6mm; margin: 1.5mm 0; }
.note { font-size: 8pt; color: #333; }
.rule { margin: 0 0 1mm; }
.warn b { font-weight: bold; }
footer { font-size: 7.5pt; color: #444; margin-top: 1.5mm; }
`;

export interface VisitCardsMeta {
  period: string;
  region: string;
  lang: CardLang;
  masked: boolean;
  /** the households of the cards that are audit visits (src/score/audit-sample.ts), not listed ones */
  audit?: ReadonlySet<string>;
}

function cardPage(c: HouseholdCard, meta: VisitCardsMeta): string {
  const t = TEXT[meta.lang];
  const l = CARD_LABELS[meta.lang];
  // an audit visit is not argued for: no points, no route, the questions any unknown household gets
  const audit = meta.audit?.has(c.household_id) ?? false;
  const verify = VERIFY_AT_VISIT[audit ? 'assess' : (c.route?.route ?? 'covered')][meta.lang];
  const members = c.members
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}</td><td>${esc(m.id_number)}</td><td>${esc(m.relation)}</td><td class="n">${m.age}</td><td>${esc(m.sex)}</td>` +
        `<td>${esc(m.employment ?? '')}</td><td>${esc([...m.disabilities, ...m.diagnoses].join(l.list))}</td></tr>`,
    )
    .join('');
  const dimensions = c.dimensions
    .filter((d) => d.points > 0 || d.facts)
    .map((d) => `<tr><th>${esc(d.label)}</th><td class="n">${d.score}</td><td class="n">+${d.points.toFixed(1)}</td><td>${esc(d.facts || '—')}</td></tr>`)
    .join('');
  const notes = [
    ...c.review_reasons.map((r) => `<li class="warn"><b>${esc(l.review)}${t.colon}</b>${esc(r)}</li>`),
    ...c.rescued_links.map((r) => `<li class="warn"><b>${esc(l.identity)}${t.colon}</b>${esc(l.rescued(r))}</li>`),
    ...(c.asset_check ? [`<li class="warn"><b>${esc(l.assets)}${t.colon}</b>${esc(c.asset_check)}</li>`] : []),
    ...(c.low_confidence ? [`<li class="warn">${esc(l.lowConfidence)}</li>`] : []),
  ].join('');
  const outcomes = Object.values(OUTCOME_WORDS)
    .map((w) => `<div><span class="box"></span>${esc(w[meta.lang])}</div>`)
    .join('');
  return `<section class="card">
<header><div><h1>${esc(t.title)} · ${esc(c.household_id)}</h1><div class="sub">${esc(meta.period)} · ${esc(t.list(meta.region))}${meta.masked ? ` · ${esc(t.masked)}` : ''}</div></div>
<div class="rank">${esc(audit ? t.audit : l.rank(c))}</div></header>
<table class="facts">
<tr><th>${esc(t.address)}</th><td colspan="3">${esc(c.address ?? '—')}</td></tr>
<tr><th>${esc(t.phone)}</th><td>${esc(c.phone ?? '—')}</td><th>${esc(t.region)}</th><td>${esc(c.region_code)}${c.region_name ? ` ${esc(c.region_name)}` : c.on_roster ? '' : esc(l.notOnRoster)}</td></tr>
<tr><th>${esc(t.tierScore)}</th><td>${c.score}${meta.lang === 'zh' ? `（${esc(c.tier)}）` : ` (${esc(c.tier)})`} · ${esc(t.change)}${t.colon}${esc(c.change)}</td><th>${esc(t.coverage)}</th><td>${esc(c.coverage)}</td></tr>
<tr><th>${esc(t.income)}</th><td colspan="3">${esc(c.monthly_income === null ? l.notOnRecord : l.yuan(c.monthly_income))}</td></tr>
</table>
<h2>${esc(t.members)}</h2>
<table><tr><th>${esc(t.name)}</th><th>${esc(t.id)}</th><th>${esc(t.relation)}</th><th>${esc(t.age)}</th><th>${esc(t.sex)}</th><th>${esc(t.employment)}</th><th>${esc(t.health)}</th></tr>${members}</table>
${
  audit
    ? `<h2>${esc(t.auditWhy)}</h2>\n<p class="rule">${esc(AUDIT_VISIT_NOTE[meta.lang])}</p>`
    : `<h2>${esc(t.why)}</h2>
<table><tr><th>${esc(t.dimension)}</th><th>${esc(t.score)}</th><th>${esc(t.points)}</th><th>${esc(t.reasons)}</th></tr>${dimensions}</table>
<h2>${esc(t.route)}${t.colon}${esc(c.route ? c.route.name : t.noRoute)}${esc(c.route ? l.confidence(c.route.confidence) : '')}</h2>
${c.route ? `<p class="rule">${esc(c.route.rule)}</p>` : ''}${notes ? `<ul>${notes}</ul>` : ''}`
}
<h2>${esc(t.verify)}</h2>
<ul>${verify.map((v) => `<li><span class="box"></span>${esc(v)}</li>`).join('')}</ul>
<div class="visit">
<h2>${esc(t.outcome)}</h2>
<div class="fields"><div>${esc(t.visitedOn)}${t.colon}${esc(t.dateBlank)}</div><div>${esc(t.amount)}${t.colon}________ ${esc(t.amountUnit)}</div></div>
<div class="outcomes">${outcomes}</div>
<div>${esc(t.notes)}${t.colon}</div><div class="line"></div><div class="line"></div>
<div class="fields"><div>${esc(t.signature)}${t.colon}<div class="line"></div></div><div>${esc(t.household_sign)}${t.colon}<div class="line"></div></div></div>
<div class="note">${esc(t.columns)} · ${esc(c.household_id)}</div>
</div>
</section>`;
}

/** The cards of a street as one HTML document, a page per household, in the order given (the list's). */
export function renderVisitCards(cards: HouseholdCard[], meta: VisitCardsMeta): string {
  const t = TEXT[meta.lang];
  const body = cards.length === 0 ? `<p>${esc(t.empty)}</p>` : cards.map((c) => cardPage(c, meta)).join('\n');
  return `<!doctype html>
<html lang="${meta.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(t.title)} ${esc(meta.period)} ${esc(meta.region)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
