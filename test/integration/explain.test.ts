import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../src/errors.js';
import { formatCard, householdCard } from '../../src/export/household-card.js';
import { ROOT } from '../helpers/cli.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';

/** The household card a street worker reads before a visit. */
const INBOX = join(ROOT, 'fixtures', 'district-a', 'inbox');
const test = useTestDatabase();

beforeAll(async () => {
  for (const period of ['2026-09', '2026-10']) {
    await runPeriod({ database: test.handle, config: parseConfig(undefined), log: silentLog }, { inbox: INBOX, period });
  }
});

describe('safetynet explain', () => {
  it('shows members masked, each dimension with its facts and sources, the history and what changed', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC010');
    expect(card).toMatchObject({ household_id: 'WC010', coverage: 'dibao', review: true, change: 'up', tier: 'red' });
    expect(card.members).toHaveLength(3);
    expect(card.members[0]).toMatchObject({ name: '吴*', id_number: expect.stringMatching(/^420106\*{8}\d{3}[\dX]$/), relation: 'head' });
    expect(card.members[0]!.diagnoses).toEqual(['chronic', 'severe']); // categories, not codes
    expect(card.dimensions[0]).toMatchObject({ dimension: 'economic', sources: ['civil-affairs 2026-10', 'dibao-standards', 'medical-insurance 2025-11..2026-10'] });
    expect(card.dimensions.find((d) => d.dimension === 'medical_burden')!.facts).toBe('out-of-pocket medical 15,200 yuan in 12 months, 0.7x household yearly income');
    expect(card.history.map((h) => h.period)).toEqual(['2026-09', '2026-10']);
    expect(card.since_last_period).toEqual(['score 38.7 in 2026-09 → 64.2', 'tier yellow → red']);
    const text = formatCard(card);
    expect(text).toContain('REVIEW the assistance');
    expect(text).not.toMatch(/\d{17}[\dX]/);
  });

  it('shows diagnosis codes and names only when asked', async () => {
    const card = await householdCard(test.handle.db, '2026-10', 'WC010', { unmasked: true });
    expect(card.members[0]!.diagnoses.some((d) => /^(severe|chronic) [A-Z]\d{2}/.test(d))).toBe(true);
    expect(card.members[0]!.id_number).toMatch(/^\d{17}[\dX]$/);
  });

  it('says plainly when a household was not scored', async () => {
    await expect(householdCard(test.handle.db, '2026-10', 'NOPE')).rejects.toThrow(new UsageError('no household NOPE was scored in 2026-10'));
  });
});
