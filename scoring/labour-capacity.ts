import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { anchors, interpolate } from './curve.js';
import { points, type Dimension } from './dimension.js';
import { mainEarnerDiedReason, plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z.strictObject({
  noAbleEarnerWithDependants: points,
  noAbleEarner: points,
  noWorkingAgeMember: points,
  dependantsPerEarner: anchors,
  mainEarnerDied: points,
});

/**
 * Labour capacity: the working-age members able to earn and in work, against those who depend
 * on them. A household with nobody of working age scores `noWorkingAgeMember`, less than one
 * whose working-age members cannot earn (docs/scoring.md: elderly-only households).
 */
export function scoreLabourCapacity(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.labourCapacity;
  const r = new Reasons();
  // the earners left are counted without the deceased already; the loss itself is the shock (公安)
  const bereaved = h.membership.mainEarnerDied ? c.mainEarnerDied : 0;
  if (h.membership.mainEarnerDied) {
    const why = mainEarnerDiedReason(h.membership.mainEarnerDied);
    r.add(why.en, why.zh, ['public-security']);
  }
  if (h.workingAge === 0) {
    r.add('nobody of working age to earn (living on pensions or support)', '无劳动年龄成员（靠养老金或赡养）');
    return r.result(c.noWorkingAgeMember + bereaved);
  }
  // an able member without work, as the roster says or as human resources registers them (人社),
  // is able to work but earns nothing: not an earner
  const unemployed = Math.min(h.ableEarners, h.ableUnemployed);
  const registered = Math.min(h.ableEarners - unemployed, h.registeredUnemployed.ableBeyondRoster);
  const earners = h.ableEarners - unemployed - registered;
  const notCounted = [
    ...(unemployed > 0 ? [{ en: `${unemployed} unemployed`, zh: `${unemployed}名失业人员` }] : []),
    ...(registered > 0 ? [{ en: `${registered} registered unemployed (人社)`, zh: `${registered}名人社登记失业人员` }] : []),
  ];
  const note = notCounted.length > 0 ? ` (${notCounted.map((n) => n.en).join(', ')}, not counted)` : '';
  const noteZh = notCounted.length > 0 ? `（${notCounted.map((n) => n.zh).join('、')}未计入）` : '';
  const dependants = h.members - earners;
  // who works is the roster's word, and human resources' where it registers someone unemployed
  const from = ['civil-affairs', ...(registered > 0 ? ['human-resources'] : [])];
  if (earners === 0) {
    if (dependants > 1) {
      r.add(`no able earner among ${plural(h.members, 'member')}${note}`, notCounted.length > 0 ? `${h.members}名成员中无在业劳动力${noteZh}` : `${h.members}名成员均无劳动能力`, from);
      return r.result(c.noAbleEarnerWithDependants + bereaved);
    }
    r.add(`no able earner${note}`, notCounted.length > 0 ? `无在业劳动力${noteZh}` : '无劳动能力', from);
    return r.result(c.noAbleEarner + bereaved);
  }
  const load = interpolate(c.dependantsPerEarner, dependants / earners);
  if (load > 0) r.add(`${plural(earners, 'able earner')} for ${plural(dependants, 'dependant')}${note}`, `${earners}名劳动力供养${dependants}人${noteZh}`, from);
  return r.result(load + bereaved);
}

export const labourCapacity: Dimension<'labour_capacity', 'labourCapacity', typeof schema> = {
  id: 'labour_capacity',
  labels: { en: 'labour capacity', zh: '劳动能力' },
  weight: 0.1,
  weightWhy: 'The other four explain and rank more than they decide: together they can still lift a household in the middle of the dibao edge band (1.25x: 0.35 x 43 = 15) over the line.',
  section: 'labourCapacity',
  schema,
  defaults: {
    noAbleEarnerWithDependants: 100,
    // One person of working age who cannot earn, or has no work, feeds nobody else but earns nothing.
    noAbleEarner: 70,
    // Nobody of working age (the elderly, a child alone, grandparents and grandchildren): nobody
    // can earn, but nobody is expected to. Such households live on pensions and on support from
    // children that the roster's income often leaves out, so the absence of earners counts for
    // less than a working-age member who cannot earn (70); their age structure counts the rest.
    noWorkingAgeMember: 30,
    // Dependants per able earner in work, read between these points (3 and more: 60): one wage
    // feeding one more person is a little more load, not a step more. Half a dependant each (two
    // earners and a child) is the ordinary family: nothing.
    dependantsPerEarner: [
      { at: 0.5, points: 0 },
      { at: 1, points: 15 },
      { at: 2, points: 40 },
      { at: 3, points: 60 },
    ],
    // The main earner's death (公安) within populationEvents.recentMonths, on top of the earners
    // it leaves: a household with another earner still lost the wage it lived on.
    mainEarnerDied: 30,
  },
  facts: ['members', 'workingAge', 'ableEarners', 'ableUnemployed', 'registeredUnemployed', 'membership'],
  sources: [
    { from: 'civil-affairs', months: 'period' },
    { from: 'disability', months: 'period' },
    { from: 'health', months: 'period' },
    { from: 'human-resources', months: 'period', note: 'unemployment registrations' },
    { from: 'public-security', months: 'period', note: 'deaths, moves and births' },
  ],
  score: scoreLabourCapacity,
};
