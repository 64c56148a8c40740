import { describe, expect, it } from 'vitest';
import { scoreDisability } from '../../scoring/disability.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

// Defaults: grade 1 60, grade 2 45, grade 3 25, grade 4 15; +20 per disabled member after the
// first; +20 for any intellectual or mental disability.
const cfg = parseConfig(undefined).config;

describe('disability', () => {
  it('nobody certified scores 0 with nothing to say', () => {
    const r = scoreDisability(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it.each([
    [1, 60],
    [2, 45],
    [3, 25],
    [4, 15],
  ])('one member with grade %i scores %i', (grade, points) => {
    const r = scoreDisability(facts({ mostSevereGrade: grade, disabledMembers: 1 }), cfg);
    expect(r.score).toBe(points);
    expect(r.reasons).toEqual([`most severe disability grade ${grade}`]);
  });

  it('grade 1 intellectual disability plus a second disabled member', () => {
    // 60 (grade 1) + 1 x 20 (second member) + 20 (intellectual) = 100
    const r = scoreDisability(facts({ mostSevereGrade: 1, disabledMembers: 2, intellectualOrMentalDisabled: 1, ableEarners: 1 }), cfg);
    expect(r.score).toBe(100);
    expect(r.reasons).toEqual(['most severe disability grade 1', '2 disabled members', 'intellectual or mental disability']);
  });

  it('three disabled members at grade 3', () => {
    // 25 + 2 x 20 = 65
    const r = scoreDisability(facts({ mostSevereGrade: 3, disabledMembers: 3 }), cfg);
    expect(r.score).toBe(65);
    expect(r.reasons).toEqual(['most severe disability grade 3', '3 disabled members']);
  });

  it('a grade 4 mental disability', () => {
    // 15 + 20 = 35
    const r = scoreDisability(facts({ mostSevereGrade: 4, disabledMembers: 1, intellectualOrMentalDisabled: 1 }), cfg);
    expect(r.score).toBe(35);
    expect(r.reasons).toEqual(['most severe disability grade 4', 'intellectual or mental disability']);
  });

  it('the intellectual/mental points are per household, not per member', () => {
    // 45 + 1 x 20 + 20 = 85 whether one or both are intellectual/mental
    const one = scoreDisability(facts({ mostSevereGrade: 2, disabledMembers: 2, intellectualOrMentalDisabled: 1 }), cfg);
    const two = scoreDisability(facts({ mostSevereGrade: 2, disabledMembers: 2, intellectualOrMentalDisabled: 2 }), cfg);
    expect(one.score).toBe(85);
    expect(two.score).toBe(85);
  });

  it('stays at 100 with many disabled members', () => {
    // 60 + 3 x 20 + 20 = 140 -> 100
    const r = scoreDisability(facts({ members: 4, mostSevereGrade: 1, disabledMembers: 4, intellectualOrMentalDisabled: 2, ableEarners: 0 }), cfg);
    expect(r.score).toBe(100);
  });

  it('a grade with no disabled member counted scores 0', () => {
    expect(scoreDisability(facts({ mostSevereGrade: 2, disabledMembers: 0 }), cfg).score).toBe(0);
  });

  it('takes its points from the config', () => {
    const { config } = parseConfig({ disability: { grade3: 35 } });
    expect(scoreDisability(facts({ mostSevereGrade: 3, disabledMembers: 1 }), config).score).toBe(35);
  });
});
