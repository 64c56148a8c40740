import { describe, expect, it } from 'vitest';
import { scoreEconomic } from '../../scoring/economic.js';
import { suggestRoute } from '../../scoring/route.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

/**
 * What a dangerous-housing appraisal (住建) changes: a grade-D house in a low-income household
 * (covered, income not on record, or under 1.5x the standard after rigid spending) is a reason
 * and 15 points in the economic dimension, and a housing-assistance note on the route's rule.
 */
const cfg = parseConfig(undefined).config;
const gradeD = { grade: 'D' as const, appraisedOn: '2026-08-14' };

describe('a dangerous house (住建)', () => {
  it('grade D in an edge-band household: a reason, points and the housing-assistance note on the route', () => {
    const h = livingAlone(70, { monthlyIncome: 1_200, previousMonthlyIncome: 1_200, dangerousHouse: gradeD });
    const r = scoreEconomic(h, cfg);
    // 1.2x: 86 x 0.3 / 0.5 = 51.6, + 15
    expect(r.score).toBeCloseTo(51.6 + 15, 10);
    expect(r.reasons).toContain('house appraised grade D (dangerous, 住建) on 2026-08-14 in a low-income household: housing assistance (住房救助)');
    expect(r.reasonsZh).toContain('住房经鉴定为D级危房（住建），鉴定日期2026-08-14，低收入家庭：可申请住房救助');
    const route = suggestRoute(h, 40, cfg)!;
    expect(route.route).toBe('dibao_edge');
    expect(route.rule).toBe(
      'per-capita income 1,200 yuan a month is 1.20x the dibao standard of 1,000 yuan (edge band under 1.5x); also housing assistance (住房救助): house appraised grade D (dangerous) on 2026-08-14',
    );
    expect(route.ruleZh).toMatch(/；另可申请住房救助：住房经鉴定为D级危房（2026-08-14）$/);
  });

  it('grade D in a covered household is a reason (no route: it is covered)', () => {
    const h = livingAlone(70, { monthlyIncome: 300, assistance: 'dibao', dangerousHouse: gradeD });
    expect(scoreEconomic(h, cfg).reasons.some((x) => x.startsWith('house appraised grade D'))).toBe(true);
    expect(suggestRoute(h, 80, cfg)).toBeNull();
  });

  it('grade C, or grade D in a household well above the edge band, changes nothing', () => {
    for (const h of [
      livingAlone(70, { monthlyIncome: 1_200, previousMonthlyIncome: 1_200, dangerousHouse: { grade: 'C', appraisedOn: '2026-08-14' } }),
      facts({ dangerousHouse: gradeD }),
    ]) {
      const plain = { ...h, dangerousHouse: null };
      expect(scoreEconomic(h, cfg)).toEqual(scoreEconomic(plain, cfg));
      expect(suggestRoute(h, 40, cfg)).toEqual(suggestRoute(plain, 40, cfg));
    }
  });
});
