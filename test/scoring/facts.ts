import { NO_MEMBERSHIP_CHANGE, type HouseholdFacts } from '../../scoring/household-facts.js';

/**
 * An ordinary household: two working parents (both able to earn) and one child, 12,000 yuan a
 * month in both this and the last period, in a city whose dibao standard is 1,000 yuan per
 * person per month (the urban default of the config), nobody ill or disabled, no medical bills.
 *
 * Age bands follow the default config (adult from 18, elderly from 60, old-old from 80).
 */
export const ordinaryHousehold: Readonly<HouseholdFacts> = Object.freeze({
  householdId: 'H-ORDINARY',
  members: 3,
  minors: 1,
  workingAge: 2,
  elderly: 0,
  oldOld: 0,
  oldestAge: 41,
  unemployedAdults: 0,
  ableEarners: 2,
  ableUnemployed: 0,
  monthlyIncome: 12_000,
  previousMonthlyIncome: 12_000,
  dibaoStandard: 1_000,
  mostSevereGrade: null,
  disabledMembers: 0,
  intellectualOrMentalDisabled: 0,
  severeIllness: 0,
  severeMentalDisorder: 0,
  chronicIllness: 0,
  inpatientStays12m: 0,
  outOfPocket12m: 0,
  assistance: 'none',
  severeMembers: 0,
  recentOutOfPocket: 0,
  leftAssistance: null,
  previousPeriod: '2026-09',
  severeMembersRecovered: 0,
  severeMembersGone: 0,
  lastVisit: null,
  assistedVisit: null,
  latestSevere: { inpatient: null, diagnosis: null, disability: null },
  pensions: null,
  registeredUnemployed: { members: 0, notUnemployedOnRoster: 0, ableBeyondRoster: 0, since: null, latest: null },
  membership: NO_MEMBERSHIP_CHANGE,
  dangerousHouse: null,
  disasters: { loss: 0, count: 0, latest: null, houseDamaged: false },
  students: [],
  schoolYear: null,
  verification: null,
  // every department's extract is the period's own
  evidence: { period: '2026-10', older: {} },
});

/** The ordinary household with some facts changed. The caller keeps the counts consistent. */
export function facts(overrides: Partial<HouseholdFacts> = {}): HouseholdFacts {
  return { ...ordinaryHousehold, ...overrides };
}

/**
 * One elderly person living alone (no able earner) on a 3,000 yuan pension, unchanged since last
 * period. 80+ counts as old-old under the default config.
 */
export function livingAlone(age: number, overrides: Partial<HouseholdFacts> = {}): HouseholdFacts {
  return facts({
    householdId: `H-ALONE-${age}`,
    members: 1,
    minors: 0,
    workingAge: 0,
    elderly: 1,
    oldOld: age >= 80 ? 1 : 0,
    oldestAge: age,
    unemployedAdults: 0,
    ableEarners: 0,
    monthlyIncome: 3_000,
    previousMonthlyIncome: 3_000,
    ...overrides,
  });
}
