import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { points, type Dimension } from './dimension.js';
import { mainEarnerDiedReason, plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z.strictObject({
  noAbleEarnerWithDependants: points,
  noAbleEarner: points,
  dependantsPerEarner: z.array(z.strictObject({ atLeast: z.number().positive(), points })).min(1),
  mainEarnerDied: points,
});

/** Labour capacity: working-age members able to earn against those who depend on them. */
export function scoreLabourCapacity(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.labourCapacity;
  const r = new Reasons();
  // the earners left are counted without the deceased already; the loss itself is the shock (公安)
  const bereaved = h.membership.mainEarnerDied ? c.mainEarnerDied : 0;
  if (h.membership.mainEarnerDied) {
    const why = mainEarnerDiedReason(h.membership.mainEarnerDied);
    r.add(why.en, why.zh);
  }
  // a member registered unemployed (人社) is able to work but without work: no earner
  const notEarning = Math.min(h.ableEarners, h.registeredUnemployed.ableOnRoster);
  const earners = h.ableEarners - notEarning;
  const note = notEarning > 0 ? ` (${notEarning} registered unemployed (人社), not counted)` : '';
  const noteZh = notEarning > 0 ? `（${notEarning}名人社登记失业人员未计入）` : '';
  const dependants = h.members - earners;
  if (earners === 0) {
    if (dependants > 1) {
      r.add(`no able earner among ${plural(h.members, 'member')}${note}`, notEarning > 0 ? `${h.members}名成员中无在业劳动力${noteZh}` : `${h.members}名成员均无劳动能力`);
      return r.result(c.noAbleEarnerWithDependants + bereaved);
    }
    r.add(`no able earner${note}`, notEarning > 0 ? `无在业劳动力${noteZh}` : '无劳动能力');
    return r.result(c.noAbleEarner + bereaved);
  }
  const ratio = dependants / earners;
  // steps are checked from the highest ratio down, whatever order the config lists them in
  const step = [...c.dependantsPerEarner].sort((a, b) => b.atLeast - a.atLeast).find((s) => ratio >= s.atLeast);
  if (!step) return r.result(bereaved);
  r.add(`${plural(earners, 'able earner')} for ${plural(dependants, 'dependant')}${note}`, `${earners}名劳动力供养${dependants}人${noteZh}`);
  return r.result(step.points + bereaved);
}

export const labourCapacity: Dimension<'labour_capacity', 'labourCapacity', typeof schema> = {
  id: 'labour_capacity',
  labels: { en: 'labour capacity', zh: '劳动能力' },
  weight: 0.1,
  weightWhy: 'The other four explain and rank more than they decide: together they can still lift a household in the dibao edge band (0.35 x 45 = 15.8) over the line.',
  section: 'labourCapacity',
  schema,
  defaults: {
    noAbleEarnerWithDependants: 100,
    noAbleEarner: 70,
    // Dependants per able earner: each step says one wage feeds more people.
    dependantsPerEarner: [
      { atLeast: 3, points: 60 },
      { atLeast: 2, points: 40 },
      { atLeast: 1, points: 15 },
    ],
    // The main earner's death (公安) within populationEvents.recentMonths, on top of the earners
    // it leaves: a household with another earner still lost the wage it lived on.
    mainEarnerDied: 30,
  },
  facts: ['members', 'ableEarners', 'registeredUnemployed', 'membership'],
  sources: [
    { from: 'civil-affairs', months: 'period' },
    { from: 'disability', months: 'period' },
    { from: 'health', months: 'period' },
    { from: 'human-resources', months: 'period', note: 'unemployment registrations' },
    { from: 'public-security', months: 'period', note: 'deaths, moves and births' },
  ],
  score: scoreLabourCapacity,
};
