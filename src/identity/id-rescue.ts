import { checkDigit, maskIdNumber, normaliseIdNumber, parseIdNumber } from './id-number.js';

/**
 * Identity rescue: a row whose ID number is invalid is not the end of the road. The GB 11643
 * check digit (ISO 7064 MOD 11-2) catches every single wrong digit and every swap of two
 * adjacent digits, which are most keying errors; so when one roster person has the same name,
 * birth date and region and a number one such error away, the row almost certainly means them.
 * Anything less certain goes to an analyst; nothing is linked silently. Pure: no database.
 */

export type IdDifference = 'substitution' | 'transposition';

/** The 18-character form to compare: normalised, an old 15-digit number upgraded (its check digit is then ours). */
export function comparableNumber(sent: string): string {
  const id = normaliseIdNumber(sent);
  if (/^\d{15}$/.test(id)) {
    const id17 = `${id.slice(0, 6)}19${id.slice(6)}`;
    return id17 + checkDigit(id17);
  }
  return id;
}

/** How two 18-character numbers differ, when it is one keying error; null otherwise. */
export function idDifference(a: string, b: string): IdDifference | null {
  if (a.length !== 18 || b.length !== 18 || a === b) return null;
  const diff: number[] = [];
  for (let i = 0; i < 18; i++) if (a[i] !== b[i]) diff.push(i);
  if (diff.length === 1) return 'substitution';
  if (diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!]) return 'transposition';
  return null;
}

// check digit first: it rules out ten in eleven variants before the date is looked at
const valid18 = (n: string) => /^\d{17}[\dX]$/.test(n) && checkDigit(n.slice(0, 17)) === n[17] && parseIdNumber(n).ok;

const old15 = (sent: string) => /^\d{15}$/.test(normaliseIdNumber(sent));

/**
 * How the sent number differs from a roster number, when it is one keying error. An old 15-digit
 * number has no check digit of its own (ours is computed), so only its 17 upgraded digits compare.
 */
export function keyingDifference(sent: string, id18: string): IdDifference | null {
  const n = comparableNumber(sent);
  if (!old15(sent)) return idDifference(n, id18);
  if (id18.slice(6, 8) !== '19') return null;
  const a = `${n.slice(0, 17)}0`;
  const b = `${id18.slice(0, 17)}0`;
  return idDifference(a, b);
}

/** Every valid number one wrong digit or one adjacent swap away from `sent`: the roster is searched for these. */
export function nearNumbers(sent: string): string[] {
  const n = comparableNumber(sent);
  if (n.length !== 18 || !/^\d{17}[\dXx]$/.test(n)) return [];
  const out = new Set<string>();
  if (old15(sent)) {
    // the 15 digits as sent (the inserted "19" is ours): each variant gets its own check digit
    const d15 = normaliseIdNumber(sent);
    const upgrade = (v: string) => {
      const id17 = `${v.slice(0, 6)}19${v.slice(6)}`;
      return id17 + checkDigit(id17);
    };
    for (let i = 0; i < 15; i++) {
      for (const c of '0123456789') if (c !== d15[i]) out.add(upgrade(d15.slice(0, i) + c + d15.slice(i + 1)));
      if (i < 14 && d15[i] !== d15[i + 1]) out.add(upgrade(d15.slice(0, i) + d15[i + 1] + d15[i] + d15.slice(i + 2)));
    }
    return [...out].filter((v) => parseIdNumber(v).ok);
  }
  for (let i = 0; i < 18; i++) {
    for (const c of i === 17 ? '0123456789X' : '0123456789') {
      if (c === n[i]) continue;
      const v = n.slice(0, i) + c + n.slice(i + 1);
      if (valid18(v)) out.add(v);
    }
  }
  for (let i = 0; i < 17; i++) {
    if (n[i] === n[i + 1]) continue;
    const v = n.slice(0, i) + n[i + 1] + n[i] + n.slice(i + 2);
    if (valid18(v)) out.add(v);
  }
  return [...out];
}

/** The birth date the sent number claims (digits 7-14), when those digits are a real date. */
export function birthDateOf(sent: string): string | null {
  const n = comparableNumber(sent);
  if (!/^\d{14}/.test(n)) return null;
  const [y, m, d] = [Number(n.slice(6, 10)), Number(n.slice(10, 12)), Number(n.slice(12, 14))];
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (y < 1890 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${n.slice(6, 10)}-${n.slice(10, 12)}-${n.slice(12, 14)}`;
}

/** Names compare after NFKC and without spaces (全角/半角, "张 三" and "张三" are one name). */
export const sameName = (a: string | null, b: string | null): boolean =>
  a !== null && b !== null && a.normalize('NFKC').replace(/\s+/g, '') === b.normalize('NFKC').replace(/\s+/g, '');

export interface RosterPerson {
  id18: string;
  household_id: string;
  name: string;
  birth_date: string;
}

export interface SentRow {
  /** the ID number as sent */
  number: string;
  name: string | null;
  /** a birth-date column when the extract has one; otherwise the number's own digits are used */
  birthDate: string | null;
}

export interface CandidateView {
  id18: string;
  household_id: string;
  name: string;
  name_matches: boolean;
  birth_matches: boolean;
  region_matches: boolean;
  difference: IdDifference | null;
}

export interface RememberedDecision {
  decision: 'confirmed' | 'refused';
  id18: string | null;
  decided_by: string;
  decided_at: Date | string;
}

export interface RescueDecision {
  outcome: 'rescued' | 'review' | 'rejected';
  id18: string | null;
  confidence: number | null;
  difference: IdDifference | 'confirmed' | null;
  reason: string;
  reason_zh: string;
  candidates: CandidateView[];
}

/** A single-digit slip and a swap are both caught by the check digit; a swap of neighbours is the likelier slip. */
const CONFIDENCE: Record<IdDifference, number> = { transposition: 0.95, substitution: 0.9 };
export const DIFF_EN: Record<IdDifference, string> = { substitution: 'one wrong digit', transposition: 'two adjacent digits swapped' };
export const DIFF_ZH: Record<IdDifference, string> = { substitution: '一位数字错误', transposition: '相邻两位数字颠倒' };

const day = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString()).slice(0, 10);

/**
 * What to do with one row whose ID number was invalid, given the roster people that might be
 * meant (found by near numbers, or by the same name and birth date) and any earlier decision of
 * an analyst about the same number and name.
 */
export function decideRescue(row: SentRow, people: RosterPerson[], remembered?: RememberedDecision): RescueDecision {
  const sent = comparableNumber(row.number);
  const birth = row.birthDate ?? birthDateOf(row.number);
  const candidates: CandidateView[] = people.map((p) => ({
    id18: p.id18,
    household_id: p.household_id,
    name: p.name,
    name_matches: sameName(row.name, p.name),
    birth_matches: birth !== null && birth === p.birth_date,
    region_matches: sent.slice(0, 6) === p.id18.slice(0, 6),
    difference: keyingDifference(row.number, p.id18),
  }));
  // not linked: to review, or still rejected, with why
  const unlinked = (outcome: 'review' | 'rejected', reason: string, reason_zh: string): RescueDecision => ({
    candidates, outcome, id18: null, confidence: null, difference: null, reason, reason_zh,
  });

  if (remembered?.decision === 'confirmed' && remembered.id18) {
    return {
      candidates,
      outcome: 'rescued',
      id18: remembered.id18,
      confidence: 1,
      difference: 'confirmed',
      reason: `linked as confirmed by ${remembered.decided_by} on ${day(remembered.decided_at)}`,
      reason_zh: `已由${remembered.decided_by}于${day(remembered.decided_at)}确认关联`,
    };
  }
  if (remembered?.decision === 'refused') {
    return unlinked(
      'rejected',
      `an analyst (${remembered.decided_by}, ${day(remembered.decided_at)}) refused the suggested link: stays rejected`,
      `分析人员（${remembered.decided_by}，${day(remembered.decided_at)}）已拒绝关联：仍为拒收`,
    );
  }

  const strong = candidates.filter((c) => c.name_matches && c.birth_matches && c.region_matches && c.difference !== null);
  if (strong.length === 1) {
    const c = strong[0]!;
    const d = c.difference!;
    return {
      candidates,
      outcome: 'rescued',
      id18: c.id18,
      confidence: CONFIDENCE[d],
      difference: d,
      reason: `ID number differs from roster person ${maskIdNumber(c.id18)} (household ${c.household_id}) by ${DIFF_EN[d]}; same name, birth date and region: linked`,
      reason_zh: `身份证号与名册人员${maskIdNumber(c.id18)}（户${c.household_id}）${DIFF_ZH[d]}，姓名、出生日期、地区一致：已关联`,
    };
  }
  if (strong.length > 1) {
    return unlinked(
      'review',
      `${strong.length} roster people match on name, birth date and region one keying error away: an analyst chooses`,
      `${strong.length}名名册人员的姓名、出生日期、地区一致且号码仅差一处：需人工选择`,
    );
  }
  if (candidates.length > 0) {
    const what = candidates
      .map((c) => {
        const miss = [!c.name_matches && 'name', !c.birth_matches && 'birth date', !c.region_matches && 'region', c.difference === null && 'more than one keying error'].filter(Boolean);
        return `${maskIdNumber(c.id18)}: differs in ${miss.join(', ')}`;
      })
      .join('; ');
    return unlinked('review', `weak candidate${candidates.length === 1 ? '' : 's'} (${what}): an analyst decides`, `存在弱匹配候选（${candidates.length}人），需人工判断`);
  }
  return unlinked(
    'rejected',
    'no roster person with this name and birth date, nor one keying error away: stays rejected',
    '名册中无同名同生日人员，也无仅差一处的号码：仍为拒收',
  );
}
