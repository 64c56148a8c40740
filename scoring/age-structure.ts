import type { SafetynetConfig } from '../src/config/schema.js';
import { plural, Reasons, type DimensionScore, type HouseholdFacts } from './household-facts.js';

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
    if (ratio >= c.heavyDependencyRatio) {
      points += c.heavyDependency;
      r.add(`${ratio.toFixed(1)} dependants per working-age member`, `每名劳动年龄成员负担${ratio.toFixed(1)}人`);
    }
  }
  return r.result(points);
}
