/**
 * Iterates `source` while reading up to `limit` items ahead of the consumer, so that a cursor's
 * next batch is fetched (the server computing it) while the consumer still works on the rows it
 * has. A plain `for await` over a cursor waits for each batch after the last row of the one
 * before: the server and Node take turns. It helps only a query whose rows come out as they are
 * computed; one that sorts its result does all its work before its first row.
 *
 * The consumer gives the event loop a turn every `YIELD_EVERY` rows. Rows handed over from the
 * queue resolve as microtasks, and while they last Node never reads its sockets: the server's
 * rows then fill the socket's buffer and the server waits for Node after all (measured on the
 * whole list at 1,000,000 households: 29.5-30.1 s without the turns, 24.9-25.2 s with them).
 *
 * A failure of `source` is thrown to the consumer after the rows read before it. A consumer that
 * stops early (`return`, a `break`, a failed file) ends `source` too, once its read in flight has
 * settled: a cursor left open would keep its connection busy.
 */
const YIELD_EVERY = 32;

export async function* readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let queue: T[] = [];
  let head = 0;
  let handed = 0;
  let finished = false;
  let failed = false;
  let failure: unknown;
  let stopped = false;
  // the consumer waiting for a row, the pump waiting for room: each woken once
  let wake: (() => void) | null = null;
  let room: (() => void) | null = null;
  const wakeConsumer = () => {
    const f = wake;
    wake = null;
    f?.();
  };
  const makeRoom = () => {
    const f = room;
    room = null;
    f?.();
  };

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length - head >= limit) {
          await new Promise<void>((resolve) => (room = resolve));
          continue;
        }
        const r = await it.next();
        if (r.done) break;
        queue.push(r.value);
        wakeConsumer();
      }
      if (stopped) await it.return?.();
    } catch (error) {
      failed = true;
      failure = error;
    }
    finished = true;
    wakeConsumer();
  })();

  try {
    for (;;) {
      if (head < queue.length) {
        const value = queue[head++]!;
        // drop what was consumed now and then, not on every row
        if (head >= 1024) {
          queue = queue.slice(head);
          head = 0;
        }
        makeRoom();
        yield value;
        if (++handed % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (failed) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stopped = true;
    makeRoom();
    await pump;
  }
}
