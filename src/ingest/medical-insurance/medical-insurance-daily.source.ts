import { sql } from 'kysely';
import type { SourceDefinition } from '../source.js';
import { medicalInsurance, type ClaimRow } from './medical-insurance.source.js';

/**
 * The same claims, settled one day, sent the next night (`<inbox>/daily/YYYY-MM-DD/medical-insurance.csv`):
 * the monthly format and validation, kept in daily_claim by day. The "period" of a daily load
 * is the day itself (in source_load and rejected_row too).
 */
export const medicalInsuranceDaily: SourceDefinition<ClaimRow> = {
  ...medicalInsurance,
  table: 'daily_claim',
  tableColumns: ['day', ...medicalInsurance.tableColumns.slice(1)],
  async finalize({ db }, day, stage) {
    // the monthly file's checks, under the day: a resent claim and a sum that does not add up
    await sql`
      insert into quality_issue (period, source, line, kind, detail)
      select ${day}, 'medical-insurance', line, 'claim_resent_in_file',
             'claim ' || claim_id || ' appears again on line ' || next_line || ', which replaces this one'
      from (select claim_id, line, lead(line) over (partition by claim_id order by line) as next_line from ${sql.table(stage)}) s
      where next_line is not null
    `.execute(db);
    await sql`
      insert into quality_issue (period, source, line, kind, detail)
      select ${day}, 'medical-insurance', line, 'out_of_pocket_mismatch',
             'out_of_pocket ' || out_of_pocket || ' is not total_cost - fund_paid - assistance_paid = '
             || (total_cost - fund_paid - coalesce(assistance_paid, 0))
      from ${sql.table(stage)}
      where abs(out_of_pocket - (total_cost - fund_paid - coalesce(assistance_paid, 0))) > 0.01
    `.execute(db);
    // a claim sent twice in one night's file: the later line is the correction
    await sql`
      insert into daily_claim
      select distinct on (claim_id) * from ${sql.table(stage)} order by claim_id, line desc
    `.execute(db);
    return 0;
  },
};
