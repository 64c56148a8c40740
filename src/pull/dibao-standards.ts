import { join } from 'node:path';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Tx } from '../db/transaction.js';
import { ExtractRejected } from '../errors.js';
import { headerKey } from '../ingest/ingest-source.js';
import { hukouType } from '../ingest/civil-affairs/civil-affairs.source.js';
import { openExtract } from '../ingest/read-extract.js';
import { clean, parseDate, requiredMoney } from '../ingest/values.js';
import { fileKind, notRegular } from './file-kind.js';

/**
 * `<inbox>/dibao-standards.csv`: the local subsistence standard per region-code prefix and
 * hukou type, from a month on. Small reference data, but a wrong standard misplaces every
 * household of a region, so one bad row refuses the whole file.
 */
const standardRow = z.object({
  region_code: z.preprocess(clean, z.string({ error: 'value is missing' }).regex(/^\d{2,12}$/, 'must be a region code or prefix (2-12 digits)')),
  hukou_type: z.preprocess(clean, hukouType),
  // a month; a date (the contract's YYYY-MM-DD or YYYYMMDD) is taken as its month
  effective_from: z.preprocess(
    clean,
    z.string({ error: 'value is missing' }).transform((s, ctx) => {
      if (/^\d{4}-(0[1-9]|1[0-2])$/.test(s)) return s;
      const date = parseDate(s);
      if (date) return date.slice(0, 7);
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a month (YYYY-MM) or a date (YYYY-MM-DD, YYYYMMDD)` });
      return z.NEVER;
    }),
  ),
  monthly_standard: requiredMoney.refine((n) => n > 0, 'a standard must be more than 0'),
});

export const DIBAO_FILE = 'dibao-standards.csv';

/** Replaces the standards table from the inbox file; returns how many rows, or null when absent. */
export async function loadDibaoStandards(tx: Tx, inbox: string): Promise<number | null> {
  const path = join(inbox, DIBAO_FILE);
  const found = await fileKind(path);
  if (found.kind === 'other') throw new ExtractRejected({ file: DIBAO_FILE }, notRegular(found.what));
  // no file: the config's defaults apply, not whatever an earlier inbox left behind
  await sql`delete from dibao_standard`.execute(tx.db);
  if (found.kind === 'absent') return null;
  const extract = await openExtract(path, DIBAO_FILE);
  const names = ['region_code', 'hukou_type', 'effective_from', 'monthly_standard'];
  const index = names.map((n) => extract.header.findIndex((h) => headerKey(h) === n));
  const absent = names.filter((_, i) => index[i]! < 0);
  if (absent.length) throw new ExtractRejected({ file: DIBAO_FILE, line: 1 }, `missing column(s) ${absent.join(', ')}`);
  const rows: z.infer<typeof standardRow>[] = [];
  const seen = new Map<string, number>();
  try {
    for await (const { line, fields } of extract.records) {
      const parsed = standardRow.safeParse(Object.fromEntries(names.map((n, i) => [n, fields[index[i]!]])));
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new ExtractRejected({ file: DIBAO_FILE, line, column: String(i.path[0]) }, i.message);
      }
      const key = `${parsed.data.region_code}/${parsed.data.hukou_type}/${parsed.data.effective_from}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new ExtractRejected({ file: DIBAO_FILE, line }, `a second standard for ${key.replaceAll('/', ', ')} (first on line ${earlier})`);
      }
      seen.set(key, line);
      rows.push(parsed.data);
    }
  } finally {
    extract.close();
  }
  if (rows.length === 0) return 0;
  await sql`
    insert into dibao_standard (region_prefix, hukou_type, effective_from, monthly_standard)
    select * from unnest(${rows.map((r) => r.region_code)}::text[], ${rows.map((r) => r.hukou_type)}::text[],
                         ${rows.map((r) => r.effective_from)}::text[], ${rows.map((r) => r.monthly_standard)}::numeric[])
  `.execute(tx.db);
  return rows.length;
}
