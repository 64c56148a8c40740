/**
 * SIGINT and SIGTERM as a value. src/main.ts turns the signal into an abort here; what holds
 * the database listens to it: a transaction ends its connection (the server rolls it back) so
 * that the run's own error path records it in the ledger, and `schedule` stops taking ticks.
 * Inert in tests and library use, where nobody calls `interrupt`.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const controller = new AbortController();

export const shutdown: AbortSignal = controller.signal;

export function interrupt(signal: StopSignal): void {
  if (!controller.signal.aborted) controller.abort(signal);
}

/** the signal that asked the process to stop, if one did */
export function interruptedBy(): StopSignal | null {
  return controller.signal.aborted ? (controller.signal.reason as StopSignal) : null;
}

/** Resolves when a signal asks the process to stop. */
export function untilInterrupted(): Promise<StopSignal> {
  return new Promise((resolve) => {
    if (controller.signal.aborted) resolve(controller.signal.reason as StopSignal);
    else controller.signal.addEventListener('abort', () => resolve(controller.signal.reason as StopSignal), { once: true });
  });
}
