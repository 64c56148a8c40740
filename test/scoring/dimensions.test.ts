import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scoreHousehold } from '../../scoring/combine.js';
import { points, type Dimension } from '../../scoring/dimension.js';
import { defaultSections, DIMENSIONS } from '../../scoring/dimensions.js';
import { Reasons } from '../../scoring/household-facts.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load-config.js';
import { configSchemaFor, dimensionIds } from '../../src/config/schema.js';
import { ConfigInvalid } from '../../src/errors.js';
import { livingAlone, ordinaryHousehold } from './facts.js';

const cfg = parseConfig(undefined).config;

describe('the registry of dimensions', () => {
  it('holds the six dimensions of the contract, in the order of its list columns', () => {
    expect(DIMENSIONS.map((d) => d.id)).toEqual(['age_structure', 'economic', 'health', 'disability', 'medical_burden', 'labour_capacity']);
    expect(dimensionIds).toEqual(DIMENSIONS.map((d) => d.id));
    expect(DIMENSIONS.map((d) => d.labels.zh)).toEqual(['年龄结构', '经济状况', '健康状况', '残疾状况', '医疗支出负担', '劳动能力']);
    expect(DIMENSIONS.map((d) => d.labels.en)).toEqual(['age structure', 'economic', 'health', 'disability', 'medical burden', 'labour capacity']);
  });

  it('declares each dimension whole: a weight with its why, valid defaults, facts the scoring sees, sources', () => {
    for (const d of DIMENSIONS) {
      expect(d.weightWhy.length, d.id).toBeGreaterThan(20);
      expect(d.schema.safeParse(d.defaults).success, d.id).toBe(true);
      expect(d.facts.length, d.id).toBeGreaterThan(0);
      for (const fact of d.facts) expect(Object.keys(ordinaryHousehold), `${d.id} reads ${fact}`).toContain(fact);
      expect(d.sources.length, d.id).toBeGreaterThan(0);
    }
    expect(new Set(DIMENSIONS.map((d) => d.section)).size).toBe(DIMENSIONS.length);
    expect(DIMENSIONS.reduce((a, d) => a + d.weight, 0)).toBeCloseTo(1, 9);
  });

  it('gives the config its weights and sections, under the keys config files have always used', () => {
    expect(cfg.weights).toEqual({ age_structure: 0.1, economic: 0.35, health: 0.1, disability: 0.1, medical_burden: 0.25, labour_capacity: 0.1 });
    expect(Object.keys(cfg)).toEqual(expect.arrayContaining(['ageStructure', 'economic', 'health', 'disability', 'medicalBurden', 'labourCapacity']));
    for (const d of DIMENSIONS) expect((cfg as Record<string, unknown>)[d.section], d.section).toEqual(d.defaults);
    // a district's file of before the registry still parses, and means what it meant
    const district = parseConfig({ weights: { economic: 0.3, health: 0.15 }, medicalBurden: { catastrophicRatio: 0.3 }, labourCapacity: { noAbleEarner: 60 } });
    expect(district.config.weights.economic).toBe(0.3);
    expect(district.config.medicalBurden).toEqual({ floorRatio: 0.1, catastrophicRatio: 0.3, catastrophicPoints: 60, hardshipRatio: 1 });
    expect(district.config.labourCapacity.noAbleEarner).toBe(60);
  });

  it("checks a section's own rule with the rest of the config, under the section's name", () => {
    let err: unknown;
    try {
      parseConfig({ medicalBurden: { floorRatio: 0.5 }, warningThreshold: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalid);
    const problems = (err as ConfigInvalid).problems;
    expect(problems).toContain('medicalBurden: ratios must satisfy floorRatio < catastrophicRatio < hardshipRatio');
    expect(problems.some((p) => p.startsWith('warningThreshold'))).toBe(true);
  });
});

describe('a seventh dimension, declared in this test alone', () => {
  // Isolation: a person registered alone has nobody to notice a crisis.
  const schema = z.strictObject({ livingAlone: points });
  const isolation: Dimension<'isolation', 'isolation', typeof schema> = {
    id: 'isolation',
    labels: { en: 'isolation', zh: '社会隔离' },
    weight: 0.05,
    weightWhy: 'a test dimension: weight taken from age structure, so that the weights still add up to 1',
    section: 'isolation',
    schema,
    defaults: { livingAlone: 50 },
    facts: ['members'],
    sources: [{ from: 'civil-affairs', months: 'period' }],
    score(h, _cfg, own) {
      const r = new Reasons();
      if (h.members !== 1) return r.result(0);
      r.add('registered alone', '单人户');
      return r.result(own.livingAlone);
    },
  };
  const model = [...DIMENSIONS, isolation] as const;
  const weights = { ...cfg.weights, age_structure: 0.05, isolation: 0.05 };
  const config = configSchemaFor(model).parse({ ...defaultConfig, ...defaultSections(model), weights });

  it('is scored, weighted and named in the reasons with the six', () => {
    // 82 alone on 600 yuan: economic 91.6 x 0.35 = 32.06, age 70 x 0.05 = 3.5, labour (nobody of
    // working age) 30 x 0.1 = 3, isolation 50 x 0.05 = 2.5: 41.06 -> 41.1 (yellow)
    const r = scoreHousehold(livingAlone(82, { monthlyIncome: 600, previousMonthlyIncome: 600 }), config, model);
    expect(r.dimensions).toEqual({ age_structure: 70, economic: 91.6, health: 0, disability: 0, medical_burden: 0, labour_capacity: 30, isolation: 50 });
    expect(r.total).toBe(41.1);
    expect(r.tier).toBe('yellow');
    expect(r.reasons.map((x) => [x.dimension, x.points, x.text, x.text_zh])).toEqual([
      ['economic', 32.1, 'income 600 yuan per person a month, under the local dibao standard of 1,000 yuan', '人均月收入600元，低于当地低保标准1,000元'],
      ['age_structure', 3.5, '1 member aged 80+, lives alone at 82', '1名80岁以上成员，82岁独居'],
      ['labour_capacity', 3, 'nobody of working age to earn (living on pensions or support)', '无劳动年龄成员（靠养老金或赡养）'],
      ['isolation', 2.5, 'registered alone', '单人户'],
    ]);
  });

  it('reads its own config section, validated with the rest: its weight and its constants', () => {
    const louder = configSchemaFor(model).parse({ ...config, isolation: { livingAlone: 100 } });
    expect(scoreHousehold(livingAlone(82), louder, model).dimensions.isolation).toBe(100);
    const refused = configSchemaFor(model).safeParse({ ...config, weights: { ...weights, isolation: 0.2 }, isolation: { livingAlone: 120 } });
    expect(refused.success).toBe(false);
    const messages = refused.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages.some((m) => m.startsWith('isolation.livingAlone'))).toBe(true);
    expect(messages.some((m) => m.startsWith('weights: weights must add up to 1'))).toBe(true);
    expect(configSchemaFor(model).safeParse({ ...config, weights: cfg.weights }).success).toBe(false);
  });

  it('leaves the registry of the product alone: its config knows no isolation', () => {
    expect(DIMENSIONS.map((d) => d.id)).not.toContain('isolation');
    expect(() => parseConfig({ isolation: { livingAlone: 50 } })).toThrow(ConfigInvalid);
    expect(scoreHousehold(livingAlone(82), cfg).dimensions).not.toHaveProperty('isolation');
  });
});
