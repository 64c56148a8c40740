import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Every temp folder the tests and the commands they start make goes under one folder of the
 * run (TMPDIR of the test processes), removed by test/run-tmp-setup.ts when every test passed and
 * kept, as evidence, when one failed. Traversable by others: the embedded server runs as its own
 * user under root and must reach the homes the tests make there.
 */
const runTmp = process.env.SAFETYNET_TEST_TMP ?? mkdtempSync(join(tmpdir(), 'safetynet-test-run-'));
chmodSync(runTmp, 0o711);
process.env.SAFETYNET_TEST_TMP = runTmp;

/**
 * Which project a test file belongs to is decided by its folder, so that a new file lands in the
 * right one without touching this file. `unit`: pure tests (scoring, identity, parsing), no
 * database and no PostgreSQL start, done in seconds. Everything else under test/ (integration,
 * cli, e2e, and any folder added later) is `database`: a folder nobody sorted yet runs with a
 * server rather than not at all.
 */
const UNIT_TESTS = ['test/unit/**/*.test.ts', 'test/scoring/**/*.test.ts', 'scoring/**/*.test.ts'];
const DATABASE_TESTS = ['test/**/*.test.ts'];

/**
 * `system-pg`: the role, row-security and ANALYZE tests again, on a throwaway cluster of Debian's
 * PostgreSQL (test/system-pg-setup.ts), because privileges differ between server versions. It
 * fails when Debian's server is not installed; SAFETYNET_TEST_SYSTEM_PG=skip leaves it out.
 */
const SYSTEM_PG_TESTS = ['test/integration/row-security.test.ts', 'test/integration/batch-analyze.test.ts'];

/**
 * The database project was called `default` before the unit tests had their own project;
 * `--project default` still selects it, so that commands written down then keep working.
 */
const DATABASE = process.argv.some((arg, i) => arg === '--project=default' || (arg === 'default' && process.argv[i - 1] === '--project'))
  ? 'default'
  : 'database';

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
          name: 'unit',
          include: UNIT_TESTS,
          globalSetup: ['test/run-tmp-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: DATABASE,
          include: DATABASE_TESTS,
          exclude: [...configDefaults.exclude, ...UNIT_TESTS],
          globalSetup: ['test/run-tmp-setup.ts', 'test/global-setup.ts'],
          setupFiles: ['test/server-check.ts'],
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
                globalSetup: ['test/run-tmp-setup.ts', 'test/system-pg-setup.ts'],
                setupFiles: ['test/server-check.ts'],
              },
            },
          ]),
    ],
  },
});
