import { describe, expect, it } from 'vitest';
import { scoreHousehold } from '../../scoring/combine.js';
import { scoreEconomic } from '../../scoring/economic.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

/**
 * What a disaster (应急) in the last 12 months changes: its loss counts as rigid spending (see
 * rigid-spending.test.ts) and the event is named with its loss in the economic reasons; it lists
 * a household only through the scores, never by itself.
 */
const cfg = parseConfig(undefined).config;

describe('a recent disaster (应急)', () => {
  it('is named with its loss, the damaged house, and how many there were', () => {
    const h = facts({
      monthlyIncome: 3_300,
      previousMonthlyIncome: 3_300,
      disasters: { loss: 36_000, count: 2, latest: { event: '2026年7月暴雨洪涝', on: '2026-07-20' }, houseDamaged: true },
    });
    const r = scoreEconomic(h, cfg);
    expect(r.reasons).toContain('disaster (应急): 2026年7月暴雨洪涝 on 2026-07-20, loss 36,000 yuan, house damaged (2 disasters in 12 months)');
    expect(r.reasonsZh).toContain('受灾（应急）：2026年7月暴雨洪涝（2026-07-20），损失36,000元，房屋受损（12个月内受灾2次）');
    // (3,300 - 3,000) / 3 = 100 a person after the loss: deep under the line
    expect(r.score).toBeCloseTo(86 + 14 * 0.9, 10);
  });

  it('does not list a comfortable household by itself, however large the loss', () => {
    const h = facts({ disasters: { loss: 80_000, count: 1, latest: { event: '地震', on: '2026-09-01' }, houseDamaged: true } });
    expect(scoreHousehold(h, cfg).onList).toBe(false);
  });
});
