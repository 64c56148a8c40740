import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliveredDays, runDay } from '../../jobs/run-day.js';
import { runPeriod } from '../../jobs/run-period.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ExtractsMissing } from '../../src/errors.js';
import { writeUrgentList } from '../../src/export/urgent-list.js';
import { writeWarningList } from '../../src/export/warning-list.js';
import { silentLog, useTestDatabase } from '../helpers/database.js';
import { encode, makeId, makeInbox, type Table } from '../helpers/inbox.js';

/**
 * Events between months: public security's deaths and emergency management's disasters come by
 * night, as the claims do. Five households of one street, standard 1,000 yuan a person, warning
 * threshold 30; the months 2026-09 and 2026-10 are run, then the nights of November, then the
 * November month.
 */
const config = parseConfig(undefined);
const test = useTestDatabase();
const deps = () => ({ database: test.handle, config, log: silentLog });

const P = {
  d1: makeId('19800101', 11), // the earner of a poor household: dies on 2026-11-06
  d1s: makeId('19820202', 22), // his wife, at home with an illness
  d2: makeId('19790303', 31), // the earner of a well-off household: dies the same day
  d2s: makeId('19810404', 42),
  f1: makeId('19750505', 51), // a flood ruins the house: 15,000 yuan for a household of 3,000 a month
  f1s: makeId('19770606', 62),
  f2: makeId('19700707', 71), // the same flood, 500 yuan of loss, the house standing
  f2s: makeId('19720808', 82),
  b1: makeId('19900909', 91), // a mother; her child is born on 2026-11-09
  b1c: makeId('20261109', 13),
};

const R = (hh: string, id: string, name: string, rel: string, income: number | '', emp: string) =>
  [hh, id, name, rel, '420106001001', 'urban', 'none', income, emp, `湖北省武汉市武昌区测试路${hh}号`, `1390000${hh.slice(1).padStart(4, '0')}`];

const roster: Table = [
  R('D1', P.d1, '王一', 'head', 2400, 'employed'),
  R('D1', P.d1s, '李一', 'spouse', '', 'unable'),
  R('D2', P.d2, '赵二', 'head', 16000, 'employed'),
  R('D2', P.d2s, '钱二', 'spouse', '', 'employed'),
  R('F1', P.f1, '孙三', 'head', 3000, 'employed'),
  R('F1', P.f1s, '周三', 'spouse', '', 'employed'),
  R('F2', P.f2, '吴四', 'head', 3000, 'employed'),
  R('F2', P.f2s, '郑四', 'spouse', '', 'employed'),
  R('B1', P.b1, '冯五', 'head', 2600, 'employed'),
];

const POPULATION_HEADER = ['公民身份号码', '姓名', '事件类型', '事件日期', '父母身份证号', '是否撤销'];
const DISASTER_HEADER = ['身份证号', '姓名', '灾害事件', '受灾日期', '直接经济损失', '房屋受损'];

async function deliver(inbox: string, day: string, file: string, rows: Table): Promise<void> {
  await mkdir(join(inbox, 'daily', day), { recursive: true });
  await writeFile(join(inbox, 'daily', day, file), encode({ rows }));
}

async function csv(write: (out: Writable) => Promise<unknown>): Promise<Record<string, string>[]> {
  const chunks: Buffer[] = [];
  await write(new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
  return parse(Buffer.concat(chunks).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
}

let inbox: string;
beforeAll(async () => {
  inbox = await makeInbox({ '2026-09': { roster }, '2026-10': { roster }, '2026-11': { roster } }, [['420106', 'urban', '2025-01', '1000']]);
  // the night of 11-08: two deaths (public security) and a flood (emergency management)
  await deliver(inbox, '2026-11-08', 'public-security.csv', [
    POPULATION_HEADER,
    [P.d1, '王一', '死亡', '2026-11-06', '', ''],
    [P.d2, '赵二', '死亡', '2026-11-06', '', ''],
  ]);
  await deliver(inbox, '2026-11-08', 'emergency.csv', [
    DISASTER_HEADER,
    [P.f1, '孙三', '11·7暴雨洪涝', '2026-11-07', 15000, '是'],
    [P.f1s, '周三', '11·7暴雨洪涝', '2026-11-07', 9000, '是'], // the same flood, registered for the wife too
    [P.f2, '吴四', '11·7暴雨洪涝', '2026-11-07', 500, '否'],
  ]);
  // the night of 11-10: the death of 11-06 again (a correction of its date) and a birth
  await deliver(inbox, '2026-11-10', 'public-security.csv', [
    POPULATION_HEADER,
    [P.d1, '王一', '死亡', '2026-11-05', '', ''],
    [P.b1c, '冯小五', '出生', '2026-11-09', P.b1, ''],
  ]);
  // the November extract of emergency management: the flood's loss as assessed, 12,000
  await writeFile(
    join(inbox, '2026-11', 'emergency.csv'),
    encode({ rows: [DISASTER_HEADER, [P.f1, '孙三', '11·7暴雨洪涝', '2026-11-07', 12000, '是'], [P.f2, '吴四', '11·7暴雨洪涝', '2026-11-07', 500, '否']] }),
  );
  await runPeriod(deps(), { inbox, period: '2026-09' });
  await runPeriod(deps(), { inbox, period: '2026-10' });
});

describe('deaths and disasters by night', () => {
  it('finds the nights any department delivered, and says which files a night may hold', async () => {
    expect(await deliveredDays(inbox)).toEqual(['2026-11-08', '2026-11-10']);
    const err = await runDay(deps(), { inbox, day: '2026-11-09' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractsMissing);
    expect((err as Error).message).toContain('daily/2026-11-09/public-security.csv');
    expect((err as Error).message).toContain('daily/2026-11-09/emergency.csv');
  });

  it("warns the same night on the main earner's death in a low-income household and on a disaster's loss, once per household and event", async () => {
    const night = await runDay(deps(), { inbox, day: '2026-11-08' });
    expect(night).toMatchObject({
      base_period: '2026-10',
      departments: { 'public-security': { rows_loaded: 2, rows_rejected: 0 }, emergency: { rows_loaded: 3, rows_rejected: 0 } },
      households_touched: 4,
    });
    const warnings = await test.handle.db
      .selectFrom('urgent_warning')
      .select(['household_id', 'kind', 'event_key', 'reason', 'reason_zh'])
      .where('kind', '<>', 'crossed_threshold')
      .orderBy('household_id')
      .execute();
    // D2 earned 16,000 a month for two: its loss is the month list's to weigh, not a night's alarm;
    // F2's flood cost it 500 yuan and left the house standing
    expect(warnings.map((w) => [w.household_id, w.kind])).toEqual([
      ['D1', 'main_earner_died'],
      ['F1', 'disaster_loss'],
    ]);
    const [death, flood] = warnings;
    // a warning that also took the household over the line says so after a '; '
    expect(death!.reason.split('; ')[0]).toBe(
      "the main earner 王* died on 2026-11-06 (公安): a low-income household (the roster's 2,400 yuan a month was declared with them, 1 member left)",
    );
    expect(death!.reason_zh.split('；')[0]).toBe('主要劳动力王*于2026-11-06去世（公安）：低收入家庭（民政名册登记的家庭月收入2,400元含其收入，现有成员1人）');
    // the flood counted once for the household, at its larger row
    expect(flood!.event_key).toBe('emergency:11·7暴雨洪涝:2026-11-07');
    expect(flood!.reason.split('; ')[0]).toBe("disaster (应急): 11·7暴雨洪涝 on 2026-11-07, loss 15,000 yuan, 5.0x the household's monthly income, house damaged");
    expect(night.urgent_by_kind).toMatchObject({ main_earner_died: 1, disaster_loss: 1 });

    // the night again: nothing new
    const again = await runDay(deps(), { inbox, day: '2026-11-08' });
    expect(again).toMatchObject({ urgent_raised: 0, urgent_already_raised: night.urgent_raised });
    // a later night correcting the death's date is the same event: no second warning
    const correction = await runDay(deps(), { inbox, day: '2026-11-10' });
    expect(correction).toMatchObject({ departments: { 'public-security': { rows_loaded: 2, rows_rejected: 0 } } });
    expect(correction.urgent_by_kind.main_earner_died ?? 0).toBe(0);
    expect(await test.handle.db.selectFrom('urgent_warning').select('household_id').where('kind', '=', 'main_earner_died').execute()).toHaveLength(1);

    const urgent = await csv((out) => writeUrgentList(test.handle.db, { period: '2026-11', urgent: true, since: '2026-11-01', lang: 'zh' }, out, silentLog));
    expect(urgent.filter((r) => r['预警类型'] === '主要劳动力死亡').map((r) => r['户编号'])).toEqual(['D1']);
    expect(urgent.filter((r) => r['预警类型'] === '受灾损失').map((r) => r['户编号'])).toEqual(['F1']);
  });

  it('the month folds the nights in: the death counts without a monthly public-security file, the monthly extract corrects the loss', async () => {
    await runPeriod(deps(), { inbox, period: '2026-11' });
    const rows = Object.fromEntries(
      (await csv((out) => writeWarningList(test.handle.db, { period: '2026-11', all: true }, out, silentLog))).map((r) => [r.household_id, r]),
    );
    // the death as last corrected (11-05), from the nights alone
    expect(rows.D1!.reasons).toContain('the main earner 王* died on 2026-11-05 (公安)');
    // the month's extract is the bureau's reconciled record: its 12,000 replaces the night's 15,000
    expect(rows.F1!.reasons).toContain('11·7暴雨洪涝 on 2026-11-07, loss 12,000 yuan, house damaged');
    const b1 = await test.handle.db.selectFrom('household_score').select('signal_departments').where('period', '=', '2026-11').where('household_id', '=', 'B1').executeTakeFirstOrThrow();
    expect(b1.signal_departments).toContain('public-security');
  });
});
