import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { checkDigit } from '../../src/identity/id-number.js';

/** Builds small inboxes in the contract's layout, for tests that need one exact case. */

/** A valid 18-digit ID: region, birth date YYYYMMDD, 3-digit sequence (odd = male). */
export function makeId(birth: string, seq: number, region = '420106'): string {
  const id17 = `${region}${birth}${String(seq).padStart(3, '0')}`;
  return id17 + checkDigit(id17);
}

export type Table = (string | number)[][];

export interface FileSpec {
  rows: Table; // first row is the header
  encoding?: 'utf-8' | 'utf-8-bom' | 'gb18030';
}

function csvText(rows: Table): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function encode(spec: FileSpec): Buffer {
  const text = csvText(spec.rows);
  if (spec.encoding === 'gb18030') return iconv.encode(text, 'gb18030');
  if (spec.encoding === 'utf-8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  return Buffer.from(text, 'utf8');
}

export const ROSTER_HEADER = ['household_id', 'id_number', 'name', 'relation', 'region_code', 'hukou_type', 'assistance', 'monthly_income', 'employment', 'address', 'phone'];
export const DISABILITY_HEADER = ['id_number', 'name', 'disability_type', 'disability_grade', 'certified_on'];
export const CLAIMS_HEADER = ['claim_id', 'id_number', 'name', 'settled_on', 'inpatient', 'total_cost', 'fund_paid', 'assistance_paid', 'out_of_pocket'];
export const HEALTH_HEADER = ['id_number', 'name', 'diagnosis_code', 'category', 'recorded_on'];
export const HUMAN_RESOURCES_HEADER = ['身份证号', '姓名', '登记失业', '失业登记日期', '养老金月领取额'];

export interface PeriodSpec {
  roster: Table;
  disability?: Table;
  claims?: Table;
  health?: Table;
  /** the optional human-resources extract: written only when given */
  humanResources?: Table;
  /** override whole files (encoding, headers); null leaves the file out */
  files?: Partial<Record<'civil-affairs.csv' | 'disability.csv' | 'medical-insurance.csv' | 'health.csv' | 'human-resources.csv', FileSpec | null>>;
  /** write a manifest.json with correct hashes and row counts; a function may tamper with it */
  manifest?: boolean | ((m: { files: Record<string, { sha256: string; rows: number; encoding?: string }> }) => void);
}

export async function writePeriod(inbox: string, period: string, spec: PeriodSpec): Promise<void> {
  const dir = join(inbox, period);
  await mkdir(dir, { recursive: true });
  const files: Record<string, FileSpec | null | undefined> = {
    'civil-affairs.csv': { rows: [ROSTER_HEADER, ...spec.roster] },
    'disability.csv': { rows: [DISABILITY_HEADER, ...(spec.disability ?? [])] },
    'medical-insurance.csv': { rows: [CLAIMS_HEADER, ...(spec.claims ?? [])] },
    'health.csv': { rows: [HEALTH_HEADER, ...(spec.health ?? [])] },
    ...(spec.humanResources ? { 'human-resources.csv': { rows: [HUMAN_RESOURCES_HEADER, ...spec.humanResources] } } : {}),
    ...spec.files,
  };
  const manifest: { files: Record<string, { sha256: string; rows: number; encoding?: string }> } = { files: {} };
  for (const [name, file] of Object.entries(files)) {
    if (!file) continue;
    const bytes = encode(file);
    await writeFile(join(dir, name), bytes);
    manifest.files[name] = { sha256: createHash('sha256').update(bytes).digest('hex'), rows: file.rows.length - 1 };
  }
  if (spec.manifest) {
    if (typeof spec.manifest === 'function') spec.manifest(manifest);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
}

export async function makeInbox(periods: Record<string, PeriodSpec>, dibaoStandards?: Table): Promise<string> {
  const inbox = await mkdtemp(join(tmpdir(), 'safetynet-inbox-'));
  for (const [period, spec] of Object.entries(periods)) await writePeriod(inbox, period, spec);
  if (dibaoStandards) {
    await writeFile(join(inbox, 'dibao-standards.csv'), csvText([['region_code', 'hukou_type', 'effective_from', 'monthly_standard'], ...dibaoStandards]));
  }
  return inbox;
}
