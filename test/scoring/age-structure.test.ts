import { describe, expect, it } from 'vitest';
import { scoreAgeStructure } from '../../scoring/age-structure.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts, livingAlone } from './facts.js';

// Defaults: perOldOld 30, perElderly 15, perMinor 10, elderlyLivingAlone 40,
// dependants per working-age member 0 up to 1, rising in a straight line to 20 at 2, 20 beyond;
// noWorkingAgeMember 30; ages 18 / 60 / 80.
const cfg = parseConfig(undefined).config;

describe('age structure', () => {
  it('an ordinary family of two working-age parents and one child scores only for the child', () => {
    // 1 minor x 10 = 10; dependants per working-age member (3 - 2) / 2 = 0.5 < 2
    const r = scoreAgeStructure(facts(), cfg);
    expect(r.score).toBe(10);
    expect(r.reasons).toEqual(['1 minor']);
  });

  it('two working-age adults alone score 0 with nothing to say', () => {
    const r = scoreAgeStructure(facts({ members: 2, minors: 0 }), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('an 82-year-old living alone scores high: 80+ and living alone', () => {
    // 1 old-old x 30 + living alone 40 = 70
    const r = scoreAgeStructure(livingAlone(82), cfg);
    expect(r.score).toBe(70);
    expect(r.reasons).toEqual(['1 member aged 80+', 'lives alone at 82']);
  });

  it('a 72-year-old living alone counts as elderly (60-79), not old-old', () => {
    // 1 elderly x 15 + living alone 40 = 55
    const r = scoreAgeStructure(livingAlone(72), cfg);
    expect(r.score).toBe(55);
    expect(r.reasons).toEqual(['1 member aged 60-79', 'lives alone at 72']);
  });

  it('living alone without a known age still says 60+', () => {
    const r = scoreAgeStructure(livingAlone(70, { oldestAge: null }), cfg);
    expect(r.score).toBe(55);
    expect(r.reasons).toContain('lives alone at 60+');
  });

  it('an elderly couple (75 and 83) with nobody of working age', () => {
    // old-old 1 x 30 + elderly 1 x 15 + no working-age member 30 = 75
    const r = scoreAgeStructure(
      facts({ members: 2, minors: 0, workingAge: 0, elderly: 2, oldOld: 1, oldestAge: 83, ableEarners: 0 }),
      cfg,
    );
    expect(r.score).toBe(75);
    expect(r.reasons).toEqual(['1 member aged 80+', '1 member aged 60-79', 'no member of working age']);
  });

  it('a grandparent raising two grandchildren alone', () => {
    // elderly 1 x 15 + minors 2 x 10 + no working-age member 30 = 65
    const r = scoreAgeStructure(
      facts({ members: 3, minors: 2, workingAge: 0, elderly: 1, oldOld: 0, oldestAge: 68, ableEarners: 0 }),
      cfg,
    );
    expect(r.score).toBe(65);
    expect(r.reasons).toEqual(['1 member aged 60-79', '2 minors', 'no member of working age']);
  });

  it('two dependants per working-age member is a heavy load', () => {
    // one working-age adult, a 65-year-old parent and a child: (3 - 1) / 1 = 2.0 >= 2
    // elderly 15 + minor 10 + heavy dependency 20 = 45
    const r = scoreAgeStructure(facts({ members: 3, minors: 1, workingAge: 1, elderly: 1, oldestAge: 65, ableEarners: 1 }), cfg);
    expect(r.score).toBe(45);
    expect(r.reasons).toEqual(['1 member aged 60-79', '1 minor', '2.0 dependants per working-age member']);
  });

  it('1.5 dependants per working-age member is half the heavy load: the load grows, it does not step', () => {
    // two parents, three children: (5 - 2) / 2 = 1.5 -> 20 x 0.5 = 10; minors 3 x 10 = 30; 40
    const r = scoreAgeStructure(facts({ members: 5, minors: 3 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['3 minors', '1.5 dependants per working-age member']);
    // one each (two parents, two children) is ordinary: nothing for the load
    expect(scoreAgeStructure(facts({ members: 4, minors: 2 }), cfg).reasons).toEqual(['2 minors']);
    // three each is still the heavy load's 20: (4 - 1) / 1 = 3 -> minors 3 x 10 + 20 = 50
    expect(scoreAgeStructure(facts({ members: 4, minors: 3, workingAge: 1, ableEarners: 1 }), cfg).score).toBe(50);
  });

  it('stays at 100 with five 80+ members', () => {
    // 5 x 30 + 30 = 180 -> clamped to 100
    const r = scoreAgeStructure(facts({ members: 5, minors: 0, workingAge: 0, elderly: 5, oldOld: 5, oldestAge: 95, ableEarners: 0 }), cfg);
    expect(r.score).toBe(100);
  });

  it('takes its points from the config', () => {
    const { config } = parseConfig({ ageStructure: { perMinor: 25 } });
    expect(scoreAgeStructure(facts(), config).score).toBe(25);
  });

  it('takes its age bands from the config for the reasons', () => {
    const { config } = parseConfig({ ages: { oldOldFrom: 85 } });
    // facts already say who is old-old; the config only names the bands
    const r = scoreAgeStructure(
      facts({ members: 2, minors: 0, workingAge: 0, elderly: 2, oldOld: 1, oldestAge: 88, ableEarners: 0 }),
      config,
    );
    expect(r.reasons).toEqual(['1 member aged 85+', '1 member aged 60-84', 'no member of working age']);
  });

  // A child registered alone (e.g. a de facto unsupported child) has nobody of working age to
  // raise them: it gets the "no member of working age" points like any household without one
  // (once a bug: a `members > 1` guard left it with only the minor's 10).
  it('a minor registered alone has no member of working age', () => {
    // 1 minor x 10 + no working-age member 30 = 40
    const r = scoreAgeStructure(
      facts({ members: 1, minors: 1, workingAge: 0, elderly: 0, oldOld: 0, oldestAge: 15, ableEarners: 0 }),
      cfg,
    );
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 minor', 'no member of working age']);
  });
});
