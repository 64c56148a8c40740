import { sql } from 'kysely';
import { z } from 'zod';
import { personColumns, receivedBy, receivedRank, type Department, type FactsContext } from '../department.js';
import { idNumber, notAfter, optionalText, requiredBoolean, requiredDate, requiredMoney, requiredText, withRules } from '../values.js';

/**
 * 应急 disaster-affected people (受灾人员): each month's newly registered losses, one row per
 * person and disaster, by the ID number of the person the bureau registered (usually the
 * household's head); docs/emergency.md.
 */

const emergencyRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      event: requiredText,
      event_date: requiredDate,
      loss: requiredMoney,
      house_damaged: requiredBoolean,
    }),
    // a disaster after the period is a file of a later month, or a typo: either way not this period's fact
    [notAfter('event_date', asOf, 'disaster on')],
  );
export type EmergencyRow = z.infer<ReturnType<typeof emergencyRow>>;

/**
 * Every disaster received by the facts' day (the months' extracts and the nights' deliveries)
 * whose date lies in the 12 calendar months ending with `asOf` (the claims window), one row per
 * person and disaster: a disaster sent again later is a correction, and the latest received wins.
 */
const eventsOfWindow = ({ asOf }: Pick<FactsContext, 'asOf'>) => sql`
  select distinct on (id18, event, event_date) id18, event, event_date, loss, house_damaged
  from disaster_event
  where ${receivedBy(sql.ref('received_period'), asOf)}
    and event_date >= date_trunc('month', ${asOf}::date) - interval '11 months' and event_date <= ${asOf}::date
  order by id18, event, event_date, ${receivedRank(sql.ref('received_period'))} desc, line desc`;

export const emergency: Department<EmergencyRow> = {
  id: 'emergency',
  labels: { en: 'Emergency management', zh: '应急' },
  file: 'emergency',
  idColumn: 'id_number',
  // a month runs without it: most months have no disaster to report
  required: false,
  // a disaster is an event, and the bureau's register grows by them: each month sends its new
  // ones (and corrections), as medical insurance sends its claims; the facts read 12 months back
  delivery: 'delta',
  rescuable: true,
  // no notOnRoster: the bureau registers whoever was hit, residents of elsewhere included
  // a disaster is registered as it happens: the night warns the street the next morning
  daily: {
    events: (day) => sql`
      select id18, 'disaster' as kind, 'emergency:' || event || ':' || to_char(event_date, 'YYYY-MM-DD') as key,
             to_char(event_date, 'YYYY-MM-DD') as happened_on, loss as amount, null::boolean as inpatient,
             event as label, house_damaged
      from disaster_event where received_period = ${day}::text`,
  },
  periodTables: [{ table: 'disaster_event', periodColumn: 'received_period' }],
  signal: {
    meaning: { en: 'a disaster loss in 12 months', zh: '近12个月受灾' },
    people: (ctx) => sql`select id18 from (${eventsOfWindow(ctx)}) e where e.loss > 0 or e.house_damaged`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'event', headers: ['灾害事件', '灾害名称'], required: true },
    { name: 'event_date', headers: ['受灾日期', '灾害发生日期'], required: true },
    { name: 'loss', headers: ['直接经济损失', '损失金额'], required: true },
    { name: 'house_damaged', headers: ['房屋受损'], required: true },
  ],
  rowSchema: emergencyRow,
  table: 'disaster_event',
  tableColumns: ['received_period', 'line', 'id18', 'name', 'event', 'event_date', 'loss', 'house_damaged', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.event, r.event_date, r.loss, r.house_damaged, ...personColumns(r.id_number),
  ],
  householdFacts: {
    people: eventsOfWindow,
    columns: [
      {
        // a disaster is the household's once, however many of its members the bureau registered
        // for it: the larger loss of that disaster's rows, then the disasters added up
        name: 'disaster_loss',
        aggregate: sql`(select sum(per_event.loss) from (
            select max(u.loss) as loss from unnest(array_agg(f.event || '|' || f.event_date::text), array_agg(f.loss)) as u(event, loss)
            group by u.event) per_event)`,
        none: sql`0::numeric`,
      },
      { name: 'disasters', aggregate: sql`count(distinct (f.event, f.event_date))::int`, none: sql`0` },
      { name: 'disaster_latest_on', aggregate: sql`to_char(max(f.event_date), 'YYYY-MM-DD')`, none: sql`null::text` },
      { name: 'disaster_latest_event', aggregate: sql`(array_agg(f.event order by f.event_date desc, f.loss desc))[1]`, none: sql`null::text` },
      { name: 'disaster_house_damaged', aggregate: sql`bool_or(f.house_damaged)`, none: sql`false` },
    ],
  },
  async finalize({ db }, period, stage) {
    // The same person and disaster twice in one file: the later line replaces the earlier, as a
    // claim sent twice does; the report names the line replaced.
    await sql`
      with repeated as (
        insert into quality_issue (period, source, line, kind, detail)
        select ${period}, 'emergency', line, 'event_resent_in_file',
               'the same person and disaster again on line ' || next_line || ', which replaces this one'
        from (
          select line, lead(line) over (partition by id18, event, event_date order by line) as next_line from ${sql.table(stage)}
        ) s
        where next_line is not null
      )
      insert into disaster_event (received_period, line, id18, name, event, event_date, loss, house_damaged, birth_date, sex)
      select distinct on (id18, event, event_date) received_period, line, id18, name, event, event_date, loss, house_damaged, birth_date, sex
      from ${sql.table(stage)}
      order by id18, event, event_date, line desc
    `.execute(db);
    return 0;
  },
};
