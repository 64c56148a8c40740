import { sql } from 'kysely';
import type { Department } from '../department.js';
import { flagClaimsInFile, latestInFile, medicalInsurance, type ClaimRow } from './medical-insurance.source.js';

/**
 * The same claims, settled one day, sent the next night (`<inbox>/daily/YYYY-MM-DD/medical-insurance.csv`):
 * the monthly format and validation, kept in daily_claim by day. The "period" of a daily load
 * is the day itself (in source_load and rejected_row too).
 */
export const medicalInsuranceDaily: Department<ClaimRow> = {
  ...medicalInsurance,
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
