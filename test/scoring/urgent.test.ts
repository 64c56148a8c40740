import { describe, expect, it } from 'vitest';
import { urgentWarnings, type DayEvent, type UrgentInput } from '../../scoring/urgent.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

/**
 * The night's rules on one household (pure): standard 1,000 yuan a person, threshold 30,
 * severeEventIncomeMultiple 3, lowIncomeMultiple 2. The household below was two and earned
 * 2,400 a month until the main earner died on 2026-11-06; one member is left.
 */
const cfg = parseConfig(undefined).config;
const widow = facts({
  members: 1, workingAge: 1, minors: 0, ableEarners: 0, monthlyIncome: 2_400,
  membership: { died: 1, movedOut: 0, leftOn: '2026-11-06', memberLeft: '王*', everyoneLeft: false, born: 0, bornOn: null, mainEarnerDied: { name: '王*', on: '2026-11-06' } },
});
const death: DayEvent = { kind: 'death', key: 'public-security:death:a', on: '2026-11-06' };
const flood = (loss: number, houseDamaged: boolean, key = 'emergency:flood:2026-11-07'): DayEvent => ({ kind: 'disaster', key, on: '2026-11-07', event: 'flood', loss, houseDamaged });
const night = (over: Partial<UrgentInput>) =>
  urgentWarnings({ facts: widow, previousTotal: 40, total: 45, onList: true, covered: false, events: [], ...over }, cfg);

describe("the main earner's death", () => {
  it('warns in a low-income household: 1,200 a person with the earner alive is under twice the standard', () => {
    expect(night({ events: [death] })).toEqual([
      {
        key: death.key,
        kind: 'main_earner_died',
        reason: "the main earner 王* died on 2026-11-06 (公安): a low-income household (the roster's 2,400 yuan a month was declared with them, 1 member left)",
        reason_zh: '主要劳动力王*于2026-11-06去世（公安）：低收入家庭（民政名册登记的家庭月收入2,400元含其收入，现有成员1人）',
      },
    ]);
  });

  it('does not warn in a household that earned 2,000 a person or more, unless it is assisted', () => {
    const comfortable = { ...widow, monthlyIncome: 4_000 };
    expect(night({ facts: comfortable, events: [death] })).toEqual([]);
    expect(night({ facts: comfortable, events: [death], covered: true }).map((w) => w.kind)).toEqual(['main_earner_died']);
  });

  it("does not warn for a death that is not the main earner's", () => {
    expect(night({ events: [{ ...death, on: '2026-11-01' }] })).toEqual([]);
    expect(night({ facts: { ...widow, membership: { ...widow.membership, mainEarnerDied: null } }, events: [death] })).toEqual([]);
  });
});

describe('a disaster', () => {
  it("warns when the loss is three months of income or the house was damaged, once for the household's disaster", () => {
    // 2,400 a month: 7,200 is the line
    expect(night({ events: [flood(7_199, false)] })).toEqual([]);
    const [big] = night({ events: [flood(7_200, false), flood(3_000, false)] });
    expect(big).toMatchObject({ kind: 'disaster_loss', reason: "disaster (应急): flood on 2026-11-07, loss 7,200 yuan, 3.0x the household's monthly income" });
    expect(night({ events: [flood(0, true)] })).toEqual([
      { key: 'emergency:flood:2026-11-07', kind: 'disaster_loss', reason: 'disaster (应急): flood on 2026-11-07, loss 0 yuan, house damaged', reason_zh: '受灾（应急）：flood（2026-11-07），损失0元，房屋受损' },
    ]);
  });
});

describe('crossing the warning threshold', () => {
  it('names the largest bill first, then a death, then a disaster', () => {
    const bill: DayEvent = { kind: 'bill', key: 'medical-insurance:C-1', on: '2026-11-08', inpatient: false, outOfPocket: 300 };
    const crossing = (events: DayEvent[]) =>
      urgentWarnings({ facts: { ...widow, membership: { ...widow.membership, mainEarnerDied: null } }, previousTotal: 25, total: 31, onList: true, covered: false, events }, cfg);
    expect(crossing([flood(100, false), death, bill])).toEqual([
      { key: bill.key, kind: 'crossed_threshold', reason: 'score 25.0 → 31.0 with the claims settled 2026-11-08: over the warning threshold of 30', reason_zh: '计入2026-11-08结算的医疗费后，得分由25.0升至31.0，超过预警线30' },
    ]);
    expect(crossing([flood(100, false), death])[0]).toMatchObject({ key: death.key, reason: "score 25.0 → 31.0 with a member's death on 2026-11-06 (公安): over the warning threshold of 30" });
    expect(crossing([flood(100, false)])[0]).toMatchObject({ reason: 'score 25.0 → 31.0 with the disaster flood on 2026-11-07 (应急): over the warning threshold of 30' });
    // a birth alone can tip a household too (one more dependant)
    expect(crossing([{ kind: 'birth', key: 'public-security:birth:b', on: '2026-11-09' }])[0]!.reason).toContain('with a child born on 2026-11-09 (公安)');
  });
});
