import type { Kysely } from 'kysely';
import { EXPORT_SCHEMA } from '../db/roles.js';
import type { Database } from '../db/schema.js';

/**
 * Everything an export or a card shows is read through the masked views of migration 0006,
 * whoever reads: the exporter may read nothing else, and one path is one behaviour to test.
 * For the owner and the batch the views are the tables as they are; for an exporter they mask
 * names, ID numbers, birth dates, addresses, phones and diagnosis codes unless the transaction
 * opened an unmasked audit entry, and show only the rows its region allows.
 */
export const exportViews = (db: Kysely<Database>): Kysely<Database> => db.withSchema(EXPORT_SCHEMA);

/** The same, for hand-written SQL: the qualified name of a view. */
export const VIEW = {
  household: `${EXPORT_SCHEMA}.household`,
  household_score: `${EXPORT_SCHEMA}.household_score`,
  member: `${EXPORT_SCHEMA}.member`,
  disability: `${EXPORT_SCHEMA}.disability`,
  diagnosis: `${EXPORT_SCHEMA}.diagnosis`,
  identity_rescue_link: `${EXPORT_SCHEMA}.identity_rescue_link`,
  urgent_warning: `${EXPORT_SCHEMA}.urgent_warning`,
  household_asset_check: `${EXPORT_SCHEMA}.household_asset_check`,
  audit_sample: `${EXPORT_SCHEMA}.audit_sample`,
  audit_frame: `${EXPORT_SCHEMA}.audit_frame`,
} as const;
