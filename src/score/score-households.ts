import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { keepExplanations } from './score-explanations.sql.js';
import { periodWrite } from '../db/period-partitions.js';
import type { SafetynetConfig } from '../config/schema.js';
import { copyRows, type CopyValue } from '../db/copy.js';
import type { PeriodWindow } from '../period.js';
import type { Tx } from '../db/transaction.js';
import { assessHousehold } from '../../scoring/assess-household.js';
import type { Evidence, HouseholdFacts } from '../../scoring/household-facts.js';
import type { VisitOutcome } from '../visits/outcomes.js';
import { buildHouseholdFacts } from './household-facts.sql.js';
import { VEHICLE_BANDS } from '../ingest/verification/verification.source.js';

export interface ScoreCounts {
  households_scored: number;
  warnings: number;
  previous_period: string | null;
  /** households whose region had no row in dibao-standards.csv: the config's default applied */
  default_standard: number;
}

const BATCH = 5000;

/** the temp table `scored`, in the order of its columns */
const SCORED_COLUMNS = [
  'household_id', 'explanation', 'total', 'tier', 'on_list', 'covered', 'dimensions', 'reasons', 'route', 'route_rule', 'route_rule_zh', 'review_reasons',
  'covered_by_visit', 'visit_notes', 'cooled_down', 'route_confidence', 'asset_check', 'asset_check_zh',
  'low_confidence',
];


/** A row of `household_facts` as pg returns it (numeric parsed to number by src/db/connect.ts, dates as text). */
export interface FactsRow {
  household_id: string;
  on_roster: boolean;
  /** no dibao standard of the region in dibao-standards.csv: the config's default applied */
  default_standard: boolean;
  members: number;
  assistance: string;
  monthly_income: number | null;
  previous_monthly_income: number | null;
  dibao_standard: number;
  minors: number;
  working_age: number;
  elderly: number;
  old_old: number;
  oldest_age: number | null;
  unemployed_adults: number;
  able_earners: number;
  able_unemployed: number;
  most_severe_grade: number | null;
  disabled_members: number;
  intellectual_or_mental: number;
  severe_illness: number;
  severe_mental: number;
  chronic_illness: number;
  inpatient_stays: number;
  out_of_pocket: number;
  recent_out_of_pocket: number;
  severe_members: number;
  previous_period: string | null;
  severe_members_recovered: number;
  severe_members_gone: number;
  left_assistance_period: string | null;
  left_assistance_programme: 'dibao' | 'tekun' | null;
  left_assistance_total: number | null;
  last_visit_on: string | null;
  /** the visit that settled the case: assisted or not eligible */
  last_visit_outcome: VisitOutcome | null;
  last_visit_total: number | null;
  assisted_visit_on: string | null;
  assisted_visit_outcome: 'assisted_dibao' | 'assisted_tekun' | null;
  last_inpatient_on: string | null;
  severe_recorded_on: string | null;
  severe_certified_on: string | null;
  // human-resources (src/ingest/human-resources): its householdFacts columns
  registered_unemployed: number;
  registered_unemployed_beyond_roster: number;
  registered_unemployed_able_beyond_roster: number;
  registered_unemployed_since: string | null;
  registered_unemployed_latest: string | null;
  pensions_monthly: number | null;
  pensioners: number;
  // members who left or joined beyond the roster (src/score/household-membership.sql.ts)
  members_died: number;
  members_moved_out: number;
  members_left_on: string | null;
  member_left: string | null;
  everyone_left: boolean;
  members_born: number;
  born_on: string | null;
  main_earner_died_on: string | null;
  main_earner: string | null;
  // verification (src/ingest/verification): its householdFacts columns
  verified_members: number;
  verified_properties_beyond_home: number;
  verified_property_holders: number;
  verified_vehicles: number;
  /** 1-3: VEHICLE_BANDS of the declaration */
  verified_vehicle_band: number | null;
  verified_businesses: number;
  verified_businesses_representative_only: number;
  verified_housing_fund: number | null;
  verified_housing_fund_members: number;
  // housing, emergency, education (src/ingest/<id>): their householdFacts columns
  dangerous_house_grade: 'C' | 'D' | null;
  dangerous_house_appraised_on: string | null;
  disaster_loss: number;
  disasters: number;
  disaster_latest_on: string | null;
  disaster_latest_event: string | null;
  disaster_house_damaged: boolean;
  /** jsonb: one entry per student, fees in yuan */
  students: { stage: 'high_school' | 'secondary_vocational' | 'higher'; fees: number }[];
  school_year: number | null;
}

/** A household's facts from its row; `evidence` is the period's, the same for every household (`buildHouseholdFacts` returns it). */
export function toFacts(r: FactsRow, evidence: Evidence): HouseholdFacts {
  return {
    householdId: r.household_id,
    members: r.members,
    minors: r.minors,
    workingAge: r.working_age,
    elderly: r.elderly,
    oldOld: r.old_old,
    oldestAge: r.oldest_age,
    unemployedAdults: r.unemployed_adults,
    ableEarners: r.able_earners,
    ableUnemployed: r.able_unemployed,
    monthlyIncome: r.monthly_income,
    previousMonthlyIncome: r.previous_monthly_income,
    dibaoStandard: r.dibao_standard,
    mostSevereGrade: r.most_severe_grade,
    disabledMembers: r.disabled_members,
    intellectualOrMentalDisabled: r.intellectual_or_mental,
    severeIllness: r.severe_illness,
    severeMentalDisorder: r.severe_mental,
    chronicIllness: r.chronic_illness,
    inpatientStays12m: r.inpatient_stays,
    outOfPocket12m: r.out_of_pocket,
    assistance: r.assistance,
    severeMembers: r.severe_members,
    recentOutOfPocket: r.recent_out_of_pocket,
    leftAssistance:
      r.left_assistance_period === null
        ? null
        : { period: r.left_assistance_period, programme: r.left_assistance_programme ?? 'dibao', total: r.left_assistance_total ?? 0 },
    previousPeriod: r.previous_period,
    severeMembersRecovered: r.severe_members_recovered,
    severeMembersGone: r.severe_members_gone,
    lastVisit:
      r.last_visit_on === null || r.last_visit_outcome === null ? null : { on: r.last_visit_on, outcome: r.last_visit_outcome, totalThen: r.last_visit_total },
    assistedVisit:
      r.assisted_visit_on === null ? null : { on: r.assisted_visit_on, programme: r.assisted_visit_outcome === 'assisted_tekun' ? 'tekun' : 'dibao' },
    latestSevere: { inpatient: r.last_inpatient_on, diagnosis: r.severe_recorded_on, disability: r.severe_certified_on },
    pensions: r.pensions_monthly === null ? null : { monthly: r.pensions_monthly, members: r.pensioners },
    verification:
      r.verified_members === 0
        ? null
        : {
            members: r.verified_members,
            propertiesBeyondHome: r.verified_properties_beyond_home,
            propertyHolders: r.verified_property_holders,
            vehicles: r.verified_vehicles,
            vehicleBand: r.verified_vehicle_band === null ? null : (VEHICLE_BANDS[r.verified_vehicle_band - 1] ?? null),
            businesses: r.verified_businesses,
            businessesRepresentativeOnly: r.verified_businesses_representative_only,
            housingFund: r.verified_housing_fund === null ? null : { monthly: r.verified_housing_fund, members: r.verified_housing_fund_members },
          },
    dangerousHouse: r.dangerous_house_grade === null ? null : { grade: r.dangerous_house_grade, appraisedOn: r.dangerous_house_appraised_on },
    disasters: {
      loss: r.disaster_loss,
      count: r.disasters,
      latest: r.disaster_latest_on === null ? null : { event: r.disaster_latest_event ?? '', on: r.disaster_latest_on },
      houseDamaged: r.disaster_house_damaged,
    },
    students: r.students.map((s) => ({ stage: s.stage, feesPaid: s.fees })),
    schoolYear: r.school_year,
    evidence,
    membership: {
      died: r.members_died,
      movedOut: r.members_moved_out,
      leftOn: r.members_left_on,
      memberLeft: r.member_left,
      everyoneLeft: r.everyone_left,
      born: r.members_born,
      bornOn: r.born_on,
      mainEarnerDied: r.main_earner_died_on === null ? null : { name: r.main_earner ?? '(name unknown)', on: r.main_earner_died_on },
    },
    registeredUnemployed: {
      members: r.registered_unemployed,
      notUnemployedOnRoster: r.registered_unemployed_beyond_roster,
      ableBeyondRoster: r.registered_unemployed_able_beyond_roster,
      since: r.registered_unemployed_since,
      latest: r.registered_unemployed_latest,
    },
  };
}

/**
 * The key an explanation is kept under in `score_explanation` (migration 0026): the first 128
 * bits of a SHA-256 of its text as written, the four parts on lines of their own (JSON has no
 * raw line break). Equal explanations, of two households or two months, are kept once.
 */
export function explanationId(dimensions: string, reasons: string, rule: string | null, ruleZh: string | null): string {
  return createHash('sha256').update(`${dimensions}\n${reasons}\n${JSON.stringify(rule)}\n${JSON.stringify(ruleZh)}`).digest('hex').slice(0, 32);
}

/** The households' rows of `scored`, each assessed when its row is asked for. */
function* scoredRows(rows: readonly FactsRow[], evidence: Evidence, period: string, cfg: SafetynetConfig): Generator<CopyValue[]> {
  for (const r of rows) {
    const score = assessHousehold(toFacts(r, evidence), period, cfg);
    const { visit, route } = score;
    // every registered dimension's score by id: a new dimension needs no new column
    const dimensions = JSON.stringify(score.dimensions);
    const reasons = JSON.stringify(score.reasons);
    const rule = route?.rule ?? null;
    const ruleZh = route?.ruleZh ?? null;
    yield [
      r.household_id, explanationId(dimensions, reasons, rule, ruleZh), score.total, score.tier, score.onList, score.covered,
      dimensions, reasons, route?.route ?? null, rule, ruleZh,
      JSON.stringify(score.review), visit.coveredByVisit, JSON.stringify(visit.notes), visit.cooledDown,
      route?.confidence ?? null, score.assetCheck?.en ?? null, score.assetCheck?.zh ?? null,
      score.lowConfidence,
    ];
  }
}

/**
 * Scores every household of the period: facts aggregated in SQL, the dimensions computed by
 * the pure modules in `scoring/`, written back in batches; then ranked and compared with the
 * previous period in SQL.
 */
export async function scoreHouseholds(tx: Tx, window: PeriodWindow, cfg: SafetynetConfig, claims?: RawBuilder<unknown>): Promise<ScoreCounts> {
  const { period, previous } = window;
  const evidence = await buildHouseholdFacts(tx, window, cfg, undefined, claims);

  // scores land in a temp table first, so that household_score is written once, ranked and
  // compared with the previous period in one statement (no updates over a whole city)
  await sql`
    create temp table scored (
      household_id text, explanation uuid, total numeric(5, 1), tier text, on_list boolean, covered boolean,
      dimensions jsonb, reasons jsonb,
      route text, route_rule text, route_rule_zh text, review_reasons jsonb,
      covered_by_visit text, visit_notes jsonb, cooled_down boolean,
      route_confidence text, asset_check text, asset_check_zh text, low_confidence boolean
    ) on commit drop
  `.execute(tx.db);
  let after = '';
  let scored = 0;
  for (;;) {
    const { rows } = await sql<FactsRow>`
      select * from household_facts where household_id > ${after} order by household_id limit ${BATCH}
    `.execute(tx.db);
    if (rows.length === 0) break;
    // COPY, not unnest arrays: the arrays' literals (jsonb in text[] quoting) cost more to
    // build in Node and to parse in the server than the scoring itself (measured at 100k
    // households: 5.0 s of unnest inserts against 1.4 s of scoring). Each household is scored as
    // the COPY asks for its row, so the server parses one chunk while Node scores the next.
    await copyRows(tx.client, 'scored', SCORED_COLUMNS, scoredRows(rows, evidence, period, cfg));
    scored += rows.length;
    after = rows[rows.length - 1]!.household_id;
  }

  // Uncovered households first (the point of the list), then covered ones, each by score.
  // `change` compares with the previous period. On the list (over the line, or covered and
  // flagged for review: what the list export shows) `new` means not on the previous period's
  // list, whatever its score then: a street office reads it as "a warning we have not seen".
  // Households on both lists, or on neither, are up/down/same by at least a point of score;
  // `new` off the list is a household not scored then. A covered household whose situation
  // changes either way is reviewed: worse may need more help, better may no longer qualify.
  // the period's scores into a table of its own, indexed when whole (src/db/period-partitions.ts)
  // a temp table has no statistics until analysed: guessed at twice its rows, the scores were
  // sorted whole to disk (190 MB at 250,000 households) to merge them with their ranks
  await sql`analyze scored`.execute(tx.db);
  // each explanation once (migration 0026), each of its reasons once (0031), their texts as templates and figures (0034)
  await keepExplanations(tx, sql`scored`);
  // each set of departments pointing at households once (migration 0036), named by its number
  await sql`
    insert into signal_set (departments) select distinct departments from facts_signal
    on conflict (departments) do nothing
  `.execute(tx.db);
  const scores = await periodWrite(tx, 'scored_household', period);
  await sql`
    with ranked as (
      -- ranked on the three columns of the order alone: a sort of the whole rows, reasons and
      -- all, spilled 200 MB to disk at 250,000 households
      select household_id, row_number() over (order by covered, total desc, household_id)::int as rank from scored
    ), compared as (
      select s.*, r.rank, p.total as previous_total, coalesce(p.on_list or p.review, false) as listed_before,
             coalesce(s.covered and abs(s.total - p.total) >= ${cfg.review.coveredChange}, false) as review_by_score
      from scored s
      join ranked r using (household_id)
      left join scored_household p on p.period = ${previous}::text and p.household_id = s.household_id
    ), flagged as (
      select c.*, c.review_by_score or jsonb_array_length(c.review_reasons) > 0 as review from compared c
    )
    insert into ${scores.into} (period, household_id, rank, total, tier, on_list, covered, change, previous_total, review,
                                 explanation, route, review_reasons, rescued_links,
                                 covered_by_visit, visit_notes, cooled_down, review_by_score, signal_set,
                                 route_confidence, low_confidence)
    select ${period}, f.household_id, f.rank,
           f.total, f.tier, f.on_list, f.covered,
           case when f.previous_total is null then 'new'
                when (f.on_list or f.review) and not f.listed_before then 'new'
                when f.total - f.previous_total >= 1 then 'up'
                when f.previous_total - f.total >= 1 then 'down' else 'same' end,
           f.previous_total, f.review,
           f.explanation, f.route, f.review_reasons, coalesce(rs.links, 0),
           f.covered_by_visit, f.visit_notes, f.cooled_down, f.review_by_score, g.id,
           f.route_confidence, f.low_confidence
    from flagged f
    -- the signals and the rescued links are the analyst's, no score reads them: straight from
    -- the facts' steps, not through Node
    left join facts_signal sig on sig.household_id = f.household_id
    left join signal_set g on g.departments = sig.departments
    left join facts_rescued rs on rs.household_id = f.household_id
  `.execute(tx.db);
  await scores.attach();

  // the note's figures are asset data: a table of the verification department's, purged with its rows (migration 0014)
  await sql`
    insert into household_asset_check (period, household_id, note, note_zh)
    select ${period}, household_id, asset_check, asset_check_zh from scored where asset_check is not null
  `.execute(tx.db);

  const fallback = await sql<{ n: number }>`select count(*)::int as n from household_facts where default_standard`.execute(tx.db);
  const defaultStandard = fallback.rows[0]?.n ?? 0;
  if (defaultStandard > 0) {
    await sql`
      insert into quality_issue (period, source, line, kind, detail)
      values (${period}, 'dibao-standards', null, 'dibao_standard_default',
              ${`${defaultStandard} households have no dibao standard for their region and hukou type in dibao-standards.csv: the config default (urban ${cfg.dibaoDefaults.urban}, rural ${cfg.dibaoDefaults.rural} yuan) was used`})
    `.execute(tx.db);
  }

  const warnings = await tx.db
    .selectFrom('scored_household')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('period', '=', period)
    .where('on_list', '=', true)
    .where('covered', '=', false)
    .executeTakeFirstOrThrow();
  return { households_scored: scored, warnings: Number(warnings.n), previous_period: previous, default_standard: defaultStandard };
}
