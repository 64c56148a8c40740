import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { SourceLocation } from '../config/schema.js';
import { PullFailed } from '../errors.js';
import { fileKind, notRegular } from './file-kind.js';

/**
 * Fetches one file of a period to a local path, streaming (never whole in memory): from a
 * path, a file:// URL or an http(s):// URL. A 404 (or a missing local file) means "not
 * delivered yet". Connection failures, timeouts, 5xx, truncated bodies and tries that miss the
 * file's deadline are retried with exponential backoff, then fail with the source named. A file
 * over the size cap fails at once (the server would send the same again). The file appears at
 * `dest` only complete; verification against the manifest happens before anything is loaded.
 */
export interface FetchOptions {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** one try must end within this, however steadily bytes trickle in */
  deadlineMs: number;
  /** bytes a file may have; beyond them the download is stopped and refused */
  maxBytes: number;
  log: Logger;
  /** what to call it in messages: the source id */
  label: string;
}

export type FetchResult = 'delivered' | 'not-delivered';

class Transient extends Error {}

const MIB = 1024 ** 2;
/** Limits as the config gives them, readably: `4 GiB`, `30 min`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 * MIB], ['MiB', MIB], ['KiB', 1024]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} bytes`;
}
export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
const tooLarge = (maxBytes: number, got: string) =>
  new Error(
    `larger than the ${formatBytes(maxBytes)} a file may have (operation.maxFileBytes): ${got}; the download was stopped and removed. ` +
      'Ask the department whether this is the right file; if its files really are that big, raise operation.maxFileBytes',
  );

// Our own disk refusing the file (full, over quota, read-only, not ours to write): no retry can
// help, and the fault is here, not at the department's server.
const LOCAL_WRITE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);
function isLocalWriteFailure(err: unknown, dir: string): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  // a write names no path; an open or a mkdir names ours or a parent of it (a source file we
  // cannot read is the source's problem)
  return err instanceof Error && LOCAL_WRITE_FAILURES.has(e.code ?? '') && (e.path === undefined || e.path.startsWith(dir) || dir.startsWith(e.path));
}

export function expandLocation(template: string, period: string): string {
  return template.replaceAll('{period}', period);
}

/** `${NAME}` in a header value is the environment variable NAME; a missing one is an error, never an empty token. */
export function expandHeaders(headers: Record<string, string>, label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = process.env[name];
      if (value === undefined) throw new PullFailed(label, `header ${k} needs the environment variable ${name}, which is not set`);
      return value;
    });
  }
  return out;
}

/** The URL as logs may show it: no credentials, no query string (tokens hide there too). */
export function redactLocation(location: string): string {
  try {
    const u = new URL(location);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.origin}${u.pathname}`;
  } catch {
    // a plain path
  }
  return location;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchLocal(path: string, partial: string, maxBytes: number): Promise<FetchResult> {
  const found = await fileKind(path);
  if (found.kind === 'absent') return 'not-delivered';
  // a folder is not a late file, and /dev/zero would fill the disk
  if (found.kind === 'other') throw new Error(notRegular(found.what));
  if (found.size > maxBytes) throw tooLarge(maxBytes, `it has ${found.size} bytes`);
  await pipeline(createReadStream(path), createWriteStream(partial));
  return 'delivered';
}

interface HttpLimits {
  timeoutMs: number;
  deadlineMs: number;
  maxBytes: number;
}

function fetchHttp(url: URL, headers: Record<string, string>, partial: string, limits: HttpLimits): Promise<FetchResult> {
  const { timeoutMs, deadlineMs, maxBytes } = limits;
  const client = url.protocol === 'https:' ? https : http;
  let received = 0;
  // Set before a stream is destroyed on purpose, so that the rejection says why and not
  // "aborted"; once the body is being written the rejection waits for the write stream to close
  // (through the pipeline), so that the caller's removal of the partial file comes after it.
  let stopped: Error | undefined;
  let res: http.IncomingMessage | undefined;
  const stop = (err: Error) => {
    stopped ??= err;
    if (res) res.destroy(err);
    else req.destroy(err);
  };
  let req: http.ClientRequest;
  const done = new Promise<FetchResult>((resolve, reject) => {
    req = client.get(url, { headers, timeout: timeoutMs }, (response) => {
      res = response;
      const status = res.statusCode ?? 0;
      if (status === 404 || status === 410) {
        res.resume();
        resolve('not-delivered');
        return;
      }
      if (status >= 500 || status === 429 || status === 408) {
        res.resume();
        reject(new Transient(`HTTP ${status}`));
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const expected = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      if (expected !== undefined && expected > maxBytes) {
        // said before a byte of the body: nothing to download, nothing to remove
        res.destroy();
        reject(tooLarge(maxBytes, `the server announces ${expected} bytes`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) stop(tooLarge(maxBytes, `${received} bytes had arrived`));
      });
      pipeline(res, createWriteStream(partial)).then(
        () => {
          if (expected !== undefined && received !== expected) reject(new Transient(`truncated: ${received} of ${expected} bytes`));
          else resolve('delivered');
        },
        (err: Error) => {
          if (stopped) reject(stopped);
          else reject(isLocalWriteFailure(err, dirname(partial)) ? err : new Transient(`download broke off: ${err.message}`));
        },
      );
    });
    req.on('timeout', () => stop(new Transient(`no answer for ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // with a body under way the pipeline reports, once the file is closed
      if (res) return;
      reject(stopped ?? (err instanceof Transient ? err : new Transient(err.code ?? err.message)));
    });
  });
  // a slow try is like a dead one: retried, since a new connection may find the server unloaded
  const deadline = setTimeout(
    () => stop(new Transient(`not complete within ${formatMs(deadlineMs)}, the deadline of one try at a file (operation.fileDeadlineMs): ${received} bytes had arrived`)),
    deadlineMs,
  );
  return done.finally(() => clearTimeout(deadline));
}

export async function fetchFile(source: SourceLocation, period: string, dest: string, opts: FetchOptions): Promise<FetchResult> {
  const location = expandLocation(source.location, period);
  const headers = expandHeaders(source.headers ?? {}, opts.label);
  const shown = redactLocation(location);
  const partial = `${dest}.partial`;
  const localFailure = (err: NodeJS.ErrnoException) =>
    new PullFailed(
      opts.label,
      `cannot write ${partial}: ${err.message}. The fault is on this machine, not at the source: free space (or fix the permissions) in ${dirname(dest)}, then rerun`,
      { cause: err },
    );
  await mkdir(dirname(dest), { recursive: true }).catch((err: unknown) => {
    throw isLocalWriteFailure(err, dirname(dest)) ? localFailure(err) : err;
  });
  let url: URL | undefined;
  try {
    url = new URL(location);
  } catch {
    url = undefined; // a plain path
  }
  for (let attempt = 0; ; attempt++) {
    try {
      let result: FetchResult;
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
        result = await fetchHttp(url, headers, partial, { timeoutMs: opts.timeoutMs, deadlineMs: opts.deadlineMs, maxBytes: opts.maxBytes });
      } else {
        result = await fetchLocal(url?.protocol === 'file:' ? fileURLToPath(url) : location, partial, opts.maxBytes);
      }
      if (result === 'delivered') await rename(partial, dest);
      else await rm(partial, { force: true });
      opts.log.debug({ source: opts.label, location: shown, result, attempt }, 'fetched');
      return result;
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof PullFailed) throw err;
      if (isLocalWriteFailure(err, dirname(dest))) throw localFailure(err);
      const transient = err instanceof Transient;
      if (!transient || attempt >= opts.retries) {
        throw new PullFailed(
          opts.label,
          `${shown}: ${(err as Error).message}${transient ? ` (after ${attempt + 1} tries)` : ''}`,
          { cause: err },
        );
      }
      const delay = opts.retryDelayMs * 2 ** attempt;
      opts.log.warn({ source: opts.label, location: shown, attempt: attempt + 1, retry_in_ms: delay, problem: (err as Error).message }, 'fetch failed, retrying');
      await sleep(delay);
    }
  }
}
