import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { maskAddress, maskPhone } from '../identity/id-number.js';

/** Address and phone of a household as one list shows them. */
export interface VisitContact {
  address: string;
  phone: string;
}

/**
 * How a list shows a household's address and phone: they are for the visit, so a street's or a
 * community's own list shows them in clear, a district-wide one masked unless unmasked.
 *
 * Under row security the masked views already decided from the scope the database holds (an
 * exporter granted one street reads its addresses in clear without `--region`): the values pass
 * through. A trusted reader (owner, batch, superuser, the run's own copy of the list) reads them
 * in clear from the views whatever the scope, so the same rule is applied here, to the `--region`
 * the export asks for, with the views' masks (safetynet_mask_address, safetynet_mask_phone).
 * Reads once, before the list's cursor opens: a transaction's one connection cannot do both.
 */
export async function visitContact(
  db: Kysely<Database>,
  opts: { unmasked?: boolean; region?: string },
): Promise<(address: string | null, phone: string | null) => VisitContact> {
  const { rows } = await sql<{ trusted: boolean | null }>`select safetynet_trusted('household'::regclass) as trusted`.execute(db);
  const decidedByView = rows[0]?.trusted !== true;
  const clear = decidedByView || opts.unmasked === true || (opts.region !== undefined && opts.region.length >= 9);
  return (address, phone) => ({
    address: address === null ? '' : clear ? address : maskAddress(address),
    phone: phone === null ? '' : clear ? phone : maskPhone(phone),
  });
}
