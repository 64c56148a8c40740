import { sql, type Kysely } from 'kysely';
import type { DimensionId } from '../config/schema.js';
import type { Database } from '../db/schema.js';
import { UsageError } from '../errors.js';
import { maskIdNumber, maskName } from '../identity/id-number.js';
import { assertPeriod, claimsWindowStart, isoDate, periodEnd } from '../period.js';

/**
 * Everything a street worker needs before a visit: who lives there, each dimension's points
 * with the facts and the departments' extracts behind them, coverage, the score's history and
 * what changed since last month. Names and ID numbers masked, diagnoses by category only, unless
 * asked otherwise.
 */
export interface HouseholdCard {
  period: string;
  household_id: string;
  region_code: string;
  on_roster: boolean;
  coverage: string;
  monthly_income: number | null;
  score: number;
  tier: string;
  rank: number;
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
  dimensions: { dimension: DimensionId; score: number; points: number; facts: string; sources: string[] }[];
  history: { period: string; score: number; tier: string; rank: number; on_list: boolean }[];
  since_last_period: string[];
  /** the programme the household most likely fits and the rule that matched (null when covered) */
  route: { route: string; rule: string } | null;
  /** why the household is flagged for review, besides a score change */
  review_reasons: string[];
  /** rows linked to a member by the identity rescue: check the ID at the visit */
  rescued_links: { source: string; period: string; line: number; difference: string | null; confidence: number | null; reason: string }[];
}

function sourcesFor(dimension: DimensionId, period: string): string[] {
  const window = `medical-insurance ${claimsWindowStart(period).slice(0, 7)}..${period}`;
  switch (dimension) {
    case 'age_structure':
      return [`civil-affairs ${period} (ages from ID numbers)`];
    case 'economic':
      return [`civil-affairs ${period}`, 'dibao-standards', window];
    case 'health':
      return [`health ${period}`, window];
    case 'disability':
      return [`disability ${period}`];
    case 'medical_burden':
      return [window, `civil-affairs ${period}`];
    case 'labour_capacity':
      return [`civil-affairs ${period}`, `disability ${period}`, `health ${period}`];
  }
}

const DIMENSIONS: DimensionId[] = ['economic', 'medical_burden', 'health', 'disability', 'labour_capacity', 'age_structure'];

export async function householdCard(db: Kysely<Database>, period: string, householdId: string, opts: { unmasked?: boolean } = {}): Promise<HouseholdCard> {
  assertPeriod(period);
  const row = await db
    .selectFrom('household_score as s')
    .innerJoin('household as h', (j) => j.onRef('h.period', '=', 's.period').onRef('h.household_id', '=', 's.household_id'))
    .selectAll('s')
    .select(['h.region_code', 'h.on_roster', 'h.assistance', 'h.monthly_income', 'h.members as member_count'])
    .where('s.period', '=', period)
    .where('s.household_id', '=', householdId)
    .executeTakeFirst();
  if (!row) throw new UsageError(`no household ${householdId} was scored in ${period}`);

  const end = isoDate(periodEnd(period));
  const members = await sql<{
    name: string; id18: string; relation: string; age: number; sex: string; employment: string | null;
    disabilities: string[] | null; diagnoses: string[] | null; codes: string[] | null;
  }>`
    select m.name, m.id18, m.relation, extract(year from age(${end}::date, m.birth_date))::int as age, m.sex, m.employment,
           (select array_agg(d.disability_type || ' grade ' || d.disability_grade order by d.disability_grade, d.disability_type)
              from disability d where d.period = m.period and d.id18 = m.id18) as disabilities,
           (select array_agg(distinct x.category) from diagnosis x where x.period = m.period and x.id18 = m.id18) as diagnoses,
           (select array_agg(distinct x.category || ' ' || x.diagnosis_code) from diagnosis x where x.period = m.period and x.id18 = m.id18) as codes
    from member m
    where m.period = ${period} and m.household_id = ${householdId}
    order by m.relation = 'head' desc, m.birth_date
  `.execute(db);

  const history = await db
    .selectFrom('household_score')
    .select(['period', 'total', 'tier', 'rank', 'on_list'])
    .where('household_id', '=', householdId)
    .where('period', '<=', period)
    .orderBy('period')
    .execute();

  const reasons = row.reasons as unknown as { dimension: DimensionId; points: number; text: string }[];
  const dimensions = DIMENSIONS.map((d) => {
    const reason = reasons.find((r) => r.dimension === d);
    return { dimension: d, score: Number(row[d]), points: reason?.points ?? 0, facts: reason?.text ?? '', sources: sourcesFor(d, period) };
  }).sort((a, b) => b.points - a.points);

  // rows of other departments that reach this household only through a corrected ID number
  const rescued = await sql<{ source: string; period: string; line: number; difference: string | null; confidence: number | null; reason: string }>`
    select r.source, r.period, r.line, r.difference, r.confidence, r.reason
    -- the view, not the table: it applies the reader's region scope (migrations/0003)
    from identity_rescue_link r join member m on m.period = ${period} and m.household_id = ${householdId} and m.id18 = r.id18
    where r.outcome = 'rescued' and r.period <= ${period}
      and (r.period = ${period} or (r.source = 'medical-insurance' and r.period >= ${claimsWindowStart(period).slice(0, 7)}))
    order by r.period, r.source, r.line
  `.execute(db);

  const since: string[] = [];
  const previous = history.filter((h) => h.period < period).at(-1);
  if (!previous) since.push('first period this household was scored');
  else {
    since.push(`score ${previous.total} in ${previous.period} → ${row.total}`);
    if (previous.tier !== row.tier) since.push(`tier ${previous.tier} → ${row.tier}`);
    const before = await db
      .selectFrom('household')
      .select(['monthly_income', 'members', 'assistance'])
      .where('period', '=', previous.period)
      .where('household_id', '=', householdId)
      .executeTakeFirst();
    if (before) {
      if (before.monthly_income !== row.monthly_income) since.push(`monthly income ${before.monthly_income ?? 'not on record'} → ${row.monthly_income ?? 'not on record'}`);
      if (before.members !== row.member_count) since.push(`members ${before.members} → ${row.member_count}`);
      if (before.assistance !== row.assistance) since.push(`assistance ${before.assistance} → ${row.assistance}`);
    }
  }

  return {
    period,
    household_id: householdId,
    region_code: row.region_code,
    on_roster: row.on_roster,
    coverage: row.on_roster ? row.assistance : 'not_on_roster',
    monthly_income: row.monthly_income === null ? null : Number(row.monthly_income),
    score: Number(row.total),
    tier: row.tier,
    rank: row.rank ?? 0,
    on_list: row.on_list,
    review: row.review,
    change: row.change,
    members: members.rows.map((m) => ({
      name: opts.unmasked ? m.name : maskName(m.name),
      id_number: opts.unmasked ? m.id18 : maskIdNumber(m.id18),
      relation: m.relation,
      age: m.age,
      sex: m.sex,
      employment: m.employment,
      disabilities: m.disabilities ?? [],
      // categories only unless asked: a diagnosis code is health data
      diagnoses: (opts.unmasked ? m.codes : m.diagnoses) ?? [],
    })),
    dimensions,
    history: history.map((h) => ({ period: h.period, score: Number(h.total), tier: h.tier, rank: h.rank ?? 0, on_list: h.on_list })),
    since_last_period: since,
    route: row.route ? { route: row.route, rule: row.route_rule ?? '' } : null,
    review_reasons: (row.review_reasons ?? []).map((r) => r.text),
    rescued_links: rescued.rows.map((r) => ({ ...r, confidence: r.confidence === null ? null : Number(r.confidence) })),
  };
}

/** The card as text, for a terminal or a printout. */
export function formatCard(c: HouseholdCard): string {
  const lines: string[] = [];
  lines.push(`Household ${c.household_id}, ${c.period} — region ${c.region_code}${c.on_roster ? '' : ' (NOT on the civil-affairs roster)'}`);
  lines.push(`Score ${c.score} (${c.tier}), rank ${c.rank}, change: ${c.change}; coverage: ${c.coverage}${c.review ? ' — REVIEW the assistance' : ''}`);
  lines.push(`Monthly income: ${c.monthly_income === null ? 'not on record' : `${c.monthly_income} yuan`}`);
  if (c.route) lines.push(`Suggested route: ${c.route.route} — ${c.route.rule}`);
  for (const r of c.review_reasons) lines.push(`Review: ${r}`);
  for (const r of c.rescued_links) {
    lines.push(`Identity: ${r.source} ${r.period} line ${r.line} linked by the rescue (${r.difference}, confidence ${r.confidence ?? '—'}): ${r.reason}`);
  }
  lines.push('', 'Members:');
  for (const m of c.members) {
    const extra = [...m.disabilities.map((d) => `disability: ${d}`), ...m.diagnoses.map((d) => `diagnosis: ${d}`)];
    lines.push(`  ${m.name}  ${m.id_number}  ${m.relation}, ${m.age}, ${m.sex}${m.employment ? `, ${m.employment}` : ''}${extra.length ? ` — ${extra.join('; ')}` : ''}`);
  }
  lines.push('', 'Why (points of the weighted total, biggest first):');
  for (const d of c.dimensions) {
    lines.push(`  ${d.dimension.padEnd(16)} ${String(d.score).padStart(5)}/100  +${d.points.toFixed(1).padStart(4)}  ${d.facts || '—'}`);
    lines.push(`  ${''.padEnd(16)} from: ${d.sources.join(', ')}`);
  }
  lines.push('', 'History:');
  for (const h of c.history) lines.push(`  ${h.period}  ${String(h.score).padStart(5)}  ${h.tier.padEnd(6)}  rank ${h.rank}${h.on_list ? '  on the list' : ''}`);
  lines.push('', 'Since last period:');
  for (const s of c.since_last_period) lines.push(`  ${s}`);
  return `${lines.join('\n')}\n`;
}
