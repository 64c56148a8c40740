import { main } from './cli.js';

// process.exitCode, not process.exit(): lets streams flush and the embedded server stop first
main(process.argv).then((code) => {
  process.exitCode = code;
});
