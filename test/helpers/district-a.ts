import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { runPeriod, type RunSummary } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ROOT } from './cli.js';
import { silentLog, type useTestDatabase } from './database.js';

/** The shipped fixture district's inbox (fixtures/district-a). */
export const DISTRICT_A_INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');

/**
 * Runs the fixture district's two months (2026-09, then 2026-10) into the test file's database
 * before its tests, with the default config; the run summaries by period, filled by then.
 */
export function runDistrictA(test: ReturnType<typeof useTestDatabase>): Record<string, RunSummary> {
  const summaries: Record<string, RunSummary> = {};
  beforeAll(async () => {
    for (const period of ['2026-09', '2026-10']) {
      summaries[period] = await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: DISTRICT_A_INBOX, period });
    }
  });
  return summaries;
}
