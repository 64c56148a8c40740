import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { normaliseIdNumber, parseIdNumber } from '../../src/identity/id-number.js';
import { headerKey } from '../../src/ingest/ingest-source.js';
import { departments } from '../../src/ingest/departments.js';

/**
 * Everything personal in an inbox, read straight from its CSV files (GB18030 or UTF-8, Chinese
 * or English headers, as the departments send them): what must never reach a log.
 */
export interface FixturePeople {
  /** ID numbers as sent, as stored (normalised, 18 digits) and with either case of X */
  ids: Set<string>;
  names: Set<string>;
  addresses: Set<string>;
  phones: Set<string>;
}

function decode(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'gb18030');
  }
}

const COLUMNS = { id_number: 'ids', name: 'names', address: 'addresses', phone: 'phones' } as const;

export async function fixturePeople(inbox: string): Promise<FixturePeople> {
  const people: FixturePeople = { ids: new Set(), names: new Set(), addresses: new Set(), phones: new Set() };
  const periods = (await readdir(inbox)).filter((d) => /^\d{4}-\d{2}$/.test(d));
  for (const period of periods) {
    for (const def of departments()) {
      // an optional department's month may not have come
      const bytes = await readFile(join(inbox, period, `${def.file}.csv`)).catch(() => null);
      if (bytes === null) continue;
      const text = decode(bytes);
      const [header, ...records] = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
      header!.forEach((h, index) => {
        const column = def.columns.find((c) => [c.name, ...c.headers].some((alias) => headerKey(alias) === headerKey(h)));
        const kind = column && COLUMNS[column.name as keyof typeof COLUMNS];
        if (!kind) return;
        for (const record of records) {
          const value = record[index]?.trim();
          if (!value) continue;
          people[kind].add(value);
          if (kind !== 'ids') continue;
          const normal = normaliseIdNumber(value);
          for (const form of [normal, normal.toUpperCase()]) people.ids.add(form);
          const parsed = parseIdNumber(value);
          if (parsed.ok) for (const form of [parsed.id18, parsed.id18.toUpperCase()]) people.ids.add(form);
        }
      });
    }
  }
  return people;
}
