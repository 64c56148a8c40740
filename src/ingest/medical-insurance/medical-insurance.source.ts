import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { z } from 'zod';
import { personColumns, type Department } from '../department.js';
import { householdsAsOf } from '../../link/households.js';
import {
  idNumber, notAfter, optionalMoney, optionalText, requiredBoolean, requiredDate, requiredMoney, requiredText, withRules,
} from '../values.js';

/**
 * 医保 settled claims of the month. The first extract may carry a year of history; a claim_id
 * sent again (in the same file or a later month) is a correction that replaces the earlier one.
 */

const claimRow = (asOf: Date) =>
  withRules(
    z.object({
      claim_id: requiredText,
      id_number: idNumber(asOf),
      name: optionalText,
      settled_on: requiredDate,
      inpatient: requiredBoolean,
      total_cost: requiredMoney,
      fund_paid: requiredMoney,
      assistance_paid: optionalMoney,
      out_of_pocket: requiredMoney,
    }),
    [notAfter('settled_on', asOf, 'settled on')],
  );
export type ClaimRow = z.infer<ReturnType<typeof claimRow>>;

/** The claims sent more than once in one file, with the line that wins (a temp table of a few rows). */
export interface ResentInFile {
  table: string;
}

/**
 * The checks on one claims file that keep its rows: a claim_id sent again later in the file (the
 * later line replaces it) and an out-of-pocket that is not the difference of the other amounts.
 * `period` is what the rows are filed under: the month, or the day of a daily delta. Returns the
 * claims sent more than once, for `latestInFile`.
 */
export async function flagClaimsInFile(db: Kysely<Database>, period: string, stage: string): Promise<ResentInFile> {
  // the claim ids sent more than once come from one hash aggregate, kept for the insert: a
  // month's file is not sorted by claim (a sort of a city's claims costs seconds) to find the few
  // that repeat
  const resent = { table: `${stage}_resent` };
  await sql`
    create temp table ${sql.table(resent.table)} on commit drop as
    select claim_id, max(line) as last_line from ${sql.table(stage)} group by claim_id having count(*) > 1
  `.execute(db);
  await sql`
    with repeated as (
      insert into quality_issue (period, source, line, kind, detail)
      select ${period}, 'medical-insurance', line, 'claim_resent_in_file',
             'claim ' || claim_id || ' appears again on line ' || next_line || ', which replaces this one'
      from (
        select claim_id, line, lead(line) over (partition by claim_id order by line) as next_line
        from ${sql.table(stage)} where claim_id in (select claim_id from ${sql.table(resent.table)})
      ) s
      where next_line is not null
    )
    -- kept, but a department that cannot add up deserves a look
    insert into quality_issue (period, source, line, kind, detail)
    select ${period}, 'medical-insurance', line, 'out_of_pocket_mismatch',
           'out_of_pocket ' || out_of_pocket || ' is not total_cost - fund_paid - assistance_paid = '
           || (total_cost - fund_paid - coalesce(assistance_paid, 0))
    from ${sql.table(stage)}
    where abs(out_of_pocket - (total_cost - fund_paid - coalesce(assistance_paid, 0))) > 0.01
  `.execute(db);
  return resent;
}

/**
 * The staged claims (alias `s`) without the versions a later line of the same file replaces:
 * for an insert, with no sort of the whole file.
 */
export const latestInFile = (stage: string, resent: ResentInFile) => sql`
  ${sql.table(stage)} s
  left join ${sql.table(resent.table)} resent using (claim_id)
  where resent.claim_id is null or s.line = resent.last_line
`;

export const medicalInsurance: Department<ClaimRow> = {
  id: 'medical-insurance',
  labels: { en: 'Medical insurance', zh: '医保' },
  file: 'medical-insurance',
  idColumn: 'id_number',
  required: true,
  delivery: 'delta',
  rescuable: true,
  // anyone with a claim in the 12-month window, not only this month's: the window is what is scored
  notOnRoster: {
    preference: 3,
    people: ({ windowClaims }) => sql`select id18, name, birth_date, sex, line from ${windowClaims} window_claim`,
  },
  periodTables: [{ table: 'claim', periodColumn: 'received_period' }],
  // a bill settled today is a night's news: the monthly extract counts it once more, never twice
  // (src/db/latest-claims.ts); kept apart in daily_claim, by day
  daily: {
    declaration: () => medicalInsuranceDaily,
    events: (day) => sql`
      select id18, 'bill' as kind, 'medical-insurance:' || claim_id as key, to_char(settled_on, 'YYYY-MM-DD') as happened_on,
             out_of_pocket as amount, inpatient, null::text as label, null::boolean as house_damaged
      from daily_claim where day = ${day}::date`,
  },
  // The window the medical-burden dimension reads; "material" is its floor: out-of-pocket of at
  // least floorRatio of the household's yearly income (any, when the roster has no income for it).
  signal: {
    meaning: { en: 'an inpatient stay or material out-of-pocket spending in 12 months', zh: '近12个月有住院或较大自付医疗支出' },
    // the claims as the facts statement already summed them per member: a city's window of claims
    // is millions of rows, its people a few hundred thousand (joined first, they sorted to disk)
    people: ({ members, period, cfg }) => sql`
      select p.id18
      from ${members} p
      left join ${householdsAsOf(period)} as h on h.household_id = p.household_id
      where p.stays > 0 or (p.oop > 0 and p.oop >= ${cfg.medicalBurden.floorRatio}::numeric * 12 * coalesce(h.monthly_income, 0))`,
  },
  columns: [
    { name: 'claim_id', headers: ['结算单号'], required: true },
    { name: 'id_number', headers: ['身份证号', '身份证号码'], required: true },
    { name: 'name', headers: ['姓名'], required: false },
    { name: 'settled_on', headers: ['结算日期'], required: true },
    { name: 'inpatient', headers: ['是否住院'], required: true },
    { name: 'total_cost', headers: ['医疗总费用'], required: true },
    { name: 'fund_paid', headers: ['统筹支付'], required: true },
    { name: 'assistance_paid', headers: ['医疗救助支付'], required: false },
    { name: 'out_of_pocket', headers: ['个人自付'], required: true },
  ],
  rowSchema: claimRow,
  table: 'claim',
  tableColumns: [
    'received_period', 'line', 'claim_id', 'id18', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid',
    'assistance_paid', 'out_of_pocket', 'birth_date', 'sex',
  ],
  toColumns: (r, { period, line }) => [
    period, line, r.claim_id, r.id_number.id18, r.name, r.settled_on, r.inpatient, r.total_cost, r.fund_paid,
    r.assistance_paid, r.out_of_pocket, ...personColumns(r.id_number),
  ],
  async finalize({ db }, period, stage) {
    // Claims are the month's increment: a file whose every claim was already received, with the
    // same values, is most likely last month's extract sent again. Harmless (a resent claim
    // replaces itself, never counted twice) but the month's real claims are then missing.
    await sql`
      with unmatched as (
        -- stops at the first new or changed claim: the usual month costs one lookup
        select 1 from ${sql.table(stage)} s
        where not exists (
          select 1 from claim c
          where c.claim_id = s.claim_id and c.received_period < ${period}
            and (c.id18, c.settled_on, c.inpatient, c.total_cost, c.fund_paid, c.assistance_paid, c.out_of_pocket)
                is not distinct from (s.id18, s.settled_on, s.inpatient, s.total_cost, s.fund_paid, s.assistance_paid, s.out_of_pocket)
        )
        limit 1
      )
      insert into quality_issue (period, source, line, kind, detail)
      select ${period}, 'medical-insurance', null, 'claims_already_received',
             'all ' || (select count(*) from ${sql.table(stage)}) || ' claims of this file were already received in '
             || (select max(c.received_period) from claim c join ${sql.table(stage)} s using (claim_id) where c.received_period < ${period})
             || ' with the same values: was an earlier month''s extract sent again? This month''s claims may be missing'
      where exists (select 1 from ${sql.table(stage)}) and not exists (select 1 from unmatched)
    `.execute(db);
    const resent = await flagClaimsInFile(db, period, stage);
    await sql`
      insert into claim (claim_id, received_period, line, id18, name, settled_on, inpatient, total_cost, fund_paid,
                         assistance_paid, out_of_pocket, birth_date, sex)
      select claim_id, s.received_period, s.line, s.id18, s.name, s.settled_on, s.inpatient, s.total_cost,
             s.fund_paid, s.assistance_paid, s.out_of_pocket, s.birth_date, s.sex
      from ${latestInFile(stage, resent)}
      -- in key order: the key's pages fill as an index built in bulk does, where rows in file
      -- order split pages all over it (claim after 2 periods at 250,000 households 392 MiB, not 465)
      order by claim_id
    `.execute(db);
    return 0;
  },
};

/**
 * The same claims, settled one day, sent the next night (`<inbox>/daily/YYYY-MM-DD/medical-insurance.csv`):
 * the monthly format and validation, kept in daily_claim by day. The "period" of a daily load
 * is the day itself (in source_load and rejected_row too).
 */
export const medicalInsuranceDaily: Department<ClaimRow> = {
  ...medicalInsurance,
  daily: undefined,
  table: 'daily_claim',
  periodTables: [{ table: 'daily_claim', periodColumn: 'day' }],
  tableColumns: ['day', ...medicalInsurance.tableColumns.slice(1)],
  async finalize({ db }, day, stage) {
    // the monthly file's checks, filed under the day
    const resent = await flagClaimsInFile(db, day, stage);
    // a claim sent twice in one night's file: the later line is the correction
    await sql`
      insert into daily_claim
      select s.* from ${latestInFile(stage, resent)}
    `.execute(db);
    return 0;
  },
};
