/**
 * What the database knows about one household in one period, aggregated in SQL
 * (src/score/household-facts.sql.ts). The scoring modules see only this: no database, no I/O.
 */
export interface HouseholdFacts {
  householdId: string;
  members: number;
  /** under the adult age of the config */
  minors: number;
  /** adult and under the elderly age */
  workingAge: number;
  /** at or over the elderly age (includes oldOld) */
  elderly: number;
  oldOld: number;
  oldestAge: number | null;
  /** working-age members whose employment is "unemployed" */
  unemployedAdults: number;
  /** working-age members able to earn: not a student, not unable to work, no grade 1-2 disability, no severe illness or severe mental disorder */
  ableEarners: number;
  /** of the able earners, those whose employment is "unemployed": able to earn, without work */
  ableUnemployed: number;
  /** whole household, yuan per month; null when no row gave it */
  monthlyIncome: number | null;
  /** the same household's income in the previous period that was run, if any */
  previousMonthlyIncome: number | null;
  /** local dibao standard, yuan per person per month, for the household's region and hukou type */
  dibaoStandard: number;
  /** 1 (most severe) to 4; null when nobody is certified */
  mostSevereGrade: number | null;
  disabledMembers: number;
  intellectualOrMentalDisabled: number;
  severeIllness: number;
  severeMentalDisorder: number;
  /** members with a chronic illness on record and no severe one (a severe one already counts) */
  chronicIllness: number;
  inpatientStays12m: number;
  outOfPocket12m: number;
  /** the roster's assistance: none, dibao, tekun, dibao_edge, temporary */
  assistance: string;
  /** members with a disability of grade 1 to routes.singlePersonMaxGrade, a severe illness or a severe mental disorder */
  severeMembers: number;
  /** out-of-pocket spending settled in the last routes.temporaryMonths months, this one included */
  recentOutOfPocket: number;
  /** the last period within routes.exitWatchMonths in which the household was on dibao or tekun, when it no longer is */
  leftAssistance: { period: string; programme: string; total: number } | null;
  /** the previous period that was run, for the wording of what changed since */
  previousPeriod: string | null;
  /** members who had a severe fact in the previous period and are still here without one (recovered?) */
  severeMembersRecovered: number;
  /** members who had a severe fact in the previous period and are no longer in the household (deceased, moved?) */
  severeMembersGone: number;
  /** the household's latest visit up to the period's end, and its score in the last period run before it */
  lastVisit: { on: string; outcome: string; totalThen: number | null } | null;
  /** the latest "assisted with dibao/tekun" visit within visits.rosterLagMonths */
  assistedVisit: { on: string; programme: 'dibao' | 'tekun' } | null;
  /** members' pensions as the human-resources bureau pays them (人社): yuan a month added up, and how many members draw one; null when none is on record */
  pensions: { monthly: number; members: number } | null;
  /**
   * Working-age members registered unemployed with human resources (人社): how many; how many of
   * them the roster does not already call unemployed; how many of those the roster counts among
   * the able earners (counted once with `ableUnemployed`); the earliest and latest registration date.
   */
  registeredUnemployed: { members: number; notUnemployedOnRoster: number; ableBeyondRoster: number; since: string | null; latest: string | null };
  /**
   * Who left or joined the household by the facts' day beyond what the roster says (公安): members
   * who died or moved out of the jurisdiction (left out of every count above, unless everyone has
   * left: then the counts are the roster's), the latest such date, the one who left (surname only,
   * when one did); children born and not on the roster yet (counted in); the main earner's death
   * within populationEvents.recentMonths.
   */
  membership: Membership;
  /** latest dates of the severe facts a visit may not have seen: an inpatient stay, a severe diagnosis recorded, a severe disability certified */
  latestSevere: { inpatient: string | null; diagnosis: string | null; disability: string | null };
  /** what the information verification (核对) found on the members (scoring/asset-check.ts); null when no member was checked */
  verification: VerificationFacts | null;
  /** the worst dangerous-housing appraisal (住建) of a house a member owns, grade C or D, and its date; null when none is on record */
  dangerousHouse: { grade: 'C' | 'D'; appraisedOn: string | null } | null;
  /**
   * Disasters (应急) dated in the 12 months ending with the period: the loss in yuan (each
   * disaster once per household, at its larger row), how many, the latest's name and date, and
   * whether any damaged the house.
   */
  disasters: { loss: number; count: number; latest: { event: string; on: string } | null; houseDamaged: boolean };
  /** members in non-compulsory education (教育) and the tuition and fees paid for each this school year (starting in `schoolYear`) */
  students: { stage: 'high_school' | 'secondary_vocational' | 'higher'; feesPaid: number }[];
  schoolYear: number | null;
  /** the month of the extract each department's facts came from, where it is not the period's own (see Evidence) */
  evidence: Evidence;
}

/**
 * How old the departments' extracts behind the facts are. A month without an optional
 * department's extract uses its latest earlier one (src/period.ts `rowsPeriod`), for a snapshot
 * department (everything current, each month) and a delta one (each month's new claims or
 * events) alike: a delta department that delivered this month has told of every claim up to it,
 * so a 12-month total whose last claim was in March is still a fact of this month. Only the
 * departments whose extract is older than the period are named; the reasons say their month
 * (combine.ts `datedReasons`).
 */
export interface Evidence {
  /** the month the facts are of */
  period: string;
  /** by department id: the month (YYYY-MM) of the earlier extract its facts came from, and the short name reasons give it (卫健) */
  older: Readonly<Record<string, { month: string; label: string }>>;
}


/** The verification centre's findings (核对) added up over the members it checked. */
export interface VerificationFacts {
  /** members with a row: checked */
  members: number;
  /** properties held beyond the household's home, and by how many members */
  propertiesBeyondHome: number;
  propertyHolders: number;
  vehicles: number;
  /** the value band of the dearest vehicle, when the centre sent one */
  vehicleBand: 'under_50k' | '50k_to_150k' | 'over_150k' | null;
  businesses: number;
  /** of them, registrations naming a member only as legal representative, not as an owner */
  businessesRepresentativeOnly: number;
  /** housing-fund contributions, yuan a month added up, and how many members pay them; null when none */
  housingFund: { monthly: number; members: number } | null;
}

/** See HouseholdFacts.membership. */
export interface Membership {
  died: number;
  movedOut: number;
  leftOn: string | null;
  memberLeft: string | null;
  everyoneLeft: boolean;
  born: number;
  bornOn: string | null;
  mainEarnerDied: { name: string; on: string } | null;
}

/** The death of the main earner, as the reasons name it (public-security's events: 公安). */
export function mainEarnerDiedReason(died: { name: string; on: string }): { en: string; zh: string } {
  return { en: `the main earner ${died.name} died on ${died.on} (公安)`, zh: `主要劳动力${died.name}于${died.on}去世（公安）` };
}

/**
 * The roster's income was declared with the main earner alive and was mostly theirs: once they
 * have died it is no longer the household's, unless over the members left it is under the
 * dibao line already (then it still says the household is poor).
 */
export function incomeDeclaredWithMainEarner(h: HouseholdFacts): boolean {
  return h.membership.mainEarnerDied !== null && h.monthlyIncome !== null && h.monthlyIncome / Math.max(1, h.members) >= h.dibaoStandard;
}

/** Nobody left or joined beyond the roster. */
export const NO_MEMBERSHIP_CHANGE: Membership = {
  died: 0, movedOut: 0, leftOn: null, memberLeft: null, everyoneLeft: false, born: 0, bornOn: null, mainEarnerDied: null,
};

export interface DimensionScore {
  /** 0-100 */
  score: number;
  /** the facts behind the points, in words a street worker reads */
  reasons: string[];
  /** the same facts in Chinese, for `--lang zh` exports */
  reasonsZh: string[];
  /**
   * Beside each reason, the departments (ids) whose extracts its facts come from: the reason is
   * dated with an extract older than the period, and these are the facts whose age decides a
   * household's confidence. A reason with none rests on nothing that ages: ages taken from ID
   * numbers at the period's end, the household's size, a fact missing from the record.
   */
  from?: (readonly string[])[];
}

/** Collects each reason in English and Chinese side by side, with the departments its facts come from. */
export class Reasons {
  readonly en: string[] = [];
  readonly zh: string[] = [];
  readonly from: (readonly string[])[] = [];
  add(en: string, zh: string, from: readonly string[] = []): void {
    this.en.push(en);
    this.zh.push(zh);
    this.from.push(from);
  }
  result(score: number): DimensionScore {
    return { score: clamp100(score), reasons: this.en, reasonsZh: this.zh, from: this.from };
  }
}

export const clamp100 = (n: number): number => Math.max(0, Math.min(100, n));
/** one decimal, so that exports are stable and readable */
export const round1 = (n: number): number => Math.round(n * 10) / 10;

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/**
 * A whole number with thousands separators (12,345), as reasons show amounts: what
 * toLocaleString('en-US') writes, grouped by hand; a city's reasons format a yuan figure a
 * million times a month, and ICU's formatter (new per toLocaleString call) was a second of it.
 */
export function wholeYuan(n: number): string {
  const r = Math.round(n);
  if (!Number.isFinite(r) || Math.abs(r) >= 1e15) return grouped.format(r);
  const digits = String(Math.abs(r));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return r < 0 || Object.is(r, -0) ? `-${out}` : out;
}

export function yuan(n: number): string {
  return `${wholeYuan(n)} yuan`;
}

export function yuanZh(n: number): string {
  return `${wholeYuan(n)}元`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
