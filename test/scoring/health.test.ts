import { describe, expect, it } from 'vitest';
import { scoreHealth } from '../../scoring/health.js';
import { parseConfig } from '../../src/config/load-config.js';
import { facts } from './facts.js';

// Defaults: 40 per severe illness, 40 per severe mental disorder, 15 per chronic illness,
// 10 per inpatient stay in 12 months capped at 30.
const cfg = parseConfig(undefined).config;

describe('health status', () => {
  it('a healthy household scores 0 with nothing to say', () => {
    const r = scoreHealth(facts(), cfg);
    expect(r.score).toBe(0);
    expect(r.reasons).toEqual([]);
  });

  it('a severe illness', () => {
    const r = scoreHealth(facts({ severeIllness: 1, ableEarners: 1 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 member with a severe illness']);
  });

  it('a severe mental disorder', () => {
    const r = scoreHealth(facts({ severeMentalDisorder: 1, ableEarners: 1 }), cfg);
    expect(r.score).toBe(40);
    expect(r.reasons).toEqual(['1 member with a severe mental disorder']);
  });

  it('chronic illnesses count per member', () => {
    // 2 x 15 = 30
    const r = scoreHealth(facts({ chronicIllness: 2 }), cfg);
    expect(r.score).toBe(30);
    expect(r.reasons).toEqual(['2 members with a chronic illness']);
  });

  it('inpatient stays count 10 each', () => {
    const r = scoreHealth(facts({ inpatientStays12m: 2 }), cfg);
    expect(r.score).toBe(20);
    expect(r.reasons).toEqual(['2 inpatient stays in 12 months']);
  });

  it('inpatient stays are capped at 30, and the reason still gives the real number', () => {
    // min(30, 5 x 10) = 30
    const r = scoreHealth(facts({ inpatientStays12m: 5 }), cfg);
    expect(r.score).toBe(30);
    expect(r.reasons).toEqual(['5 inpatient stays in 12 months']);
  });

  it('signals add up: a severe illness, a chronic illness and two stays', () => {
    // 40 + 15 + 2 x 10 = 75
    const r = scoreHealth(facts({ severeIllness: 1, chronicIllness: 1, inpatientStays12m: 2, ableEarners: 1 }), cfg);
    expect(r.score).toBe(75);
    expect(r.reasons).toEqual(['1 member with a severe illness', '1 member with a chronic illness', '2 inpatient stays in 12 months']);
  });

  it('stays at 100 however much illness there is', () => {
    // 2 x 40 + 1 x 40 + 3 x 15 + 30 = 195 -> 100
    const r = scoreHealth(
      facts({ members: 6, severeIllness: 2, severeMentalDisorder: 1, chronicIllness: 3, inpatientStays12m: 40 }),
      cfg,
    );
    expect(r.score).toBe(100);
    expect(r.reasons).toHaveLength(4);
  });

  it('takes its constants from the config', () => {
    const { config } = parseConfig({ health: { perChronicIllness: 20, inpatientCap: 50 } });
    // 20 + min(50, 5 x 10) = 70
    expect(scoreHealth(facts({ chronicIllness: 1, inpatientStays12m: 5 }), config).score).toBe(70);
  });
});
