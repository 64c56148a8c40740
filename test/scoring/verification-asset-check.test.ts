import { describe, expect, it } from 'vitest';
import { ASSETS_FLAGGED, assetCheck, routeConfidence, verifiedIncome } from '../../scoring/asset-check.js';
import { assessHousehold } from '../../scoring/assess-household.js';
import { scoreEconomic } from '../../scoring/economic.js';
import type { VerificationFacts } from '../../scoring/household-facts.js';
import { suggestRoute } from '../../scoring/route.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

/**
 * What the information verification (核对) makes of a household: an asset-check note for the
 * visit, a verified income far above the roster's named in the reasons, a route of low
 * confidence; never a lower score, never off the list. Default config: housing-fund rate 24%,
 * verified income checked from 2x the roster's.
 */
const cfg = parseConfig(undefined).config;

const found = (over: Partial<VerificationFacts> = {}): VerificationFacts => ({
  members: 1, propertiesBeyondHome: 0, propertyHolders: 0, vehicles: 0, vehicleBand: null,
  businesses: 0, businessesRepresentativeOnly: 0, housingFund: null, ...over,
});

/** a family of 3 on 900 yuan a month: under the 1,000 yuan standard, listed on income alone */
const poor = (verification: VerificationFacts | null) => facts({ monthlyIncome: 900, previousMonthlyIncome: 900, verification });

describe('the asset-check note', () => {
  it('says what to check at the visit: vehicles, businesses, property beyond the home', () => {
    expect(assetCheck(poor(found({ vehicles: 2, businesses: 1 })))).toEqual({
      en: 'check assets at the visit: 2 vehicles registered, one business',
      zh: '入户时核查财产：登记机动车2辆，工商登记1户',
    });
    expect(assetCheck(poor(found({ vehicles: 1, vehicleBand: 'over_150k', businesses: 2, businessesRepresentativeOnly: 2, propertiesBeyondHome: 1, propertyHolders: 1 })))).toEqual({
      en: 'check assets at the visit: one vehicle registered (the dearest over 150,000 yuan), 2 businesses (as legal representative only), one property beyond the home',
      zh: '入户时核查财产：登记机动车1辆（最高价值15万元以上），工商登记2户（仅为法定代表人），住房以外房产1套',
    });
  });

  it('has nothing to say when the verification found no asset, or did not check the household', () => {
    expect(assetCheck(poor(null))).toBeNull();
    // a home and a housing fund are no asset to explain: the fund is weighed as income
    expect(assetCheck(poor(found({ housingFund: { monthly: 100, members: 1 } })))).toBeNull();
  });

  it('masked, it says that assets were flagged and not what', () => {
    expect(ASSETS_FLAGGED.en).toBe('check assets at the visit: assets flagged');
    expect(ASSETS_FLAGGED.en).not.toMatch(/\d/);
    expect(ASSETS_FLAGGED.zh).not.toMatch(/\d/);
  });
});

describe('flags never take a household off the list', () => {
  it('two cars and a business: same score, still listed, route of low confidence, the note on the assessment', () => {
    const without = assessHousehold(poor(null), '2026-10', cfg);
    const flagged = assessHousehold(poor(found({ vehicles: 2, businesses: 1 })), '2026-10', cfg);
    expect(flagged.total).toBe(without.total);
    expect(flagged.onList).toBe(true);
    expect(without.route).toMatchObject({ route: 'dibao', confidence: 'high' });
    expect(flagged.route).toMatchObject({ route: 'dibao', confidence: 'low' });
    expect(flagged.assetCheck?.en).toBe('check assets at the visit: 2 vehicles registered, one business');
    expect(without.assetCheck).toBeNull();
  });

  it('a covered household has no route to doubt, but the note still goes on its card', () => {
    const covered = assessHousehold(facts({ monthlyIncome: 900, assistance: 'dibao', verification: found({ vehicles: 1 }) }), '2026-10', cfg);
    expect(covered.route).toBeNull();
    expect(covered.assetCheck?.en).toBe('check assets at the visit: one vehicle registered');
  });
});

describe('verified income from the housing fund', () => {
  it('implies the wage at the 24% combined rate, and counts from 2x the roster', () => {
    // 1,200 yuan a month of contributions: a wage of 5,000; the roster says 900
    const v = verifiedIncome(poor(found({ housingFund: { monthly: 1_200, members: 1 } })), cfg);
    expect(v).toEqual({ housingFund: { monthly: 1_200, members: 1 }, wages: 5_000, pensions: 0, monthly: 5_000 });
    // 360 a month: a wage of 1,500, under 2 x 900: no question to ask
    expect(verifiedIncome(poor(found({ housingFund: { monthly: 360, members: 1 } })), cfg)).toBeNull();
    // pensions count beside the wages: 1,500 + 400 = 1,900 >= 1,800
    expect(verifiedIncome(facts({ monthlyIncome: 900, pensions: { monthly: 400, members: 1 }, verification: found({ housingFund: { monthly: 360, members: 1 } }) }), cfg)?.monthly).toBe(1_900);
  });

  it("names the figure the score uses and why; the score and the list stay as the roster's figure makes them", () => {
    const household = poor(found({ housingFund: { monthly: 1_200, members: 1 } }));
    const economic = scoreEconomic(household, cfg);
    expect(economic.score).toBe(scoreEconomic(poor(null), cfg).score);
    expect(economic.reasons).toContain(
      "verified income about 5,000 yuan a month: a member's housing-fund contributions of 1,200 yuan a month (核对) imply wages of about 5,000 yuan " +
        "(at a combined rate of 24%); the roster says 900 (2x that or more asks for a check): the score keeps the roster's figure until the visit " +
        'verifies income (a verification never takes a household off the list)',
    );
    expect(economic.reasonsZh).toContain(
      '核对收入约每月5,000元：住房公积金月缴存额1,200元（核对），按合计缴存比例24%推算工资约5,000元；名册为900元，核对收入达其2倍以上：评分仍按名册收入，待入户核实收入（核对信息不会使家庭移出名单）',
    );
    const assessed = assessHousehold(household, '2026-10', cfg);
    expect(assessed.onList).toBe(true);
    expect(assessed.route?.confidence).toBe('low');
    expect(assessed.assetCheck).toBeNull();
  });

  it('with no income on record, says so and keeps income as unknown', () => {
    const reasons = scoreEconomic(facts({ monthlyIncome: null, verification: found({ housingFund: { monthly: 240, members: 1 } }) }), cfg).reasons;
    expect(reasons[0]).toBe(
      "verified income about 1,000 yuan a month: a member's housing-fund contributions of 240 yuan a month (核对) imply wages of about 1,000 yuan " +
        '(at a combined rate of 24%); the roster has no income on record: the score keeps income as unknown until the visit verifies income ' +
        '(a verification never takes a household off the list)',
    );
  });

  it('reads the rate and the multiple from the config', () => {
    const own = parseConfig({ economic: { housingFundRate: 0.1, verifiedIncomeMultiple: 3 } }).config;
    const household = poor(found({ housingFund: { monthly: 240, members: 1 } }));
    // 240 at 10%: 2,400, under 3 x 900
    expect(verifiedIncome(household, own)).toBeNull();
    expect(routeConfidence(household, own)).toBe('high');
    expect(verifiedIncome(poor(found({ housingFund: { monthly: 270, members: 1 } })), own)?.wages).toBe(2_700);
    expect(suggestRoute(poor(found({ housingFund: { monthly: 270, members: 1 } })), 40, own)?.confidence).toBe('low');
  });
});
