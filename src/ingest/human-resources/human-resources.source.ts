import { sql } from 'kysely';
import { z } from 'zod';
import { asOf, type Versioned } from '../../db/versions.js';
import { personColumns, type Department } from '../department.js';
import { foldedPersonVersions } from '../person-rows.js';
import { idNumber, notAfter, optionalDate, optionalMoney, optionalText, requiredBoolean, withRules } from '../values.js';

/**
 * 人社 unemployment registrations (登记失业) and pensions: a full snapshot each month of everyone
 * the bureau has on record for either (docs/human-resources.md).
 */

const hrRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      registered_unemployed: requiredBoolean,
      registered_on: optionalDate,
      pension_monthly: optionalMoney,
    }),
    [
      // a row that says neither is a person the bureau has no reason to send: a broken extract line
      {
        column: 'registered_unemployed',
        holds: (r) => r.registered_unemployed || (r.pension_monthly ?? 0) > 0,
        message: () => 'neither registered unemployed nor drawing a pension',
      },
      // a date after the period is a file of a later month, or a typo: either way not this period's fact
      notAfter('registered_on', asOf, 'registered on'),
    ],
  );
export type HumanResourcesRow = z.infer<ReturnType<typeof hrRow>>;

/** The registrations as versions (migration 0032), one a person: the register is sent whole every month and little of it changes. */
export const humanResourcesVersions: Versioned = {
  table: 'human_resources_version',
  periods: 'human_resources_period',
  key: ['id18'],
  columns: ['name', 'registered_unemployed', 'registered_on', 'pension_monthly', 'birth_date', 'sex'],
};

// A person on several rows is kept once: the latest registration, the pensions added (a
// survivor's pension and one's own).
const registrations = foldedPersonVersions(humanResourcesVersions, {
  source: 'human-resources',
  keptHow: 'kept once, with the latest registration and the pensions added',
  rows: (stage) => sql`
    select id18,
           (array_agg(name order by registered_on desc nulls last, line) filter (where name is not null))[1] as name,
           bool_or(registered_unemployed) as registered_unemployed, max(registered_on) filter (where registered_unemployed) as registered_on,
           sum(pension_monthly) as pension_monthly, min(birth_date) as birth_date, min(sex) as sex
    from ${sql.table(stage)}
    group by id18`,
});

export const humanResources: Department<HumanResourcesRow> = {
  id: 'human-resources',
  labels: { en: 'Human resources and social security', zh: '人社' },
  file: 'human-resources',
  idColumn: 'id_number',
  // a month runs without it, on its latest delivered extract
  required: false,
  delivery: 'snapshot',
  rescuable: true,
  // no notOnRoster: nearly every pensioner would become a household, and a pension is no sign of need
  periodTables: [],
  versions: humanResourcesVersions,
  // a pension alone is no sign of need
  signal: {
    meaning: { en: 'registered unemployed', zh: '登记失业' },
    people: ({ rowsPeriod }) => sql`select id18 from ${asOf(humanResourcesVersions, rowsPeriod)} as h where registered_unemployed`,
  },
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码', '公民身份号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'registered_unemployed', headers: ['登记失业'], required: true },
    { name: 'registered_on', headers: ['失业登记日期'], required: false },
    { name: 'pension_monthly', headers: ['养老金月领取额'], required: false },
  ],
  rowSchema: hrRow,
  // the row as sent (a type, migration 0032): the stage's shape
  table: 'human_resources_row',
  tableColumns: ['period', 'line', 'id18', 'name', 'registered_unemployed', 'registered_on', 'pension_monthly', 'birth_date', 'sex'],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.registered_unemployed,
    // a registration date is only a fact of a current registration
    r.registered_unemployed ? r.registered_on : undefined, r.pension_monthly, ...personColumns(r.id_number),
  ],
  householdFacts: {
    people: ({ rowsPeriod }) => sql`
      select id18, registered_unemployed, registered_on, coalesce(pension_monthly, 0) as pension_monthly
      from ${asOf(humanResourcesVersions, rowsPeriod)} as h`,
    // `p` a member (working_age, able, employment as the roster says), `f` its row here
    columns: [
      { name: 'registered_unemployed', aggregate: sql`count(*) filter (where f.registered_unemployed and p.working_age)::int`, none: sql`0` },
      {
        // counted once: the roster may say unemployed too
        name: 'registered_unemployed_beyond_roster',
        aggregate: sql`count(*) filter (where f.registered_unemployed and p.working_age and coalesce(p.employment, '') <> 'unemployed')::int`,
        none: sql`0`,
      },
      {
        // able and not unemployed on the roster: the roster's unemployed are counted already (able_unemployed)
        name: 'registered_unemployed_able_beyond_roster',
        aggregate: sql`count(*) filter (where f.registered_unemployed and p.able and coalesce(p.employment, '') <> 'unemployed')::int`,
        none: sql`0`,
      },
      {
        name: 'registered_unemployed_since',
        aggregate: sql`to_char(min(f.registered_on) filter (where f.registered_unemployed and p.working_age), 'YYYY-MM-DD')`,
        none: sql`null::text`,
      },
      {
        name: 'registered_unemployed_latest',
        aggregate: sql`to_char(max(f.registered_on) filter (where f.registered_unemployed and p.working_age), 'YYYY-MM-DD')`,
        none: sql`null::text`,
      },
      { name: 'pensions_monthly', aggregate: sql`sum(f.pension_monthly) filter (where f.pension_monthly > 0)`, none: sql`null::numeric` },
      { name: 'pensioners', aggregate: sql`count(*) filter (where f.pension_monthly > 0)::int`, none: sql`0` },
    ],
  },
  finalize: registrations.finalize,
  addRescued: registrations.addRescued,
};
