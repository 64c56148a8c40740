import { sql, type RawBuilder } from 'kysely';
import type { SafetynetConfig } from '../config/schema.js';
import type { Tx } from '../db/transaction.js';
import type { Evidence } from '../../scoring/household-facts.js';
import { windowClaims } from '../db/latest-claims.js';
import { periodRows, type FactsContext } from '../ingest/department.js';
import { department, deltaDepartmentIds, departments } from '../ingest/departments.js';
import { householdMembership } from './household-membership.sql.js';
import { addMonths, claimsWindowStart, rowsPeriod, type PeriodWindow } from '../period.js';
import { membersAsOf } from '../link/members.js';
import { householdsAsOf } from '../link/households.js';

/**
 * Aggregates everything the dimensions need into one row per household of the period, set-based,
 * into the temp table `household_facts`: per person first (disability, diagnosis, claims, the
 * members counted), then per household, each step a temp table of the transaction. Ages are
 * taken at the last day of the period; the medical window is the 12 months ending then, by
 * settlement date. What no assessment reads stays in its step's table for the scores' insert
 * (`facts_signal`: household_id, departments; `facts_rescued`: household_id, links), not
 * carried through Node.
 */
/** A night's view of a period's households: facts at a later day, with that day's claims, for some households only. */
export interface FactsWindow {
  /** the day facts are taken at, YYYY-MM-DD (default: the period's last day) */
  asOf: string;
  /** the claims to count instead of the period's latest claims (a subquery for FROM) */
  claims: RawBuilder<unknown>;
  /** a temp table of the household_ids to build facts for */
  households: string;
}

export async function buildHouseholdFacts(
  tx: Tx,
  /** the month's window, as its run began */
  month: PeriodWindow,
  cfg: SafetynetConfig,
  window?: FactsWindow,
  /** the period's window claims already kept by the run (`buildWindowClaims`); a night's window brings its own */
  periodClaims?: RawBuilder<unknown>,
): Promise<Evidence> {
  const { period, previous } = month;
  const end = window?.asOf ?? month.endDay;
  // a night measures 12 months back from its own day, not from the end of the period it extends
  const windowStart = window ? claimsWindowStart(end.slice(0, 7)) : month.claimsFrom;
  const only = window ? sql`and household_id in (select household_id from ${sql.table(window.households)})` : sql``;
  const { adultFrom, elderlyFrom, oldOldFrom } = cfg.ages;
  const { singlePersonMaxGrade, temporaryMonths, exitWatchMonths } = cfg.routes;
  // the first day of the month temporaryMonths-1 months back: 3 months = this one and the two before
  const recentStart = `${addMonths(end.slice(0, 7), 1 - temporaryMonths)}-01`;
  const exitFrom = addMonths(period, -exitWatchMonths);
  const rescueFrom = month.claimsFromPeriod;
  // an assisted visit covers the household for rosterLagMonths months (the visit month counts)
  const assistedFrom = `${addMonths(period, -Math.max(0, cfg.visits.rosterLagMonths - 1))}-01`;
  const claimSource = window?.claims ?? periodClaims ?? windowClaims(month);
  // the claims the statement counts: the 12-month window ending at the facts' day
  const claims = sql`(select * from ${claimSource} counted_claim where settled_on >= ${windowStart}::date and settled_on <= ${end}::date)`;
  const context = (id: string): FactsContext => ({ rowsPeriod: rowsPeriod(month, id), asOf: end, period, claims, members: sql.ref('facts_person'), cfg });
  // every department's own household facts, from the rows the month uses of it
  const contributions = departments()
    .filter((d) => d.householdFacts)
    .map((d) => ({
      table: `facts_dept_${d.table}`,
      people: d.householdFacts!.people(context(d.id)),
      columns: d.householdFacts!.columns,
    }));
  // every department whose rows are of an earlier extract than the period's (one that did not
  // deliver): the same for every household, so one value, returned, that the reasons date their facts by
  const evidence: Evidence = {
    period,
    older: Object.fromEntries(
      departments().flatMap((d) => {
        const used = rowsPeriod(month, d.id);
        return used !== null && used !== period ? [[d.id, { month: used, label: d.labels.zh }]] : [];
      }),
    ),
  };
  // the members counted: the roster's, less the dead and moved away, with newborns (public-security)
  const membership = householdMembership(departments(), context, { period, end, cfg, only });
  // every department that points at people in need, in registry order (the list's order of them)
  const signals = departments()
    .filter((d) => d.signal)
    .map((d, order) => sql`select ${d.id}::text as department, ${order}::int as ord, id18 from (${d.signal!.people(context(d.id))}) s`);
  // Built in steps, each a temp table analysed before the next reads it: as one statement, the
  // planner guessed its nested CTEs' sizes by orders of magnitude (10^13 people for a city of
  // 680,000) and sorted and merged where hashing fits in memory.
  const step = async (name: string, query: RawBuilder<unknown>) => {
    await sql`create temp table ${sql.table(name)} on commit drop as ${query}`.execute(tx.db);
    await sql`analyze ${sql.table(name)}`.execute(tx.db);
  };
  await step('facts_person_disability', sql`
      select id18, min(disability_grade) as grade,
             bool_or(disability_type in ('intellectual', 'mental')) as intellectual_or_mental,
             max(certified_on) filter (where disability_grade <= ${singlePersonMaxGrade}) as severe_certified_on
      from ${periodRows(department('disability'), rowsPeriod(month, 'disability'))} as d group by id18`);
  await step('facts_person_diagnosis', sql`
      select id18, bool_or(category = 'severe') as severe, bool_or(category = 'mental') as mental,
             bool_or(category = 'chronic') as chronic,
             max(recorded_on) filter (where category in ('severe', 'mental')) as severe_recorded_on
      from ${periodRows(department('health'), rowsPeriod(month, 'health'))} as d group by id18`);
  for (const table of membership.tables) await step(table.name, table.query);
  // each member counted at the facts' day, with what a department's household facts may ask of
  // one besides its own rows (working_age; able: a working-age member the roster counts as able to earn)
  await step('facts_person', sql`
      select m.household_id, m.id18, m.employment, m.age,
             d.grade, coalesce(d.intellectual_or_mental, false) as intellectual_or_mental,
             coalesce(x.severe, false) as severe, coalesce(x.mental, false) as mental, coalesce(x.chronic, false) as chronic,
             coalesce(c.stays, 0) as stays, coalesce(c.oop, 0) as oop, coalesce(c.recent_oop, 0) as recent_oop,
             (coalesce(d.grade, 9) <= ${singlePersonMaxGrade} or coalesce(x.severe, false) or coalesce(x.mental, false)) as is_severe,
             c.last_inpatient_on, x.severe_recorded_on, d.severe_certified_on,
             (m.age >= ${adultFrom} and m.age < ${elderlyFrom}) as working_age,
             (m.age >= ${adultFrom} and m.age < ${elderlyFrom} and coalesce(m.employment, '') not in ('student', 'unable')
              and coalesce(d.grade, 9) > 2 and not coalesce(x.severe, false) and not coalesce(x.mental, false)) as able
      from (${membership.membersNow}) m
      left join facts_person_disability d on d.id18 = m.id18
      left join facts_person_diagnosis x on x.id18 = m.id18
      -- each person's claims of the window, summed; hashed straight into the join (a temp table
      -- of them would be written and read back once)
      left join (
        select id18, count(*) filter (where inpatient)::int as stays, sum(out_of_pocket) as oop,
               coalesce(sum(out_of_pocket) filter (where settled_on >= ${recentStart}::date), 0) as recent_oop,
               max(settled_on) filter (where inpatient) as last_inpatient_on
        from ${claims} latest_claim
        group by id18
      ) c on c.id18 = m.id18`);
  await step('facts_per_household', sql`
      select household_id,
        count(*)::int as members,
        count(*) filter (where age < ${adultFrom})::int as minors,
        count(*) filter (where working_age)::int as working_age,
        count(*) filter (where age >= ${elderlyFrom})::int as elderly,
        count(*) filter (where age >= ${oldOldFrom})::int as old_old,
        max(age) as oldest_age,
        count(*) filter (where working_age and employment = 'unemployed')::int as unemployed_adults,
        -- the person's own \`able\`: the one rule of who can earn
        count(*) filter (where able)::int as able_earners,
        count(*) filter (where able and employment = 'unemployed')::int as able_unemployed,
        min(grade) as most_severe_grade,
        count(grade)::int as disabled_members,
        count(*) filter (where intellectual_or_mental)::int as intellectual_or_mental,
        count(*) filter (where severe)::int as severe_illness,
        count(*) filter (where mental)::int as severe_mental,
        count(*) filter (where chronic and not severe)::int as chronic_illness,
        sum(stays)::int as inpatient_stays,
        sum(oop) as out_of_pocket,
        sum(recent_oop) as recent_out_of_pocket,
        count(*) filter (where is_severe)::int as severe_members,
        max(last_inpatient_on) as last_inpatient_on,
        max(severe_recorded_on) as severe_recorded_on,
        max(severe_certified_on) as severe_certified_on
      from facts_person group by household_id`);
  // a department counts once per household, however many of its members it points at
  await step('facts_signal', sql`
      select household_id, array_agg(department order by ord) as departments
      from (
        select distinct p.household_id, s.department, s.ord
        from facts_person p join (${signals.length > 0 ? sql.join(signals, sql` union all `) : sql`select null::text as department, 0 as ord, null::text as id18 where false`}) s on s.id18 = p.id18
      ) d
      group by household_id`);
  for (const c of contributions) {
    await step(c.table, sql`
      select p.household_id, ${sql.join(c.columns.map((col) => sql`${col.aggregate} as ${sql.ref(col.name)}`))}
      from facts_person p join (${c.people}) f on f.id18 = p.id18
      group by p.household_id`);
  }
  // who had a severe fact last period, and what became of them: a covered household that loses its reason is reviewed
  // (the few of last period kept first: guessed at half the city, they were looked up one by one
  // and the whole of facts_person hashed to meet them)
  await step('facts_severe_before', sql`
      select m.household_id, m.id18
      from ${membersAsOf(previous)} as m
      where m.id18 in (select id18 from ${periodRows(department('disability'), previous)} as d where disability_grade <= ${singlePersonMaxGrade}
                       union all
                       select id18 from ${periodRows(department('health'), previous)} as d where category in ('severe', 'mental'))`);
  await step('facts_severe_change', sql`
      select ps.household_id,
             count(*) filter (where p.id18 is not null and not p.is_severe)::int as recovered,
             count(*) filter (where p.id18 is null)::int as gone
      from facts_severe_before ps
      left join facts_person p on p.id18 = ps.id18 and p.household_id = ps.household_id
      group by ps.household_id`);
  // the last month on dibao or tekun within the exit-watch window, with the score it had then
  await step('facts_left_assistance', sql`
      select distinct on (hp.household_id) hp.household_id, hp.period, hp.assistance, sp.total
      from household hp
      join household_score sp on sp.period = hp.period and sp.household_id = hp.household_id
      where hp.period >= ${exitFrom} and hp.period < ${period} and hp.assistance in ('dibao', 'tekun')
      order by hp.household_id, hp.period desc`);
  // the latest visit that settled the case (a later "not found" or "refused" settles nothing),
  // with the score the household had then
  await step('facts_last_visit', sql`
      select v.*,
             (select s.total from household_score s
              where s.household_id = v.household_id and s.period <= to_char(v.visited_on, 'YYYY-MM') and s.period < ${period}
              order by s.period desc limit 1) as total_then
      from (
        select distinct on (household_id) household_id, visited_on, outcome
        from visit where visited_on <= ${end}::date and (outcome like 'assisted%' or outcome = 'not_eligible')
        order by household_id, visited_on desc, visit_id desc
      ) v`);
  // facts resting on an ID number the rescue corrected: this period's rows, and claims of the window
  await step('facts_rescued', sql`
      select m.household_id, count(*)::int as links
      from identity_rescue r
      join ${membersAsOf(period)} as m on m.id18 = r.id18
      where r.outcome = 'rescued'
        and (r.period = ${period} or (r.source = any(${deltaDepartmentIds()}::text[]) and r.period >= ${rescueFrom} and r.period < ${period}))
      group by m.household_id`);
  // the standard of each region and hukou type the period's households have, looked up once
  // per pair, not once per household (a few hundred pairs for a city's quarter of a million)
  await step('facts_region_standard', sql`
      select r.region_code, r.hukou, std.monthly_standard
      from (
        select distinct region_code, case when hukou_type = 'rural' then 'rural' else 'urban' end as hukou
        from ${householdsAsOf(period)} as h
      ) r
      left join lateral (
        -- the longest matching region prefix wins, then the latest standard in force
        select s.monthly_standard from dibao_standard s
        where r.region_code like s.region_prefix || '%'
          and s.hukou_type = r.hukou
          and s.effective_from <= ${period}
        order by length(s.region_prefix) desc, s.effective_from desc
        limit 1
      ) std on true`);
  await sql`
    create temp table household_facts on commit drop as
    select h.assistance, h.on_roster, h.monthly_income,
           prev.monthly_income as previous_monthly_income,
           coalesce(std.monthly_standard,
                    case when h.hukou_type = 'rural' then ${cfg.dibaoDefaults.rural}::numeric else ${cfg.dibaoDefaults.urban}::numeric end
           )::numeric as dibao_standard,
           std.monthly_standard is null as default_standard,
           ${previous}::text as previous_period,
           coalesce(sc.recovered, 0) as severe_members_recovered, coalesce(sc.gone, 0) as severe_members_gone,
           la.period as left_assistance_period, la.assistance as left_assistance_programme, la.total as left_assistance_total,
           to_char(lv.visited_on, 'YYYY-MM-DD') as last_visit_on, lv.outcome as last_visit_outcome, lv.total_then as last_visit_total,
           -- covered by a visit only while that visit is still the latest word on the household
           case when lv.outcome in ('assisted_dibao', 'assisted_tekun') and lv.visited_on >= ${assistedFrom}::date
                then to_char(lv.visited_on, 'YYYY-MM-DD') end as assisted_visit_on,
           case when lv.outcome in ('assisted_dibao', 'assisted_tekun') and lv.visited_on >= ${assistedFrom}::date
                then lv.outcome end as assisted_visit_outcome,
           ${sql.join(contributions.flatMap((c) => c.columns.map((col) => sql`coalesce(${sql.ref(`${c.table}.${col.name}`)}, ${col.none}) as ${sql.ref(col.name)}`)))}${contributions.length > 0 ? sql`,` : sql``}
           ${membership.columns},
           p.*
    from ${householdsAsOf(period)} as h
    join facts_per_household p using (household_id)${sql.join(contributions.map((c) => sql`
    left join ${sql.table(c.table)} on ${sql.ref(`${c.table}.household_id`)} = h.household_id`), sql``)}
    left join ${householdsAsOf(previous)} as prev on prev.household_id = h.household_id
    left join facts_severe_change sc on sc.household_id = h.household_id
    left join facts_left_assistance la on la.household_id = h.household_id and h.assistance not in ('dibao', 'tekun')
    left join facts_last_visit lv on lv.household_id = h.household_id${membership.join}
    left join facts_region_standard std
      on std.region_code = h.region_code and std.hukou = case when h.hukou_type = 'rural' then 'rural' else 'urban' end
    where h.period = ${period} ${window ? sql`and h.household_id in (select household_id from ${sql.table(window.households)})` : sql``}
  `.execute(tx.db);
  await sql`alter table household_facts add primary key (household_id)`.execute(tx.db);
  return evidence;
}
