import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A real HTTP server on loopback that serves a folder, with behaviours a department's server
 * shows: files that appear late (404), 5xx for a while, answers too slow, bodies cut short,
 * bodies that trickle in a byte at a time, bodies that never end.
 */
export type Behaviour =
  | { kind: 'missing' }
  | { kind: 'fail'; status: number; times: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'truncate'; times: number }
  /** the file's real length announced, then one byte every `everyMs` */
  | { kind: 'trickle'; everyMs: number }
  /** 16 KiB chunks of the file's first line, for ever (until the client hangs up); `announce`: a content-length to send first (more than will come) */
  | { kind: 'endless'; announce?: number };

export interface LoopbackServer {
  url: string;
  /** path (e.g. /2026-10/health.csv) → behaviour; cleared with `delete` */
  behaviours: Map<string, Behaviour>;
  requests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<LoopbackServer> {
  const behaviours = new Map<string, Behaviour>();
  const requests: LoopbackServer['requests'] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, authorization: req.headers.authorization });
    const b = behaviours.get(path);
    if (b?.kind === 'missing') return void res.writeHead(404).end('not here yet');
    if (b?.kind === 'fail' && b.times > 0) {
      b.times--;
      return void res.writeHead(b.status).end('try later');
    }
    if (b?.kind === 'slow') await new Promise((r) => setTimeout(r, b.ms));
    let body: Buffer;
    try {
      body = await readFile(join(root, path));
    } catch {
      return void res.writeHead(404).end('no such file');
    }
    if (b?.kind === 'trickle' || b?.kind === 'endless') {
      const chunk = b.kind === 'trickle' ? null : Buffer.alloc(16 * 1024, body.subarray(0, body.indexOf(10) + 1));
      res.writeHead(200, b.kind === 'trickle' ? { 'content-length': body.length } : b.announce ? { 'content-length': b.announce } : {});
      let sent = 0;
      const timer = setInterval(
        () => {
          if (chunk) res.write(chunk);
          else if (sent < body.length) res.write(body.subarray(sent, ++sent));
          else res.end();
        },
        b.kind === 'trickle' ? b.everyMs : 1,
      );
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (b?.kind === 'truncate' && b.times > 0) {
      b.times--;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    behaviours,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
