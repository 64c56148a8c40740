import { z } from 'zod';
import type { SafetynetConfig } from '../src/config/schema.js';
import { anchors, interpolate } from './curve.js';
import { points, type Dimension } from './dimension.js';
import { plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

const schema = z.strictObject({
  perOldOld: points,
  perElderly: points,
  perMinor: points,
  elderlyLivingAlone: points,
  dependantsPerWorkingAge: anchors,
  noWorkingAgeMember: points,
});

/** Age structure: the very old, the young, and how many depend on each working-age adult. */
export function scoreAgeStructure(h: HouseholdFacts, cfg: SafetynetConfig): DimensionScore {
  const c = cfg.ageStructure;
  const { elderlyFrom, oldOldFrom } = cfg.ages;
  const r = new Reasons();
  let points = 0;

  const youngOld = h.elderly - h.oldOld;
  if (h.oldOld > 0) {
    points += h.oldOld * c.perOldOld;
    r.add(`${plural(h.oldOld, 'member')} aged ${oldOldFrom}+`, `${h.oldOld}名${oldOldFrom}岁以上成员`);
  }
  if (youngOld > 0) {
    points += youngOld * c.perElderly;
    r.add(`${plural(youngOld, 'member')} aged ${elderlyFrom}-${oldOldFrom - 1}`, `${youngOld}名${elderlyFrom}-${oldOldFrom - 1}岁成员`);
  }
  if (h.minors > 0) {
    points += h.minors * c.perMinor;
    r.add(plural(h.minors, 'minor'), `${h.minors}名未成年人`);
  }
  if (h.members === 1 && h.elderly === 1) {
    points += c.elderlyLivingAlone;
    const age = h.oldestAge ?? `${elderlyFrom}+`;
    r.add(`lives alone at ${age}`, `${age}岁独居`);
  } else if (h.workingAge === 0) {
    // includes a minor registered alone: nobody of working age to raise them
    points += c.noWorkingAgeMember;
    r.add('no member of working age', '无劳动年龄成员');
  } else {
    const ratio = (h.members - h.workingAge) / h.workingAge;
    const load = interpolate(c.dependantsPerWorkingAge, ratio);
    if (load > 0) {
      points += load;
      r.add(`${ratio.toFixed(1)} dependants per working-age member`, `每名劳动年龄成员负担${ratio.toFixed(1)}人`);
    }
  }
  return r.result(points);
}

export const ageStructure: Dimension<'age_structure', 'ageStructure', typeof schema> = {
  id: 'age_structure',
  labels: { en: 'age structure', zh: '年龄结构' },
  weight: 0.1,
  weightWhy: 'The other four explain and rank more than they decide: together they can still lift a household in the middle of the dibao edge band (1.25x: 0.35 x 43 = 15) over the line.',
  section: 'ageStructure',
  schema,
  defaults: {
    perOldOld: 30,
    perElderly: 15,
    perMinor: 10,
    // An elderly person alone has nobody to notice a crisis: the strongest age signal.
    elderlyLivingAlone: 40,
    // Dependants per working-age adult, read between these points: one each (two parents, two
    // children) is ordinary, two each a heavy load (20), and the load grows in between.
    dependantsPerWorkingAge: [
      { at: 1, points: 0 },
      { at: 2, points: 20 },
    ],
    noWorkingAgeMember: 30,
  },
  facts: ['members', 'minors', 'workingAge', 'elderly', 'oldOld', 'oldestAge'],
  sources: [{ from: 'civil-affairs', months: 'period', note: 'ages from ID numbers' }],
  score: scoreAgeStructure,
};
