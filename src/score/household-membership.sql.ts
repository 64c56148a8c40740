import { sql, type RawBuilder } from 'kysely';
import type { SafetynetConfig } from '../config/schema.js';
import type { Department, FactsContext } from '../ingest/department.js';
import { addMonths } from '../period.js';
import { membersAsOf } from '../link/members.js';
import { householdsAsOf } from '../link/households.js';

/**
 * Who a household's members are at the facts' day, when a department says more than the roster
 * does (public-security: deaths, moves, births). The roster lags: civil affairs drops a deceased
 * member at its next review, months later. Until then the household is counted as it is now:
 * without its dead and those who moved out of the jurisdiction, with its newborns.
 *
 * Steps of the facts (src/score/household-facts.sql.ts): `tables` are built in order, each a temp
 * table (they read `facts_person_disability` and `facts_person_diagnosis`); `membersNow`
 * reads the members counted in place of the roster's `member` (of the households asked for),
 * with their age; `columns` and `join` add the household's membership facts
 * (`facts_membership`, `mf`) to its row.
 */
export interface MembershipParts {
  tables: { name: string; query: RawBuilder<unknown> }[];
  /** the members counted in place of the roster's `member`, with their age (a subquery for FROM) */
  membersNow: RawBuilder<unknown>;
  columns: RawBuilder<unknown>;
  join: RawBuilder<unknown>;
}

export function householdMembership(
  defs: readonly Department[],
  context: (id: string) => FactsContext,
  opts: { period: string; end: string; cfg: SafetynetConfig; only: RawBuilder<unknown> },
): MembershipParts {
  const { period, end, cfg, only } = opts;
  const { adultFrom, elderlyFrom } = cfg.ages;
  const declared = defs.filter((d) => d.membership);
  const union = (part: 'gone' | 'joined', none: RawBuilder<unknown>) =>
    declared.length === 0 ? none : sql.join(declared.map((d) => sql`select * from (${d.membership![part](context(d.id))}) ${sql.ref(`${part}_${d.table}`)}`), sql` union all `);
  // the first day of the month recentMonths-1 months back: 6 months = this one and the five before
  const recentFrom = `${addMonths(end.slice(0, 7), 1 - cfg.populationEvents.recentMonths)}-01`;
  const tables = [
    {
      name: 'facts_gone_person',
      // a death says more than a move: it is the one kept
      query: sql`
      select distinct on (id18) id18, gone_on, why
      from (${union('gone', sql`select null::text as id18, null::date as gone_on, null::text as why where false`)}) g
      order by id18, why = 'died' desc, gone_on`,
    },
    {
      name: 'facts_departed',
      query: sql`
      select m.household_id, m.id18, m.name, g.gone_on, g.why
      from ${membersAsOf(period)} as m join facts_gone_person g on g.id18 = m.id18
      where true ${only}`,
    },
    {
      name: 'facts_emptied',
      // a household everyone has left keeps its roster's members: it is still seen, and reviewed
      query: sql`
      select d.household_id from facts_departed d
      join ${householdsAsOf(period)} as h on h.household_id = d.household_id
      group by d.household_id, h.members having count(*) >= h.members`,
    },
    {
      name: 'facts_born_child',
      // a child the roster does not list yet, in the household of the parent who is on it
      query: sql`
      select distinct on (j.id18) j.id18, j.birth_date, m.household_id
      from (${union('joined', sql`select null::text as id18, null::date as birth_date, null::text as with_id18 where false`)}) j
      join ${membersAsOf(period)} as m on m.id18 = j.with_id18
      where not exists (select 1 from ${membersAsOf(period)} as o where o.id18 = j.id18)
        and j.id18 not in (select id18 from facts_gone_person)
      order by j.id18, m.household_id`,
    },
    {
      name: 'facts_membership',
      query: sql`
    with bereaved as (
      -- the roster's members of a household someone of which died, and how each could earn: able
      -- and in work, able, in work, retired (a pension); students, minors and the unable cannot
      select m.household_id, m.id18, m.name, g.gone_on, g.why,
             case when r.able and m.employment = 'employed' then 1 when r.able then 2
                  when m.employment = 'employed' then 3 when m.employment = 'retired' then 4 end as earner_rank
      from ${membersAsOf(period)} as m
      left join facts_gone_person g on g.id18 = m.id18
      left join facts_person_disability d on d.id18 = m.id18
      left join facts_person_diagnosis x on x.id18 = m.id18
      cross join lateral (
        select extract(year from age(${end}::date, m.birth_date))::int between ${adultFrom} and ${elderlyFrom - 1}
               and coalesce(m.employment, '') not in ('student', 'unable')
               and coalesce(d.grade, 9) > 2 and not coalesce(x.severe, false) and not coalesce(x.mental, false) as able
      ) r
      where m.household_id in (select household_id from facts_departed where why = 'died')
        and m.household_id not in (select household_id from facts_emptied)
    ), main_earner_death as (
      -- the main earner: the one member best placed to earn, alive on the day; a tie names none
      select distinct on (b.household_id) b.household_id, b.gone_on, left(b.name, 1) || '*' as name
      from bereaved b
      where b.why = 'died' and b.gone_on >= ${recentFrom}::date and b.earner_rank is not null
        and not exists (
          select 1 from bereaved o
          where o.household_id = b.household_id and o.id18 <> b.id18
            and (o.gone_on is null or o.gone_on >= b.gone_on) and o.earner_rank <= b.earner_rank)
      order by b.household_id, b.gone_on desc
    ), household_membership as (
      select household_id,
             count(*) filter (where why = 'died')::int as members_died,
             count(*) filter (where why = 'moved_out')::int as members_moved_out,
             max(gone_on) as members_left_on,
             -- a member named only when one left, and only by the surname
             case when count(*) = 1 then left(min(name), 1) || '*' end as member_left,
             bool_or(household_id in (select household_id from facts_emptied)) as everyone_left,
             0 as members_born, null::date as born_on
      from facts_departed group by household_id
      union all
      select household_id, 0, 0, null::date, null::text, false, count(*)::int, max(birth_date) from facts_born_child group by household_id
    )
      select household_id, sum(members_died)::int as members_died, sum(members_moved_out)::int as members_moved_out,
             max(members_left_on) as members_left_on, max(member_left) as member_left,
             coalesce(bool_or(everyone_left), false) as everyone_left,
             sum(members_born)::int as members_born, max(born_on) as born_on,
             (select to_char(e.gone_on, 'YYYY-MM-DD') from main_earner_death e where e.household_id = hm0.household_id) as main_earner_died_on,
             (select e.name from main_earner_death e where e.household_id = hm0.household_id) as main_earner
      from household_membership hm0 group by household_id`,
    },
  ];
  // the age at the facts' day, worked out once here (OFFSET 0 keeps the subquery whole: flattened,
  // the expression would be evaluated wherever it is referenced, several times a member)
  const membersNow = sql`
      select u.*, extract(year from age(${end}::date, u.birth_date))::int as age
      from (
        select m.household_id, m.id18, m.employment, m.birth_date from ${membersAsOf(period)} as m
        where true ${only}
          and (m.id18 not in (select id18 from facts_departed) or m.household_id in (select household_id from facts_emptied))
        union all
        select household_id, id18, null::text, birth_date from facts_born_child where true ${only}
      ) u
      offset 0`;
  const columns = sql`
           coalesce(mf.members_died, 0) as members_died, coalesce(mf.members_moved_out, 0) as members_moved_out,
           to_char(mf.members_left_on, 'YYYY-MM-DD') as members_left_on, mf.member_left,
           coalesce(mf.everyone_left, false) as everyone_left,
           coalesce(mf.members_born, 0) as members_born, to_char(mf.born_on, 'YYYY-MM-DD') as born_on,
           mf.main_earner_died_on, mf.main_earner`;
  const join = sql`
    left join facts_membership mf on mf.household_id = h.household_id`;
  return { tables, membersNow, columns, join };
}
