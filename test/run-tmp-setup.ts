import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';

/**
 * The run's temp folder (vitest.config.ts): gone when the run passed, kept when it did not.
 * Every project lists this first, the unit one too, which starts no server: it imports nothing
 * heavier than node:fs. The count of failed tests is the whole run's, so the first project's
 * teardown decides for all; the others find it decided (a flag on globalThis, since each
 * project may load this file anew).
 */
const DECIDED = Symbol.for('safetynet.test-run-tmp-decided');

export default function setup(project: TestProject) {
  return async () => {
    const runTmp = process.env.SAFETYNET_TEST_TMP;
    const flags = globalThis as { [DECIDED]?: boolean };
    if (!runTmp || flags[DECIDED]) return;
    flags[DECIDED] = true;
    if (project.vitest.state.getCountOfFailedTests() === 0) await rm(runTmp, { recursive: true, force: true });
    else console.warn(`kept the test run's temp folder ${runTmp}: a test failed`);
  };
}
