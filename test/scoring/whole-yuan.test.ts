import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wholeYuan, yuan, yuanZh } from '../../scoring/household-facts.js';

describe('amounts in reasons', () => {
  it('group thousands as en-US does', () => {
    expect(yuan(1234.5)).toBe('1,235 yuan');
    expect(yuanZh(980)).toBe('980元');
    expect(wholeYuan(-1234567.4)).toBe('-1,234,567');
    expect(wholeYuan(999999.5)).toBe('1,000,000');
  });

  it('write exactly what toLocaleString("en-US") writes for any amount, rounded to the yuan', () => {
    const amount = fc.oneof(
      fc.double({ noNaN: false }),
      fc.double({ min: -1e7, max: 1e7 }),
      fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
      fc.constantFrom(0, -0, -0.4, 0.5, -0.5, 999.5, 1e15, 1e21, Infinity, -Infinity, NaN),
    );
    fc.assert(fc.property(amount, (n) => wholeYuan(n) === Math.round(n).toLocaleString('en-US')), { numRuns: 5000 });
  });
});
