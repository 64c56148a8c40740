/**
 * Named points of a run where the crash test (test/integration/crash.test.ts) kills the process
 * with SIGKILL, to prove that no point leaves a half-written period. Inert unless
 * SAFETYNET_CRASH_AT names the point.
 */
export type CrashPoint = 'mid-ingest' | 'mid-versions' | 'after-ingest' | 'after-link' | 'before-commit' | 'after-commit';

export function crashPoint(point: CrashPoint): void {
  if (process.env.SAFETYNET_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
