import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The scheduler's last ticks, where a container HEALTHCHECK or a monitoring probe can read them
 * without a database: SAFETYNET_HOME/heartbeat.json. A tick writes it when it starts (a tick that
 * hangs is then seen as running too long, not as the previous success) and when it ends.
 */
export const HEARTBEAT_FILE = 'heartbeat.json';

export type Outcome = 'succeeded' | 'waiting' | 'failed';

export interface TickBeat {
  state: 'running' | 'finished';
  /** UTC, ISO 8601 */
  started_at: string;
  /** the same instant on the bureau's clock (operation.timezone), for people */
  started_local: string;
  finished_at: string | null;
  finished_local: string | null;
  time_zone: string;
  /** per period (monthly ticks) or per day (night ticks), in the order they were run */
  outcomes: { period: string; outcome: Outcome; exit_code: number; error?: string }[];
  /** the exit code `schedule --once` gives for this tick: the worst outcome's; null while running */
  exit_code: number | null;
  /** what stopped the whole tick (no database, a config it cannot use), beyond one period */
  error: string | null;
  pid: number;
}

export interface Heartbeat {
  monthly: TickBeat | null;
  night: TickBeat | null;
}

/** `2026-12-05 01:07:03` on the given clock. */
export function localTime(at: Date, timeZone: string): string {
  // sv-SE writes ISO-like dates and 24-hour times
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

export async function readHeartbeat(home: string): Promise<Heartbeat | null> {
  let text: string;
  try {
    text = await readFile(join(home, HEARTBEAT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<Heartbeat>;
  return { monthly: parsed.monthly ?? null, night: parsed.night ?? null };
}

/**
 * Replaces one kind's beat, keeping the other's. Written beside the file and renamed into place:
 * a probe reading at that moment sees the old beat or the new one, never half of one. Ticks of
 * one scheduler never overlap, so the read-then-write does not race with itself.
 */
export async function writeBeat(home: string, kind: keyof Heartbeat, beat: TickBeat): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  let current: Heartbeat;
  try {
    current = (await readHeartbeat(home)) ?? { monthly: null, night: null };
  } catch {
    // an unreadable heartbeat (cut by a full disk) is replaced, not a reason to stop ticking
    current = { monthly: null, night: null };
  }
  const file = join(home, HEARTBEAT_FILE);
  const side = `${file}.${process.pid}.partial`;
  try {
    await writeFile(side, `${JSON.stringify({ ...current, [kind]: beat }, null, 2)}\n`, { mode: 0o600 });
    await rename(side, file);
  } catch (err) {
    await rm(side, { force: true });
    throw err;
  }
}
