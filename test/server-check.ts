import { inject } from 'vitest';

// the project's server or its migrated template could not be had (test/global-setup.ts,
// test/system-pg-setup.ts): every file of the project fails with the reason, rather than the
// run skipping every project's files
const unavailable = inject('pgUnavailable');
if (unavailable) throw new Error(`no PostgreSQL for this project's tests: ${unavailable}`);
