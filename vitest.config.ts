import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Every temp folder the tests and the commands they start make goes under one folder of the
 * run (TMPDIR of the test processes), removed by test/global-setup.ts when every test passed and
 * kept, as evidence, when one failed. Traversable by others: the embedded server runs as its own
 * user under root and must reach the homes the tests make there.
 */
const runTmp = process.env.SAFETYNET_TEST_TMP ?? mkdtempSync(join(tmpdir(), 'safetynet-test-run-'));
chmodSync(runTmp, 0o711);
process.env.SAFETYNET_TEST_TMP = runTmp;

/**
 * Two projects. `default`: every test, on the embedded PostgreSQL from npm (or TEST_DATABASE_URL).
 * `system-pg`: the role, row-security and ANALYZE tests again, on a throwaway cluster of Debian's
 * PostgreSQL (test/system-pg-setup.ts), because privileges differ between server versions. It
 * fails when Debian's server is not installed; SAFETYNET_TEST_SYSTEM_PG=skip leaves it out.
 */
const SYSTEM_PG_TESTS = ['test/integration/row-security.test.ts', 'test/integration/batch-analyze.test.ts'];

export default defineConfig({
  test: {
    env: { TZ: 'UTC', TMPDIR: runTmp },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts', 'scoring/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      ...(process.env.SAFETYNET_TEST_SYSTEM_PG === 'skip'
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: 'system-pg',
                include: SYSTEM_PG_TESTS,
                globalSetup: ['test/system-pg-setup.ts'],
                setupFiles: ['test/system-pg-check.ts'],
              },
            },
          ]),
    ],
  },
});
