import gb2260 from './gb2260-codes.json' with { type: 'json' };

/**
 * GB 11643 resident identity numbers: normalisation, validation and the 15→18 upgrade.
 * Every department writes them differently (full-width digits, lowercase x, old 15-digit
 * numbers); linking only works on the one canonical 18-character form.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const currentRegions = new Set<string>(gb2260.codes);

export type IdRejectReason = 'empty' | 'length' | 'format' | 'birthdate' | 'checksum';

export type IdWarning = 'region_unknown';

export interface ParsedIdNumber {
  ok: true;
  /** canonical 18-character form: digits and an uppercase X */
  id18: string;
  birthDate: string; // YYYY-MM-DD
  sex: 'male' | 'female';
  regionCode: string;
  /** present when the number was valid but carries a data-quality warning */
  warning?: IdWarning;
  /** true when the input was an old 15-digit number */
  upgradedFrom15: boolean;
}

export interface RejectedIdNumber {
  ok: false;
  reason: IdRejectReason;
  message: string;
}

export function checkDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Full-width digits become ASCII (NFKC), surrounding spaces go, x becomes X. */
export function normaliseIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(yyyy: number, mm: number, dd: number): boolean {
  if (mm < 1 || mm > 12 || dd < 1) return false;
  const leap = mm === 2 && yyyy % 4 === 0 && (yyyy % 100 !== 0 || yyyy % 400 === 0);
  return dd <= DAYS_IN_MONTH[mm - 1]! + (leap ? 1 : 0);
}

const reject = (reason: IdRejectReason, message: string): RejectedIdNumber => ({ ok: false, reason, message });

/** an 18-character number already in its canonical form, the usual case: no normalising needed */
const CANONICAL_18 = /^\d{17}[\dX]$/;

// the last asOf seen, as YYYYMMDD: a file's rows all share it
let asOfTime = NaN;
let asOfDigits = '';
const digitsOf = (asOf: Date): string => {
  if (asOf.getTime() !== asOfTime) {
    asOfTime = asOf.getTime();
    asOfDigits = asOf.toISOString().slice(0, 10).replaceAll('-', '');
  }
  return asOfDigits;
};

/**
 * Parses an ID number as a department sent it. `asOf` bounds plausible birth dates: nobody
 * on a roster is born after the period or before 1890.
 */
export function parseIdNumber(raw: string, asOf: Date = new Date(Date.UTC(2100, 0, 1))): ParsedIdNumber | RejectedIdNumber {
  const canonical = CANONICAL_18.test(raw);
  const id = canonical ? raw : normaliseIdNumber(raw);
  if (id === '') return reject('empty', 'ID number is empty');
  if (id.length !== 18 && id.length !== 15) {
    return reject('length', `ID number has ${id.length} characters, expected 18 (or an old 15-digit number)`);
  }
  let id17: string;
  let upgradedFrom15 = false;
  if (id.length === 15) {
    if (!/^\d{15}$/.test(id)) return reject('format', 'old 15-digit ID number must be all digits');
    // GB 11643-1999: the old form has a 2-digit year; every holder was born in the 1900s.
    id17 = `${id.slice(0, 6)}19${id.slice(6)}`;
    upgradedFrom15 = true;
  } else {
    if (!canonical && !CANONICAL_18.test(id)) return reject('format', 'ID number must be 17 digits and a check digit (0-9 or X)');
    id17 = id.slice(0, 17);
  }
  const birthDigits = id17.slice(6, 14);
  const yyyy = Number(birthDigits.slice(0, 4));
  const mm = Number(birthDigits.slice(4, 6));
  const dd = Number(birthDigits.slice(6, 8));
  if (!validDate(yyyy, mm, dd) || yyyy < 1890) {
    return reject('birthdate', 'the birth date in the ID number is not a real date');
  }
  if (birthDigits > digitsOf(asOf)) {
    return reject('birthdate', `the birth date in the ID number is after ${asOf.toISOString().slice(0, 10)}, the end of the period`);
  }
  const expected = checkDigit(id17);
  if (!upgradedFrom15 && id[17] !== expected) {
    // the message names no digit: reports and logs must not rebuild a number
    return reject('checksum', 'the check digit does not match the other 17 digits');
  }
  const regionCode = id17.slice(0, 6);
  const parsed: ParsedIdNumber = {
    ok: true,
    id18: canonical ? raw : id17 + expected,
    birthDate: `${birthDigits.slice(0, 4)}-${birthDigits.slice(4, 6)}-${birthDigits.slice(6, 8)}`,
    sex: (id17.charCodeAt(16) - 48) % 2 === 1 ? 'male' : 'female',
    regionCode,
    upgradedFrom15,
  };
  if (!currentRegions.has(regionCode)) parsed.warning = 'region_unknown';
  return parsed;
}

/** `110101********123X`: first 6 and last 4 characters, as the contract's masking rule says. */
export function maskIdNumber(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/** `张*`: the first character (the family name, for almost every Chinese name); one star whatever the length, so the mask does not tell it. */
export function maskName(name: string): string {
  const first = [...name][0];
  return first === undefined ? '' : `${first}*`;
}

/**
 * `湖北省武汉市…`: the first 6 characters (province and city, for the roster's addresses), as
 * safetynet_mask_address in migration 0006 masks them; an address of 6 or fewer is left as is.
 * Characters are code points, as PostgreSQL counts them.
 */
export function maskAddress(address: string): string {
  const chars = [...address];
  return chars.length <= 6 ? address : `${chars.slice(0, 6).join('')}…`;
}

/** `138****5678`: the first 3 and last 4 characters, as safetynet_mask_phone in migration 0006. */
export function maskPhone(phone: string): string {
  const chars = [...phone];
  if (chars.length <= 7) return '*'.repeat(chars.length);
  return chars.slice(0, 3).join('') + '*'.repeat(chars.length - 7) + chars.slice(-4).join('');
}
