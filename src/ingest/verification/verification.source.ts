import { sql } from 'kysely';
import { z } from 'zod';
import { asOf, type Versioned } from '../../db/versions.js';
import { personColumns, type Department } from '../department.js';
import { foldedPersonVersions } from '../person-rows.js';
import { codeList, idNumber, optionalCode, optionalCount, optionalMoney, optionalText, withRules } from '../values.js';

/**
 * The information verification centre's findings (核对: real estate, vehicles, business
 * registrations, housing-fund contributions) on the people it checked: a snapshot each month of
 * its latest result per person (docs/verification.md). Asset data: seen only by the run, and by
 * nobody through an export (migration 0014).
 */

/** the value of a person's dearest vehicle, in the bands the centre reports (ordered: the higher band wins on a fold) */
export const VEHICLE_BANDS = ['under_50k', '50k_to_150k', 'over_150k'] as const;
export type VehicleBand = (typeof VEHICLE_BANDS)[number];
/** the bands as a PostgreSQL array literal, lowest first: array_position gives a band's rank */
const BANDS = sql.lit(`{${VEHICLE_BANDS.join(',')}}`);
export const vehicleValue = codeList(
  {
    '5万元以下': 'under_50k', '5万以下': 'under_50k',
    '5万至15万元': '50k_to_150k', '5-15万元': '50k_to_150k', '5万-15万': '50k_to_150k',
    '15万元以上': 'over_150k', '15万以上': 'over_150k',
  } as const,
  'vehicle value band',
);

/** how the person stands in the business registrations: owning it (投资人, 经营者), only named as its legal representative, or both */
export const businessRole = codeList(
  {
    投资人: 'owner', 出资人: 'owner', 经营者: 'owner', 股东: 'owner',
    法定代表人: 'legal_representative',
    投资人兼法定代表人: 'both', 出资人兼法定代表人: 'both',
  } as const,
  'business role',
);
export type BusinessRole = 'owner' | 'legal_representative' | 'both';

const verificationRow = (asOf: Date) =>
  withRules(
    z.object({
      id_number: idNumber(asOf),
      name: optionalText,
      properties: optionalCount,
      properties_beyond_home: optionalCount,
      vehicles: optionalCount,
      vehicle_value: optionalCode(vehicleValue),
      businesses: optionalCount,
      business_role: optionalCode(businessRole),
      housing_fund_monthly: optionalMoney,
    }),
    [
      // the beyond-the-home count is part of the held count: more of it is a column shifted or a typo
      {
        column: 'properties_beyond_home',
        holds: (r) => (r.properties_beyond_home ?? 0) <= (r.properties ?? 0),
        message: (r) => `${r.properties_beyond_home} properties beyond the home but ${r.properties ?? 0} held`,
      },
      // a role says how the person stands in a registration: without one it is a line out of step
      {
        column: 'business_role',
        holds: (r) => r.business_role === undefined || (r.businesses ?? 0) > 0,
        message: (r) => `a business role (${r.business_role}) without a business registration`,
      },
    ],
  );
export type VerificationRow = z.infer<ReturnType<typeof verificationRow>>;

/** The findings as versions (migration 0033), one a person: the register is sent whole every month and little of it changes. */
export const verificationVersions: Versioned = {
  table: 'verification_version',
  periods: 'verification_period',
  key: ['id18'],
  columns: [
    'name', 'properties', 'properties_beyond_home', 'vehicles', 'vehicle_value', 'businesses', 'business_role', 'housing_fund_monthly',
    'birth_date', 'sex',
  ],
};

// A person on several rows (some centres send one row per finding) is kept once: counts added,
// the dearest vehicle's band, both roles when both appear, the housing fund's one account once
// (the largest amount sent)
const findings = foldedPersonVersions(verificationVersions, {
  source: 'verification',
  keptHow: 'kept once, with the counts added and the housing fund counted once',
  rows: (stage) => sql`
    select id18, (array_agg(name order by line) filter (where name is not null))[1] as name,
           sum(properties)::int as properties, sum(properties_beyond_home)::int as properties_beyond_home, sum(vehicles)::int as vehicles,
           (${BANDS}::text[])[max(array_position(${BANDS}::text[], vehicle_value))] as vehicle_value,
           sum(businesses)::int as businesses,
           case when bool_or(business_role = 'both') or (bool_or(business_role = 'owner') and bool_or(business_role = 'legal_representative')) then 'both'
                else max(business_role) end as business_role,
           max(housing_fund_monthly) as housing_fund_monthly, min(birth_date) as birth_date, min(sex) as sex
    from ${sql.table(stage)}
    group by id18`,
});

export const verification: Department<VerificationRow> = {
  id: 'verification',
  labels: { en: 'Information verification', zh: '核对' },
  file: 'verification',
  idColumn: 'id_number',
  // the centre checks applicants and listed households, not the city: a month runs without it
  required: false,
  delivery: 'snapshot',
  rescuable: true,
  // no notOnRoster: a person checked is an applicant or a member of a household already known
  // no signal: a finding is a reason to check at the door, not a sign of need
  periodTables: [
    // the asset-check note the scoring wrote from these rows: asset data, kept and purged with them
    { table: 'household_asset_check', periodColumn: 'period' },
  ],
  versions: verificationVersions,
  columns: [
    { name: 'id_number', headers: ['身份证号', '身份证号码', '公民身份号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'properties', headers: ['房产套数', '不动产套数'], required: false },
    { name: 'properties_beyond_home', headers: ['住房以外房产套数'], required: false },
    { name: 'vehicles', headers: ['机动车数量', '车辆数'], required: false },
    { name: 'vehicle_value', headers: ['车辆价值区间'], required: false },
    { name: 'businesses', headers: ['工商登记数量', '市场主体数量'], required: false },
    { name: 'business_role', headers: ['工商登记身份'], required: false },
    { name: 'housing_fund_monthly', headers: ['住房公积金月缴存额', '公积金月缴存额'], required: false },
  ],
  rowSchema: verificationRow,
  // the row as sent (a type, migration 0033): the stage's shape
  table: 'verification_row',
  tableColumns: [
    'period', 'line', 'id18', 'name', 'properties', 'properties_beyond_home', 'vehicles', 'vehicle_value', 'businesses', 'business_role',
    'housing_fund_monthly', 'birth_date', 'sex',
  ],
  toColumns: (r, { period, line }) => [
    period, line, r.id_number.id18, r.name, r.properties ?? 0, r.properties_beyond_home ?? 0, r.vehicles ?? 0,
    // a value band or a role is a fact of a vehicle or a registration only
    (r.vehicles ?? 0) > 0 ? r.vehicle_value : undefined, r.businesses ?? 0, r.business_role,
    r.housing_fund_monthly, ...personColumns(r.id_number),
  ],
  householdFacts: {
    people: ({ rowsPeriod }) => sql`
      select id18, properties_beyond_home, vehicles, businesses, business_role,
             array_position(${BANDS}::text[], vehicle_value) as vehicle_band,
             coalesce(housing_fund_monthly, 0) as housing_fund_monthly
      from ${asOf(verificationVersions, rowsPeriod)} as v`,
    columns: [
      { name: 'verified_members', aggregate: sql`count(*)::int`, none: sql`0` },
      { name: 'verified_properties_beyond_home', aggregate: sql`sum(f.properties_beyond_home)::int`, none: sql`0` },
      { name: 'verified_property_holders', aggregate: sql`count(*) filter (where f.properties_beyond_home > 0)::int`, none: sql`0` },
      { name: 'verified_vehicles', aggregate: sql`sum(f.vehicles)::int`, none: sql`0` },
      // 1-3: the band of the dearest vehicle among the members (VEHICLE_BANDS), null when no band was sent
      { name: 'verified_vehicle_band', aggregate: sql`max(f.vehicle_band)::int`, none: sql`null::int` },
      { name: 'verified_businesses', aggregate: sql`sum(f.businesses)::int`, none: sql`0` },
      {
        // registrations in which the member is only the named legal representative, not an owner
        name: 'verified_businesses_representative_only',
        aggregate: sql`coalesce(sum(f.businesses) filter (where f.business_role = 'legal_representative'), 0)::int`,
        none: sql`0`,
      },
      { name: 'verified_housing_fund', aggregate: sql`sum(f.housing_fund_monthly) filter (where f.housing_fund_monthly > 0)`, none: sql`null::numeric` },
      { name: 'verified_housing_fund_members', aggregate: sql`count(*) filter (where f.housing_fund_monthly > 0)::int`, none: sql`0` },
    ],
  },
  finalize: findings.finalize,
  addRescued: findings.addRescued,
};
