import { describe, expect, it } from 'vitest';
import { scoreLabourCapacity } from '../../scoring/labour-capacity.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

// Defaults: no able earner with dependants 100, no able earner (alone) 70;
// dependants per able earner >= 3 -> 60, >= 2 -> 40, >= 1 -> 15, else 0.
const cfg = parseConfig(undefined).config;

describe('labour capacity', () => {
  it('two earners and one child scores 0', () => {
    // dependants 3 - 2 = 1; 1 / 2 = 0.5 < 1
    const r = scoreLabourCapacity(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('two earners and two children: one dependant each', () => {
    // (4 - 2) / 2 = 1 -> 15
    const r = scoreLabourCapacity(facts({ members: 4, minors: 2 }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons).toEqual(['2 able earners for 2 dependants']);
  });

  it('one earner for two dependants', () => {
    // (3 - 1) / 1 = 2 -> 40
    const r = scoreLabourCapacity(facts({ ableEarners: 1 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 able earner for 2 dependants']);
  });

  it('one earner for three or more dependants', () => {
    // (4 - 1) / 1 = 3 -> 60; (6 - 1) / 1 = 5 -> 60
    expect(scoreLabourCapacity(facts({ members: 4, ableEarners: 1 }), cfg).score).toBe(60);
    const r = scoreLabourCapacity(facts({ members: 6, ableEarners: 1 }), cfg);
    expect(r.score).toBe(60);
    expect(r.reasons).toEqual(['1 able earner for 5 dependants']);
  });

  it('one dependant only', () => {
    // (2 - 1) / 1 = 1 -> 15; the reason is singular
    const r = scoreLabourCapacity(facts({ members: 2, ableEarners: 1 }), cfg);
    expect(r.score).toBe(15);
    expect(r.reasons).toEqual(['1 able earner for 1 dependant']);
  });

  it('no able earner with dependants is 100', () => {
    const r = scoreLabourCapacity(facts({ ableEarners: 0 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['no able earner among 3 members']);
    expect(scoreLabourCapacity(facts({ members: 2, minors: 0, ableEarners: 0 }), cfg).score).toBe(100);
  });

  it('a person alone who cannot earn scores 70', () => {
    const r = scoreLabourCapacity(livingAlone(82), cfg);
    expect(r.score).toBe(70);
    expect(r.reasons).toEqual(['no able earner']);
  });

  it('a single able earner alone scores 0', () => {
    expect(scoreLabourCapacity(facts({ members: 1, minors: 0, workingAge: 1, ableEarners: 1 }), cfg).score).toBe(0);
  });

  it('checks the steps from the highest down whatever order the config lists them in', () => {
    const { config } = parseConfig({
      labourCapacity: {
        dependantsPerEarner: [
          { atLeast: 1, points: 15 },
          { atLeast: 3, points: 60 },
          { atLeast: 2, points: 40 },
        ],
      },
    });
    for (const members of [2, 3, 4, 7]) {
      const h = facts({ members, ableEarners: 1 });
      expect(scoreLabourCapacity(h, config).score).toBe(scoreLabourCapacity(h, cfg).score);
    }
  });

  it('a district can replace the steps', () => {
    const { config } = parseConfig({ labourCapacity: { dependantsPerEarner: [{ atLeast: 0.5, points: 10 }] } });
    // ordinary: 1 / 2 = 0.5 -> 10; (3 - 1) / 1 = 2 -> still 10 (only one step)
    expect(scoreLabourCapacity(facts(), config).score).toBe(10);
    expect(scoreLabourCapacity(facts({ ableEarners: 1 }), config).score).toBe(10);
  });
});
