import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a PostgreSQL server that can hold a connection still right after it
 * sent a chosen statement: the server then sits in that statement (a COPY waiting for its
 * rows) for as long as the test needs to act on it, with no timing to guess. It reads only the
 * frontend message framing (type byte, length); everything else passes through untouched.
 */
export interface PgProxy {
  /** the server's URL with the proxy's host and port */
  url: string;
  /**
   * Resolves once a client sent a statement matching `pattern` (a simple query, or the parse of
   * a parameterised one); that connection's further client bytes wait until `release()`, so the
   * server stays inside the statement (a COPY waiting for its rows) or before it (a parse
   * waiting for its parameters).
   */
  holdAfter(pattern: RegExp): Promise<{ query: string; release: () => void }>;
  close(): Promise<void>;
}

// the protocol's first messages carry no type byte; these two codes ask for encryption first
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** The SQL of a simple query ('Q') or of a statement being prepared ('P': name, then SQL). */
function statementOf(message: Buffer): string | undefined {
  if (message[0] === 0x51) return message.subarray(5, message.length - 1).toString('utf8');
  if (message[0] === 0x50) {
    const nameEnd = message.indexOf(0, 5);
    return message.subarray(nameEnd + 1, message.indexOf(0, nameEnd + 1)).toString('utf8');
  }
  return undefined;
}

export async function startPgProxy(serverUrl: string): Promise<PgProxy> {
  const target = new URL(serverUrl);
  const sockets = new Set<Socket>();
  let armed: { pattern: RegExp; resolve: (v: { query: string; release: () => void }) => void } | undefined;

  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    // no Nagle: a round trip per statement must not wait for delayed ACKs
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) s.on('close', () => sockets.delete(s)).on('error', () => {});
    upstream.on('data', (d) => client.write(d));
    upstream.on('close', () => client.end());
    client.on('close', () => upstream.destroy());

    let pending = Buffer.alloc(0);
    let startup = true;
    let held = false;
    // the length of the next whole message in `pending`, or 0 while it is incomplete
    const nextLength = () => {
      if (startup) return pending.length >= 8 && pending.length >= pending.readInt32BE(0) ? pending.readInt32BE(0) : 0;
      return pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1) ? 1 + pending.readInt32BE(1) : 0;
    };
    const pump = () => {
      // whole messages go on in one write, as the client sent them
      const out: Buffer[] = [];
      for (let len = nextLength(); !held && len > 0; len = nextLength()) {
        const message = pending.subarray(0, len);
        pending = pending.subarray(len);
        out.push(message);
        if (startup) {
          startup = [SSL_REQUEST, GSSENC_REQUEST].includes(message.readInt32BE(4));
          continue;
        }
        const query = armed ? statementOf(message) : undefined;
        if (armed && query !== undefined && armed.pattern.test(query)) {
          const { resolve } = armed;
          armed = undefined;
          held = true;
          resolve({
            query,
            release: () => {
              held = false;
              pump();
            },
          });
        }
      }
      if (out.length) upstream.write(Buffer.concat(out));
    };
    client.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);

  return {
    url: url.toString(),
    holdAfter: (pattern) =>
      new Promise((resolve) => {
        armed = { pattern, resolve };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
