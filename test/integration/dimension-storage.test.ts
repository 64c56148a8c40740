import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { householdCard } from '../../src/export/household-card.js';
import { warningListEntries } from '../../src/export/warning-list.js';
import { withTransaction } from '../../src/db/transaction.js';
import { keepExplanations } from '../../src/score/score-explanations.sql.js';
import { outcomeSamples } from '../../src/visits/calibrate.js';
import { useTestDatabase } from '../helpers/database.js';

/**
 * Migration 0007: the six numeric dimension columns of household_score become one jsonb
 * `dimensions` (id -> score), so that a dimension added to the registry needs no migration. The
 * scores of periods run before it are carried over, the masked view over the table keeps its
 * grants, and `down` gives the six columns back with their values.
 */
const test = useTestDatabase();
const BEFORE = '0006-export-scope-and-masked-views';

const migrator = () => new Migrator({ db: test.handle.db, provider: { getMigrations: async () => migrations } });
async function migrateTo(target: string | 'latest'): Promise<void> {
  const { error } = target === 'latest' ? await migrator().migrateToLatest() : await migrator().migrateTo(target);
  if (error) throw error;
}

/** An explanation kept as a month's run keeps it (src/score/score-explanations.sql.ts). */
const keepExplanation = (id: string, dimensions: Record<string, number>, reasons: object[]) =>
  withTransaction(test.handle.pool, (tx) => keepExplanations(tx, sql`(select ${id}::uuid as explanation, ${JSON.stringify(dimensions)}::jsonb as dimensions,
    ${JSON.stringify(reasons)}::jsonb as reasons, null::text as route_rule, null::text as route_rule_zh)`));

const viewAcl = async () =>
  (await sql<{ acl: string | null }>`select relacl::text as acl from pg_class where oid = 'safetynet_export.household_score'::regclass`.execute(test.handle.db))
    .rows[0]!.acl;

const viewOptions = async () =>
  (await sql<{ options: string[] | null }>`select reloptions as options from pg_class where oid = 'safetynet_export.household_score'::regclass`.execute(test.handle.db))
    .rows[0]!.options;

describe('dimension scores stored as data (migration 0007)', () => {
  it("carries a period scored in the six columns over to `dimensions`, and the masked view's grants with it", async () => {
    await migrateTo(BEFORE);
    await sql`
      insert into household_score (period, household_id, rank, total, tier, on_list, covered, review,
                                   age_structure, economic, health, disability, medical_burden, labour_capacity, reasons)
      values ('2026-08', 'OLD1', 1, 46.1, 'orange', true, false, false, 70, 91.6, 0, 0, 0, 70,
              '[{"dimension":"economic","points":32.1,"text":"income 600 yuan per person a month"}]');
      grant select on safetynet_export.household_score to public;
    `.execute(test.handle.db);
    const acl = await viewAcl();
    expect(acl).toMatch(/=r\//);

    await migrateTo('0020-period-parent-statistics');
    // made again by 0007, 0014, 0015 and 0019, each time with the options it had
    expect(await viewOptions()).toEqual(['security_barrier=true']);
    await migrateTo('latest');
    const row = await test.handle.db.selectFrom('household_score').select(['total', 'dimensions', 'reasons']).where('household_id', '=', 'OLD1').executeTakeFirstOrThrow();
    // numbers as numbers, JSON as its shape: no string to convert, no cast
    expect(row).toEqual({
      total: 46.1,
      dimensions: { age_structure: 70, economic: 91.6, health: 0, disability: 0, medical_burden: 0, labour_capacity: 70 },
      reasons: [{ dimension: 'economic', points: 32.1, text: 'income 600 yuan per person a month' }],
    });
    expect(await viewAcl()).toBe(acl);
    // migration 0021 lifted the barrier that hid the table's statistics; 0026 puts it back, the
    // view joining the scores to explanations kept without row security
    expect(await viewOptions()).toEqual(['security_barrier=true']);
    const viewed = await test.handle.db.withSchema('safetynet_export').selectFrom('household_score').select('dimensions').where('household_id', '=', 'OLD1').executeTakeFirstOrThrow();
    expect(viewed.dimensions.economic).toBe(91.6);
  });

  it('goes down to the six columns with the scores of the six, a missing one as 0', async () => {
    await migrateTo('latest');
    // since migration 0026 a score and its explanation are two rows, household_score their view
    await keepExplanation('00000000-0000-0000-0000-0000000000a1', { economic: 45, isolation: 50 }, []);
    await sql`
      insert into scored_household (period, household_id, rank, total, tier, on_list, covered, review, explanation)
      values ('2026-09', 'NEW1', 1, 20, 'none', false, false, false, '00000000-0000-0000-0000-0000000000a1')
    `.execute(test.handle.db);
    await migrateTo(BEFORE);
    const { rows } = await sql<Record<string, number | string>>`
      select household_id, age_structure, economic, health, disability, medical_burden, labour_capacity
      from safetynet_export.household_score where household_id in ('OLD1', 'NEW1') order by household_id`.execute(test.handle.db);
    expect(rows).toEqual([
      { household_id: 'NEW1', age_structure: 0, economic: 45, health: 0, disability: 0, medical_burden: 0, labour_capacity: 0 },
      { household_id: 'OLD1', age_structure: 70, economic: 91.6, health: 0, disability: 0, medical_burden: 0, labour_capacity: 70 },
    ]);
    expect(await viewAcl()).toMatch(/=r\//);
    await migrateTo('latest');
  });

  it('shows a dimension a period was scored without as no score, never as 0, and calibrates without that household', async () => {
    await migrateTo('latest');
    // 2026-07 was scored before health existed (as a seventh dimension will be missing from old periods);
    // an explanation and its reasons are kept once (migrations 0026, 0031), their texts as templates (0034)
    await keepExplanation(
      '00000000-0000-0000-0000-0000000000b2',
      { age_structure: 70, economic: 91.6, disability: 0, medical_burden: 0, labour_capacity: 70 },
      [{ dimension: 'economic', points: 32.1, text: 'income 600 yuan per person a month', text_zh: '人均月收入600元' }],
    );
    await sql`
      insert into run (period, status, inbox, config_version, finished_at) values ('2026-07', 'succeeded', 'test', 'test', now());
      -- since migration 0028 the households are versions, household their view
      insert into household_period (period) values ('2026-07');
      insert into household_version (household_id, valid_from, valid_until, on_roster, region_code, hukou_type, assistance, monthly_income, head_id18, head_name, members)
      values ('PART1', '2026-07', null, true, '420106001001', 'urban', 'none', 600, '420106194401010016', '张三', 1);
      insert into scored_household (period, household_id, rank, total, tier, on_list, covered, review, explanation)
      values ('2026-07', 'PART1', 1, 46.1, 'orange', true, false, false, '00000000-0000-0000-0000-0000000000b2');
      insert into visit_import (file, sha256, operator, rows_read, rows_loaded, rows_rejected, rows_duplicate) values ('v.csv', 'x', 'test', 1, 1, 0, 0);
      insert into visit (import_id, line, household_id, visited_on, outcome) select import_id, 2, 'PART1', '2026-07-20', 'assisted_dibao' from visit_import;
    `.execute(test.handle.db);

    const entries = [];
    for await (const e of warningListEntries(test.handle.db, { period: '2026-07', all: true })) entries.push(e);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ age_structure: 70, economic: 91.6, health: null, disability: 0, medical_burden: 0, labour_capacity: 70 });
    // the JSON keeps the registry's order of the list's columns
    expect(Object.keys(entries[0]!).slice(7, 14)).toEqual(['tier', 'age_structure', 'economic', 'health', 'disability', 'medical_burden', 'labour_capacity']);

    const card = await householdCard(test.handle.db, '2026-07', 'PART1', { lang: 'zh' });
    expect(card.dimensions.map((d) => [d.dimension, d.label, d.score, d.points])).toEqual([
      ['economic', '经济状况', 91.6, 32.1],
      ['age_structure', '年龄结构', 70, 0],
      ['health', '健康状况', null, 0],
      ['disability', '残疾状况', 0, 0],
      ['medical_burden', '医疗支出负担', 0, 0],
      ['labour_capacity', '劳动能力', 70, 0],
    ]);
    expect(card.dimensions[0]!.facts).toBe('人均月收入600元');

    // the only settled visit is of a household with no health score: nothing to fit on
    expect(await outcomeSamples(test.handle.db)).toEqual([]);
  });
});
