import { inject } from 'vitest';

// the system-pg project's server could not be started (test/system-pg-setup.ts): every file of
// the project fails with the reason, rather than the run skipping them and passing
const unavailable = inject('systemPgUnavailable');
if (unavailable) throw new Error(unavailable);
