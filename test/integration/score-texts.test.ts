import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.js';
import { keepExplanations } from '../../src/score/score-explanations.sql.js';
import { cutText, md5Key } from '../../src/score/score-texts.js';
import { useTestDatabase } from '../helpers/database.js';

/**
 * The reasons kept as templates and figures, the route rules once (migration 0034), the
 * dimension scores as a template and figures (0038), the reasons read as one array's text (0039): whatever a reason, a route's rule or the
 * scores say, `household_score` gives back exactly the value the scorer wrote, and texts alike
 * but for their numbers share one template.
 */
const test = useTestDatabase();

const REASONS = [
  { dimension: 'economic', points: 32.4, text: 'income 762 yuan per person a month, under the local dibao standard of 1,100 yuan (584 yuan after out-of-pocket medical spending)', text_zh: '人均月收入762元，低于当地低保标准1,100元（扣除自付医疗费后584元）' },
  { dimension: 'economic', points: 30.1, text: 'income 80 yuan per person a month, under the local dibao standard of 950 yuan (12 yuan after out-of-pocket medical spending)', text_zh: '人均月收入80元，低于当地低保标准950元（扣除自付医疗费后12元）' },
  // a percent sign, a literal "%s", a date, a decimal, full-width digits, quotes and a backslash
  { dimension: 'labour_capacity', points: 7, text: 'wages at a combined rate of 24%; "%s" is not a figure; since 2025-10-24, 1.2x, C:\\x', text_zh: '合计缴存比例24%，自２０２５年起，１名' },
  // no number at all, and no Chinese words (a row scored before reasons had them)
  { dimension: 'health', points: 0.5, text: 'no able earner' },
];
const DIMENSIONS = { health: 15, economic: 100, disability: 0, age_structure: 72.3, medical_burden: 0.1, labour_capacity: 100 };

async function scoreWith(household: string, explanation: string, reasons: object[], rule: [string | null, string | null], dimensions: object = DIMENSIONS): Promise<void> {
  await withTransaction(test.handle.pool, (tx) => keepExplanations(tx, sql`(select ${explanation}::uuid as explanation, ${JSON.stringify(dimensions)}::jsonb as dimensions,
    ${JSON.stringify(reasons)}::jsonb as reasons, ${rule[0]}::text as route_rule, ${rule[1]}::text as route_rule_zh)`));
  await sql`
    insert into scored_household (period, household_id, rank, total, tier, on_list, covered, review, explanation)
    values ('2026-09', ${household}, 1, 50, 'orange', true, false, false, ${explanation}::uuid)`.execute(test.handle.db);
}

const read = async (household: string) =>
  (await sql<{ dimensions: unknown; reasons: unknown; route_rule: string | null; route_rule_zh: string | null }>`
    select dimensions, reasons, route_rule, route_rule_zh from household_score where household_id = ${household}`.execute(test.handle.db)).rows[0];

describe('the scores\' reasons as templates and figures', () => {
  it('give back every reason, dimension and rule exactly as written', async () => {
    await scoreWith('H1', '00000000-0000-0000-0000-000000000001', REASONS, ['per-capita income 222 yuan a month is under the dibao standard of 1,050 yuan (100%)', '人均月收入222元，低于低保标准1,050元']);
    await scoreWith('H2', '00000000-0000-0000-0000-000000000002', [], [null, null]);
    expect(await read('H1')).toEqual({
      dimensions: DIMENSIONS,
      reasons: REASONS,
      route_rule: 'per-capita income 222 yuan a month is under the dibao standard of 1,050 yuan (100%)',
      route_rule_zh: '人均月收入222元，低于低保标准1,050元',
    });
    expect(await read('H2')).toEqual({ dimensions: DIMENSIONS, reasons: [], route_rule: null, route_rule_zh: null });
    // the jsonb text too, not only the value: a reason's key is the MD5 of that text
    const { rows } = await sql<{ same: boolean }>`
      select bool_and(r.id = md5(safetynet_text_filled(t.template, r.figures))::uuid) as same
      from score_reason r join score_template t on t.id = r.template`.execute(test.handle.db);
    expect(rows[0]!.same).toBe(true);
    // read as one array's text parsed once (migration 0039): the same jsonb as each reason parsed and aggregated
    const { rows: joined } = await sql<{ household_id: string; same: boolean }>`
      select s.household_id, s.reasons = coalesce((
        select jsonb_agg(safetynet_text_filled(t.template, r.figures)::jsonb order by u.n)
        from score_explanation e cross join unnest(e.reason_ids) with ordinality as u(id, n)
        join score_reason r on r.id = u.id join score_template t on t.id = r.template
        where e.id = k.explanation), '[]'::jsonb) as same
      from household_score s join scored_household k using (period, household_id) order by s.household_id`.execute(test.handle.db);
    expect(joined).toEqual([{ household_id: 'H1', same: true }, { household_id: 'H2', same: true }]);
  });

  it('keep two reasons alike but for their numbers as one template, each with its own figures', async () => {
    const { rows } = await sql<{ template: string; figures: string | null }>`
      select t.template, r.figures from score_reason r join score_template t on t.id = r.template
      where r.id = any(array[md5(${JSON.stringify(REASONS[0])}::jsonb::text)::uuid, md5(${JSON.stringify(REASONS[1])}::jsonb::text)::uuid])
      order by r.figures`.execute(test.handle.db);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.template).toBe(rows[1]!.template);
    expect(rows[0]!.template).toContain('income %s yuan per person a month');
    expect(rows.map((r) => r.figures)).toEqual(['762 1,100 584 32.4 762 1,100 584', '80 950 12 30.1 80 950 12']);
  });

  it('keep the dimension scores of two explanations as one template, each with its own figures', async () => {
    const other = { ...DIMENSIONS, health: 0, economic: 37.5 };
    await scoreWith('H4', '00000000-0000-0000-0000-000000000004', [], [null, null], other);
    expect((await read('H4'))!.dimensions).toEqual(other);
    const { rows } = await sql<{ template: string; figures: string | null }>`
      select t.template, e.dimension_figures as figures from score_explanation e join score_template t on t.id = e.dimensions_template
      where e.id in ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000004') order by e.id`.execute(test.handle.db);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.template).toBe(rows[1]!.template);
    expect(rows[0]!.template).not.toMatch(/[0-9]/);
    // in jsonb's order of keys (shorter first), each score as written
    expect(rows.map((r) => r.figures)).toEqual(['15 100 0 72.3 0.1 100', '0 37.5 0 72.3 0.1 100']);
  });

  it('cut in Node as the migration\'s functions cut them in PostgreSQL, under the same keys', async () => {
    for (const reason of REASONS) {
      const text = (await sql<{ t: string }>`select ${JSON.stringify(reason)}::jsonb::text as t`.execute(test.handle.db)).rows[0]!.t;
      const { rows } = await sql<{ template: string; figures: string | null; key: string; template_key: string }>`
        select safetynet_text_template(${text}) as template, safetynet_text_figures(${text}) as figures,
               replace(md5(${text})::uuid::text, '-', '') as key, replace(md5(safetynet_text_template(${text}))::uuid::text, '-', '') as template_key`.execute(test.handle.db);
      const cut = cutText(text);
      expect({ ...cut, key: md5Key(text), template_key: md5Key(cut.template) }).toEqual(rows[0]);
    }
  });

  it('writes an explanation kept already no second time', async () => {
    const count = async () =>
      (await sql<{ n: number }>`select (select count(*) from score_explanation) + (select count(*) from score_reason) + (select count(*) from score_template) as n`.execute(test.handle.db)).rows[0]!.n;
    const before = await count();
    await scoreWith('H3', '00000000-0000-0000-0000-000000000001', REASONS, ['x', 'y']);
    expect(await count()).toBe(before);
    expect((await read('H3'))!.reasons).toEqual(REASONS);
  });
});
