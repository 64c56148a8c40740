import { sql } from 'kysely';
import type { SafetynetConfig } from '../config/schema.js';
import type { Tx } from '../db/transaction.js';
import { latestClaims } from '../db/latest-claims.js';
import { claimsWindowStart, isoDate, periodEnd } from '../period.js';

/**
 * Aggregates everything the six dimensions need into one row per household of the period, in
 * one set-based statement, into the temp table `household_facts`. Ages are taken at the last
 * day of the period; the medical window is the 12 months ending then, by settlement date.
 */
export async function buildHouseholdFacts(tx: Tx, period: string, previous: string | null, cfg: SafetynetConfig): Promise<void> {
  const end = isoDate(periodEnd(period));
  const windowStart = claimsWindowStart(period);
  const { adultFrom, elderlyFrom, oldOldFrom } = cfg.ages;
  await sql`
    create temp table household_facts on commit drop as
    with person_disability as (
      select id18, min(disability_grade) as grade,
             bool_or(disability_type in ('intellectual', 'mental')) as intellectual_or_mental
      from disability where period = ${period} group by id18
    ), person_diagnosis as (
      select id18, bool_or(category = 'severe') as severe, bool_or(category = 'mental') as mental,
             bool_or(category = 'chronic') as chronic
      from diagnosis where period = ${period} group by id18
    ), person_claims as (
      select id18, count(*) filter (where inpatient)::int as stays, sum(out_of_pocket) as oop
      from ${latestClaims(period)} latest_claim
      where settled_on >= ${windowStart}::date and settled_on <= ${end}::date
      group by id18
    ), person as (
      select m.household_id, m.id18, m.employment,
             extract(year from age(${end}::date, m.birth_date))::int as age,
             d.grade, coalesce(d.intellectual_or_mental, false) as intellectual_or_mental,
             coalesce(x.severe, false) as severe, coalesce(x.mental, false) as mental, coalesce(x.chronic, false) as chronic,
             coalesce(c.stays, 0) as stays, coalesce(c.oop, 0) as oop
      from member m
      left join person_disability d on d.id18 = m.id18
      left join person_diagnosis x on x.id18 = m.id18
      left join person_claims c on c.id18 = m.id18
      where m.period = ${period}
    ), per_household as (
      select household_id,
        count(*) filter (where age < ${adultFrom})::int as minors,
        count(*) filter (where age >= ${adultFrom} and age < ${elderlyFrom})::int as working_age,
        count(*) filter (where age >= ${elderlyFrom})::int as elderly,
        count(*) filter (where age >= ${oldOldFrom})::int as old_old,
        max(age) as oldest_age,
        count(*) filter (where age >= ${adultFrom} and age < ${elderlyFrom} and employment = 'unemployed')::int as unemployed_adults,
        count(*) filter (where age >= ${adultFrom} and age < ${elderlyFrom}
                           and coalesce(employment, '') not in ('student', 'unable')
                           and coalesce(grade, 9) > 2 and not severe and not mental)::int as able_earners,
        min(grade) as most_severe_grade,
        count(grade)::int as disabled_members,
        count(*) filter (where intellectual_or_mental)::int as intellectual_or_mental,
        count(*) filter (where severe)::int as severe_illness,
        count(*) filter (where mental)::int as severe_mental,
        count(*) filter (where chronic and not severe)::int as chronic_illness,
        sum(stays)::int as inpatient_stays,
        sum(oop) as out_of_pocket
      from person group by household_id
    )
    select h.members, h.assistance, h.on_roster, h.monthly_income,
           prev.monthly_income as previous_monthly_income,
           coalesce(std.monthly_standard,
                    case when h.hukou_type = 'rural' then ${cfg.dibaoDefaults.rural}::numeric else ${cfg.dibaoDefaults.urban}::numeric end
           )::numeric as dibao_standard,
           std.monthly_standard is null as default_standard,
           p.*
    from household h
    join per_household p using (household_id)
    left join household prev on prev.period = ${previous}::text and prev.household_id = h.household_id
    left join lateral (
      -- the longest matching region prefix wins, then the latest standard in force
      select s.monthly_standard from dibao_standard s
      where h.region_code like s.region_prefix || '%'
        and s.hukou_type = case when h.hukou_type = 'rural' then 'rural' else 'urban' end
        and s.effective_from <= ${period}
      order by length(s.region_prefix) desc, s.effective_from desc
      limit 1
    ) std on true
    where h.period = ${period}
  `.execute(tx.db);
  await sql`alter table household_facts add primary key (household_id)`.execute(tx.db);
}
