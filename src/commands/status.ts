import { join } from 'node:path';
import type { Logger } from 'pino';
import { resolveConfig, resolveHome, type GlobalOptions } from '../context.js';
import { ExitCode, Unhealthy } from '../errors.js';
import { HEARTBEAT_FILE, localTime, readHeartbeat, type Heartbeat, type TickBeat } from '../heartbeat.js';

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
  /** overrides operation.heartbeatMaxAgeHours */
  maxAgeHours?: number;
}

export interface Status {
  healthy: boolean;
  problems: string[];
  heartbeat_file: string;
  max_age_hours: number;
  heartbeat: Heartbeat | null;
}

/**
 * Health from the heartbeat alone, so a probe needs no database: unhealthy when no tick was
 * recorded, when the last monthly or night tick failed, or when none finished (or one has been
 * running) for longer than the maximum age. A month waiting for its files is healthy: late
 * deliveries are the departments', and `schedule --once` reports them with exit 4.
 */
export function judge(heartbeat: Heartbeat | null, now: Date, maxAgeHours: number, file: string): string[] {
  const problems: string[] = [];
  const monthly = heartbeat?.monthly;
  if (!monthly) return [`no tick recorded in ${file}: is \`safetynet schedule\` running with this SAFETYNET_HOME?`];
  const hours = (iso: string) => (now.getTime() - Date.parse(iso)) / 3_600_000;
  const failed = (b: TickBeat, what: string) => {
    if (b.state !== 'finished' || b.exit_code === ExitCode.ok || b.exit_code === ExitCode.extractsMissing) return;
    const first = b.outcomes.find((o) => o.outcome === 'failed');
    const why = b.error ?? (first ? `${first.period}: ${first.error ?? 'failed'}` : 'failed');
    problems.push(`the last ${what} tick (${b.finished_local} ${b.time_zone}) failed with exit ${b.exit_code}: ${why}`);
  };
  failed(monthly, 'monthly');
  if (heartbeat.night) failed(heartbeat.night, 'night');
  if (monthly.state === 'running' && hours(monthly.started_at) > maxAgeHours) {
    problems.push(`a tick has been running since ${monthly.started_local} ${monthly.time_zone}, over ${maxAgeHours} h (operation.heartbeatMaxAgeHours): stuck, or its process died`);
  } else if (monthly.state === 'finished' && hours(monthly.finished_at!) > maxAgeHours) {
    problems.push(`no tick since ${monthly.finished_local} ${monthly.time_zone}, over ${maxAgeHours} h ago (operation.heartbeatMaxAgeHours): is the scheduler running?`);
  }
  return problems;
}

function describe(kind: string, b: TickBeat | null): string {
  if (!b) return `${kind}: no tick yet\n`;
  const head =
    b.state === 'running'
      ? `${kind}: running since ${b.started_local} ${b.time_zone} (${b.started_at} UTC), pid ${b.pid}`
      : `${kind}: last tick ${b.started_local} to ${b.finished_local} ${b.time_zone} (finished ${b.finished_at} UTC), exit ${b.exit_code}`;
  const lines = b.outcomes.map((o) => `  ${o.period}  ${o.outcome}${o.error ? `: ${o.error}` : ''}`);
  if (b.state === 'finished' && b.outcomes.length === 0) lines.push(b.error ? `  failed: ${b.error}` : '  nothing due');
  return `${[head, ...lines].join('\n')}\n`;
}

/** `safetynet status`: the scheduler's last ticks from SAFETYNET_HOME/heartbeat.json. */
export async function statusCommand(opts: StatusOptions, _log: Logger, out: NodeJS.WritableStream = process.stdout, now = new Date()): Promise<Status> {
  const config = resolveConfig(opts);
  const op = config.config.operation;
  const home = resolveHome(opts);
  const file = join(home, HEARTBEAT_FILE);
  const maxAge = opts.maxAgeHours ?? op.heartbeatMaxAgeHours;
  const heartbeat = await readHeartbeat(home);
  const problems = judge(heartbeat, now, maxAge, file);
  const status: Status = { healthy: problems.length === 0, problems, heartbeat_file: file, max_age_hours: maxAge, heartbeat };
  if (opts.json) {
    out.write(`${JSON.stringify(status)}\n`);
  } else {
    out.write(
      `${status.healthy ? 'healthy' : 'UNHEALTHY'} (${localTime(now, op.timezone)} ${op.timezone}; ${file})\n` +
        describe('monthly', heartbeat?.monthly ?? null) +
        (heartbeat?.night ? describe('night', heartbeat.night) : ''),
    );
  }
  if (!status.healthy) throw new Unhealthy(problems);
  return status;
}
