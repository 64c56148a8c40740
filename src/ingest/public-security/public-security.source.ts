import { sql } from 'kysely';
import { z } from 'zod';
import { personColumns, receivedBy, receivedRank, type Department, type FactsContext } from '../department.js';
import {
  codeList, idNumber, notAfter, optionalBoolean, optionalIdNumber, optionalText, requiredCode, requiredDate, withRules,
} from '../values.js';
import { addMonths } from '../../period.js';
import { membersAsOf } from '../../link/members.js';

/**
 * 公安 population events (户籍变动): deaths, births, moves out of and into the jurisdiction, by
 * ID number and date. Each month sends the month's events (a delta); an event sent again later
 * (the same person and kind) is a correction that replaces the earlier one, and one sent as
 * cancelled (撤销) withdraws it (docs/public-security.md).
 */

export const populationEvent = codeList({ 死亡: 'death', 出生: 'birth', 迁出: 'move_out', 迁入: 'move_in' } as const, 'population event');
export type PopulationEvent = z.output<typeof populationEvent>;

const eventRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      event: requiredCode(populationEvent),
      event_date: requiredDate,
      parent_id_number: optionalIdNumber(asOf),
      cancelled: optionalBoolean,
    }),
    [
      // a date after the period is a later month's event, or a typo: either way not this period's
      notAfter('event_date', asOf, 'dated'),
      {
        column: 'event_date',
        holds: (r) => r.event_date >= r.id_number.birthDate,
        message: (r) => `dated ${r.event_date}, before the person's birth on ${r.id_number.birthDate} (by the ID number)`,
      },
      // the child joins the parent's household: a birth that names no parent has nowhere to go
      {
        column: 'parent_id_number',
        holds: (r) => r.event !== 'birth' || r.parent_id_number !== undefined,
        message: () => "a birth must give a parent's ID number",
      },
      {
        column: 'parent_id_number',
        holds: (r) => r.parent_id_number === undefined || r.parent_id_number.id18 !== r.id_number.id18,
        message: () => "the parent's ID number is the person's own",
      },
      // the ID number was issued with the birth date: another date is a wrong number or a wrong date
      {
        column: 'event_date',
        holds: (r) => r.event !== 'birth' || r.event_date === r.id_number.birthDate,
        message: (r) => `a birth dated ${r.event_date}, but the ID number says born ${r.id_number.birthDate}`,
      },
    ],
  );
export type PublicSecurityRow = z.infer<ReturnType<typeof eventRow>>;

/**
 * Every person's events as received by the facts' day (the months' extracts and the nights'
 * deliveries), one per person and kind: the latest received wins (a correction), a cancelled one
 * is withdrawn, and only events dated up to the facts' day count.
 */
const eventsAsOf = ({ asOf }: Pick<FactsContext, 'asOf'>) => sql`
  select id18, event, event_date, parent_id18 from (
    select distinct on (id18, event) id18, event, event_date, parent_id18, cancelled
    from public_security where ${receivedBy(sql.ref('received_period'), asOf)}
    order by id18, event, ${receivedRank(sql.ref('received_period'))} desc, line desc
  ) latest
  where not cancelled and event_date <= ${asOf}::date`;

/**
 * Who is no longer a member at the facts' day: the dead, and those whose latest move is out of
 * the jurisdiction (a move back in after it returns them; the same day counts as back).
 */
const goneAsOf = (ctx: Pick<FactsContext, 'asOf'>) => sql`
  select id18, event_date as gone_on, case when event = 'death' then 'died' else 'moved_out' end as why from (
    select distinct on (id18) id18, event, event_date
    from (${eventsAsOf(ctx)}) e where event in ('death', 'move_out', 'move_in')
    order by id18, event = 'death' desc, event_date desc, event = 'move_in' desc
  ) status
  where event <> 'move_in'`;

export const publicSecurity: Department<PublicSecurityRow> = {
  id: 'public-security',
  labels: { en: 'Public security (population events)', zh: '公安' },
  file: 'public-security',
  idColumn: 'id_number',
  // a month runs without it: the roster's members are then as civil affairs lists them
  required: false,
  // an events feed: each month sends the month's events; facts read every event received so far
  delivery: 'delta',
  // an event is about one named person: a mistyped number linked to someone else by the rescue
  // would take a living member out of the household's count
  rescuable: false,
  // no notOnRoster: a person who died or moved away is no household to visit
  // deaths are what a night must not wait a month for: the main earner's death in a poor household
  daily: {
    events: (day) => sql`
      select case when event = 'birth' then parent_id18 else id18 end as id18, event as kind,
             'public-security:' || event || ':' || left(md5(id18), 16) as key,
             to_char(event_date, 'YYYY-MM-DD') as happened_on, null::numeric as amount, null::boolean as inpatient,
             null::text as label, null::boolean as house_damaged
      from public_security where received_period = ${day}::text and not cancelled`,
  },
  periodTables: [{ table: 'public_security', periodColumn: 'received_period' }],
  columns: [
    { name: 'id_number', headers: ['公民身份号码', '身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'event', headers: ['事件类型', '变动类型'], required: true },
    { name: 'event_date', headers: ['事件日期', '变动日期'], required: true },
    { name: 'parent_id_number', headers: ['父母身份证号', '父亲或母亲身份证号', '监护人身份证号'], required: false },
    { name: 'cancelled', headers: ['是否撤销', '撤销'], required: false },
  ],
  membership: {
    gone: goneAsOf,
    joined: (ctx) => sql`
      select id18, event_date as birth_date, parent_id18 as with_id18 from (${eventsAsOf(ctx)}) e where event = 'birth'`,
  },
  // a member's death, or a child born, in the recent months: a household that just changed
  signal: {
    meaning: { en: 'a death or a birth in the household in recent months', zh: '近期家庭成员死亡或出生' },
    people: (ctx) => {
      const from = `${addMonths(ctx.asOf.slice(0, 7), 1 - ctx.cfg.populationEvents.recentMonths)}-01`;
      // the deceased is no member any more: the signal points at those who survive them. Their
      // households as a hashed IN: joined, the members' household ids (no statistics through the
      // union) were guessed so common that the whole city was sorted to meet a few hundred deaths.
      return sql`
        with recent as (select * from (${eventsAsOf(ctx)}) e where event in ('death', 'birth') and event_date >= ${from}::date)
        select o.id18 from ${membersAsOf(ctx.period)} as o
        where o.household_id in (select m.household_id from recent d join ${membersAsOf(ctx.period)} as m on m.id18 = d.id18 where d.event = 'death')
          and o.id18 not in (select id18 from recent where event = 'death')
        union all
        select parent_id18 from recent where event = 'birth'`;
    },
  },
  rowSchema: eventRow,
  table: 'public_security',
  tableColumns: ['received_period', 'line', 'id18', 'name', 'event', 'event_date', 'parent_id18', 'cancelled', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.event, r.event_date,
    // only a birth names a parent: elsewhere the column is ignored
    r.event === 'birth' ? r.parent_id_number?.id18 : undefined, r.cancelled, ...personColumns(r.id_number),
  ],
  async finalize({ db }, period, stage) {
    // the same person's same event twice in one file: the later line is the correction
    await sql`
      with ranked as materialized (
        select line, id18, event, row_number() over (partition by id18, event order by line desc) as n,
               max(line) over (partition by id18, event) as last_line
        from ${sql.table(stage)}
      ), noted as (
        insert into quality_issue (period, source, line, kind, detail)
        select ${period}, 'public-security', line, 'event_resent_in_file',
               'the same ' || event || ' of the same person again on line ' || last_line || ', which replaces this one'
        from ranked where n > 1
      )
      insert into public_security (received_period, line, id18, name, event, event_date, parent_id18, cancelled, birth_date, sex)
      select s.received_period, s.line, s.id18, s.name, s.event, s.event_date, s.parent_id18, s.cancelled, s.birth_date, s.sex
      from ${sql.table(stage)} s join ranked r on r.line = s.line and r.n = 1
    `.execute(db);
    return 0;
  },
};
