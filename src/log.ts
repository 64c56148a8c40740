import { pino, destination as pinoDestination, stdSerializers, type Logger, type LevelWithSilent } from 'pino';
import { SafetynetError } from './errors.js';
import { maskIdNumber } from './identity/id-number.js';

/**
 * One pino root for the process, on stderr (stdout is for data). JSON lines when nobody is
 * watching (cron, containers, pipes); a short readable line per event on a terminal.
 * ID numbers and names are redacted wherever they appear in a log object.
 */
// plain `name` only at the top level: an error's `name` is its class, not a person
const REDACT = ['id_number', 'id18', 'name', 'head_name', 'head_id18', '*.id_number', '*.id18', '*.head_name', '*.head_id18'];

// Fields that hold a person's identity whatever their depth: the contract's columns, the raw
// row of a refused line (keyed by the file's own, possibly Chinese, headers) and the identity
// rescue's "as sent" values. Errors are exempt (an error's `name` is its class).
const PERSONAL_KEYS = new Set([
  'id_number', 'id15', 'id18', 'head_id18', 'head_id_number', 'sent_number', 'name', 'head_name', 'sent_name',
  'address', 'phone', 'raw', '身份证号', '身份证号码', '姓名', '住址', '联系电话',
]);

// An ID number in free text (a PostgreSQL message, a driver error, a parser's complaint): 18
// characters (17 digits and a check character) or an old 15-digit number, standing alone.
// Letters count as neighbours so that digit runs inside hashes and hex strings are left alone.
const ID_IN_TEXT = /(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;

/**
 * Free text as logs may show it: ID numbers masked like the exports mask them, and the parts of
 * PostgreSQL's messages that quote row data (a key's values, a failing row, the COPY line being
 * read, a value that did not parse) withheld, since a name or an address may be among them.
 */
export function scrubText(text: string): string {
  return text
    .replace(ID_IN_TEXT, (id) => maskIdNumber(id))
    .replace(/\b(Key \([^)]*\))=\(.*?\)( already exists| is not present| conflicts)/g, '$1=(values withheld)$2')
    .replace(/(Failing row contains )\(.*\)/g, '$1(values withheld)')
    .replace(/(COPY [^,\s]+, line \d+(?:, column [^:\s]+)?): ".*"/g, '$1: (row withheld)')
    .replace(/(invalid input (?:syntax|value) for [^:"\n]*): ".*?"/g, '$1: (value withheld)');
}

/** Errors by what they say, never by the data their causes may quote. */
function errorForLog(err: unknown): unknown {
  if (!(err instanceof Error)) return scrubValue(err, 0);
  const serialized = { ...(stdSerializers.err(err) as unknown as Record<string, unknown>) };
  delete serialized.raw;
  if (err instanceof SafetynetError) {
    // our errors say where and what (file, line, column) in words chosen to be safe; their cause
    // (a CSV parser's message quoting the field, a URL with its token) is named by type only
    serialized.message = err.message;
    serialized.stack = err.stack;
    const cause = err.cause as (Error & { code?: unknown }) | undefined;
    if (cause instanceof Error) serialized.cause = { type: cause.constructor.name, code: cause.code };
  }
  // pg-pool hangs the whole client on a connection's error
  delete serialized.client;
  return scrubValue(serialized, 0, true);
}

function scrubValue(value: unknown, depth: number, insideError = false): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return errorForLog(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, insideError));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = !insideError && PERSONAL_KEYS.has(k) && v !== null && v !== undefined ? '[masked]' : scrubValue(v, depth + 1, insideError);
  }
  return out;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

function readableLine(line: string): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const time = new Date(o.time as number).toTimeString().slice(0, 8);
    const fields = Object.entries(o)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => {
        if (k === 'err' && v && typeof v === 'object') return `\n  ${(v as { message?: string }).message ?? JSON.stringify(v)}`;
        return `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
      })
      .join(' ');
    return `${time} ${LEVELS[o.level as number] ?? o.level} ${o.msg ?? ''}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return line;
  }
}

export interface LogOptions {
  level?: LevelWithSilent;
  /** force JSON lines even on a terminal */
  json?: boolean;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? ((process.env.SAFETYNET_LOG_LEVEL as LevelWithSilent | undefined) || 'info');
  const pretty = !opts.json && process.stderr.isTTY === true;
  const destination = pretty
    ? { write: (line: string) => process.stderr.write(readableLine(line)) }
    : pinoDestination({ fd: 2, sync: true });
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[masked]' },
      // the redact paths cover the fields we log on purpose; these cover what reaches a log
      // by accident: a driver's error, a server line, a row handed to a log call whole
      serializers: { err: (e: unknown) => (e instanceof Error ? errorForLog(e) : e), msg: (m: unknown) => (typeof m === 'string' ? scrubText(m) : m) },
      formatters: { log: (object) => scrubValue(object, 0) as Record<string, unknown> },
    },
    destination,
  );
}
