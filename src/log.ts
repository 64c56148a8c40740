import { pino, destination as pinoDestination, type Logger, type LevelWithSilent } from 'pino';

/**
 * One pino root for the process, on stderr (stdout is for data). JSON lines when nobody is
 * watching (cron, containers, pipes); a short readable line per event on a terminal.
 * ID numbers and names are redacted wherever they appear in a log object.
 */
// plain `name` only at the top level: an error's `name` is its class, not a person
const REDACT = ['id_number', 'id18', 'name', 'head_name', 'head_id18', '*.id_number', '*.id18', '*.head_name', '*.head_id18'];

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
  return pino({ level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[masked]' } }, destination);
}
