import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/db/read-ahead.js';

/** A source of `n` numbers that records how far it has been read and whether it was closed. */
function counted(n: number, opts: { failAt?: number } = {}) {
  const state = { read: 0, closed: false };
  async function* source(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        // a cursor's batch boundary: the next rows come after a wait
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        if (i === opts.failAt) throw new Error(`row ${i} cannot be read`);
        state.read = i + 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, source: source() };
}

describe('readAhead', () => {
  it('gives every row of the source in its order', async () => {
    const { source } = counted(1000);
    const got: number[] = [];
    for await (const x of readAhead(source, 25)) got.push(x);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('reads ahead of the consumer, never more than the limit', async () => {
    const { state, source } = counted(200);
    const aheadSeen: number[] = [];
    let consumed = 0;
    for await (const x of readAhead(source, 30)) {
      consumed = x + 1;
      // the consumer works a while on each row: the source is read meanwhile
      await new Promise((resolve) => setTimeout(resolve, 0));
      aheadSeen.push(state.read - consumed);
    }
    expect(consumed).toBe(200);
    expect(Math.max(...aheadSeen)).toBeGreaterThan(1);
    expect(Math.max(...aheadSeen)).toBeLessThanOrEqual(30);
  });

  it('throws the source failure after the rows read before it', async () => {
    const { state, source } = counted(100, { failAt: 42 });
    const got: number[] = [];
    await expect(async () => {
      for await (const x of readAhead(source, 10)) got.push(x);
    }).rejects.toThrow('row 42 cannot be read');
    expect(got).toEqual(Array.from({ length: 42 }, (_, i) => i));
    expect(state.closed).toBe(true);
  });

  it('closes the source when the consumer stops early', async () => {
    const { state, source } = counted(10_000);
    for await (const x of readAhead(source, 50)) if (x === 120) break;
    expect(state.closed).toBe(true);
    expect(state.read).toBeLessThanOrEqual(121 + 50);
  });

  it('closes the source when the consumer is returned from outside', async () => {
    const { state, source } = counted(10_000);
    const rows = readAhead(source, 50);
    await rows.next();
    await rows.next();
    await rows.return(undefined);
    expect(state.closed).toBe(true);
  });
});
