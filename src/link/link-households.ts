import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../db/transaction.js';
import { windowClaims } from '../db/latest-claims.js';
import { writeVersions } from '../db/versions.js';
import { householdVersions } from './households.js';
import { rosterAsOf } from '../ingest/civil-affairs/civil-affairs.source.js';
import { periodRows } from '../ingest/department.js';
import { departments } from '../ingest/departments.js';
import { rowsPeriod, type PeriodWindow } from '../period.js';

export interface LinkCounts {
  households: number;
  notOnRoster: number;
  /** households new or changed since the versions in force before the period: what it wrote */
  householdsChanged: number;
}

/**
 * Joins the period's people into households on their canonical ID number. The civil-affairs
 * roster defines households; anyone the other departments know but the roster does not becomes
 * a one-person household flagged "not on roster", so no one is lost between departments.
 * `claims` are the claims of the period's 12-month window (`windowClaims`, or the temp table
 * `buildWindowClaims` made of it).
 */
export async function linkHouseholds(tx: Tx, window: PeriodWindow, claims: RawBuilder<unknown> = windowClaims(window)): Promise<LinkCounts> {
  const { period } = window;
  // the period's households: the roster's, then the people outside it, gathered here and
  // written as versions (migration 0028: only the households new or changed since the versions
  // in force); the roster's members are its own versions (the view `member`, migration 0027)
  await sql`drop table if exists link_household`.execute(tx.db);
  // Every version in force is read, so read in the table's order and sorted once: left to
  // itself the planner walks the household index to skip the sort, and fetches the rows in
  // random order (at 1,000,000 households 19.6–21.2 s against 12.3 for a scan and a sort)
  const { rows: indexScans } = await sql<{ setting: string }>`select current_setting('enable_indexscan') as setting`.execute(tx.db);
  await sql`set local enable_indexscan = off`.execute(tx.db);
  await sql`
    create temp table link_household on commit drop as
    select household_id, true as on_roster,
           (array_agg(region_code order by relation = 'head' desc, position))[1] as region_code,
           (array_agg(hukou_type order by relation = 'head' desc, position))[1] as hukou_type,
           (array_agg(assistance order by relation = 'head' desc, position))[1] as assistance,
           -- income is given on the head's row and may repeat on others
           (array_agg(monthly_income order by relation = 'head' desc, position) filter (where monthly_income is not null))[1] as monthly_income,
           (array_agg(id18 order by relation = 'head' desc, position))[1] as head_id18,
           (array_agg(name order by relation = 'head' desc, position))[1] as head_name,
           count(*)::int as members,
           (array_agg(address order by relation = 'head' desc, position) filter (where address is not null))[1] as address,
           (array_agg(phone order by relation = 'head' desc, position) filter (where phone is not null))[1] as phone
    from ${rosterAsOf(period)} as r
    group by household_id
  `.execute(tx.db);
  await sql`select set_config('enable_indexscan', ${indexScans[0]!.setting}, true)`.execute(tx.db);

  // People other departments report this period (claims: in the 12-month window) who are not
  // on the roster. Their household id is derived from the ID number without revealing it. The
  // ID's region is where they were born, not where they live: they are placed in the roster's
  // main county with an unknown street (000000), hukou unknown (the urban standard applies).
  // every department that declares it: its sightings, ranked by its preference for name and birth date
  const sightings = departments()
    .filter((d) => d.notOnRoster)
    .map((d) => {
      // an optional department that has not delivered is seen in its latest extract
      const rows = rowsPeriod(window, d.id);
      const people = d.notOnRoster!.people?.({ period, rowsPeriod: rows, windowClaims: claims })
        ?? sql`select id18, name, birth_date, sex, line from ${periodRows(d, rows)} as r`;
      return sql`select id18, name, birth_date, sex, ${sql.lit(d.notOnRoster!.preference)} as pref, line from (${people}) as ${sql.ref(`seen_${d.table}`)}`;
    });
  if (sightings.length === 0) sightings.push(sql`select null::text as id18, null::text as name, null::date as birth_date, null::text as sex, 0 as pref, 0 as line where false`);
  const outsiders = await sql<{ n: number }>`
    with seen as (
      -- offset 0 keeps the NOT IN below out of the union's branches: pushed into each, it built
      -- its hash of the roster once a branch
      select * from (${sql.join(sightings, sql` union all `)}) as sighting offset 0
    ), person as (
      select distinct on (id18) id18, name, birth_date, sex
      from seen
      -- NOT IN over the period's members runs as one hashed subplan: the planner cannot misjudge
      -- it into a nested-loop anti-join over a city (measured: 276 s instead of 1 s at 20k households)
      where seen.id18 not in (select r.id18 from ${rosterAsOf(period)} as r)
      order by id18, (name is null), pref, line
    ), hh as (
      insert into link_household (household_id, on_roster, region_code, hukou_type, assistance, monthly_income,
                                  head_id18, head_name, members, address, phone)
      select 'NR-' || substr(md5(id18), 1, 12), false,
             coalesce((select left(region_code, 6) from ${rosterAsOf(period)} as r
                       group by 1 order by count(*) desc, 1 limit 1), left(id18, 6)) || '000000',
             'unknown', 'none', null,
             id18, coalesce(name, '(name unknown)'), 1, null, null
      from person
      returning 1
    ), mem as (
      insert into member_row (period, household_id, id18, name, relation, birth_date, sex, employment)
      select ${period}, 'NR-' || substr(md5(id18), 1, 12), id18, coalesce(name, '(name unknown)'), 'head', birth_date, sex, null
      from person
      returning 1
    )
    select (select count(*) from hh)::int as n
  `.execute(tx.db);

  const { rows: counted } = await sql<{ n: number }>`select count(*)::int as n from link_household`.execute(tx.db);
  const householdsChanged = await writeVersions(tx, householdVersions, period, sql`
    select household_id, ${sql.join(householdVersions.columns.map((c) => sql.ref(c)))} from link_household`);
  return { households: counted[0]?.n ?? 0, notOnRoster: outsiders.rows[0]?.n ?? 0, householdsChanged };
}
