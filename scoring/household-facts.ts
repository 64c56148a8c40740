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
   * them the roster does not already call unemployed; how many of them the roster counts among
   * the able earners; the earliest and latest registration date.
   */
  registeredUnemployed: { members: number; notUnemployedOnRoster: number; ableOnRoster: number; since: string | null; latest: string | null };
  /** latest dates of the severe facts a visit may not have seen: an inpatient stay, a severe diagnosis recorded, a severe disability certified */
  latestSevere: { inpatient: string | null; diagnosis: string | null; disability: string | null };
}

export interface DimensionScore {
  /** 0-100 */
  score: number;
  /** the facts behind the points, in words a street worker reads */
  reasons: string[];
  /** the same facts in Chinese, for `--lang zh` exports */
  reasonsZh: string[];
}

/** Collects each reason in English and Chinese side by side. */
export class Reasons {
  readonly en: string[] = [];
  readonly zh: string[] = [];
  add(en: string, zh: string): void {
    this.en.push(en);
    this.zh.push(zh);
  }
  result(score: number): DimensionScore {
    return { score: clamp100(score), reasons: this.en, reasonsZh: this.zh };
  }
}

export const clamp100 = (n: number): number => Math.max(0, Math.min(100, n));
/** one decimal, so that exports are stable and readable */
export const round1 = (n: number): number => Math.round(n * 10) / 10;

export function yuan(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')} yuan`;
}

export function yuanZh(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')}元`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
