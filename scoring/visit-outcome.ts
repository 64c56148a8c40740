import type { SafetynetConfig } from '../src/config/schema.js';
import { addMonths } from '../src/period.js';
import type { HouseholdFacts } from './household-facts.js';
import type { ReviewReason } from './route.js';

/**
 * What the street workers found changes what the list does next (pure, no database):
 * - a family found not eligible is not listed again for visits.coolDownMonths, unless its score
 *   rises by visits.relistMargin since the visit or a new severe fact appears (the list says which);
 * - a family assisted with dibao or tekun at the door is covered from that day, before the roster
 *   catches up (for visits.rosterLagMonths).
 */
export interface VisitEffect {
  onList: boolean;
  /** kept off the list by the cool-down */
  cooledDown: boolean;
  /** the programme a visit granted that the roster does not show yet */
  coveredByVisit: 'dibao' | 'tekun' | null;
  notes: ReviewReason[];
}


const PROGRAMME_ZH = { dibao: '低保', tekun: '特困' } as const;

export function applyVisits(h: HouseholdFacts, period: string, total: number, onList: boolean, coveredByRoster: boolean, cfg: SafetynetConfig): VisitEffect {
  const notes: ReviewReason[] = [];
  const effect: VisitEffect = { onList, cooledDown: false, coveredByVisit: null, notes };

  if (!coveredByRoster && h.assistedVisit) {
    effect.coveredByVisit = h.assistedVisit.programme;
    notes.push({
      text: `assisted with ${h.assistedVisit.programme} at the visit on ${h.assistedVisit.on} (the roster does not show it yet)`,
      text_zh: `${h.assistedVisit.on}走访时已纳入${PROGRAMME_ZH[h.assistedVisit.programme]}（民政名册尚未更新）`,
    });
    return effect;
  }

  const v = h.lastVisit;
  if (coveredByRoster || !v || v.outcome !== 'not_eligible') return effect;
  const until = addMonths(v.on.slice(0, 7), cfg.visits.coolDownMonths);
  if (period >= until) return effect; // the cool-down is over: listed like any household
  const newFacts: [string | null, string, string][] = [
    [h.latestSevere.inpatient, 'new inpatient stay', '新增住院'],
    [h.latestSevere.diagnosis, 'new severe diagnosis', '新增重病诊断'],
    [h.latestSevere.disability, 'new severe disability certificate', '新增重度残疾证'],
  ];
  const fresh = newFacts.filter(([on]) => on !== null && on > v.on);
  // a household under the threshold needs no re-listing; the cool-down still keeps review flags (exit watch) quiet
  if (fresh.length > 0 && onList) {
    notes.push({
      text: `re-listed: ${fresh.map(([on, en]) => `${en} (${on})`).join(', ')} since the visit on ${v.on} found it not eligible`,
      text_zh: `重新列入：${v.on}走访认定不符合条件后，${fresh.map(([on, , zh]) => `${zh}（${on}）`).join('、')}`,
    });
    return effect;
  }
  if (onList && v.totalThen !== null && total >= v.totalThen + cfg.visits.relistMargin) {
    notes.push({
      text: `re-listed: score up ${(total - v.totalThen).toFixed(1)} since the visit on ${v.on} found it not eligible`,
      text_zh: `重新列入：${v.on}走访认定不符合条件后，得分上升${(total - v.totalThen).toFixed(1)}分`,
    });
    return effect;
  }
  effect.onList = false;
  effect.cooledDown = true;
  if (fresh.length > 0 || !onList) return effect; // not warned: nothing to say on a list it is not on
  notes.push({
    text: `visited ${v.on}: not eligible; not listed before ${until} unless the situation worsens`,
    text_zh: `${v.on}已走访：不符合条件；${until}前不再列入，除非情况恶化`,
  });
  return effect;
}
