import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigInvalid, ExtractRejected, ExtractsMissing } from '../../src/errors.js';
import { columnsWith, type Department } from '../../src/ingest/department.js';
import { department, departmentIds, registerDepartment } from '../../src/ingest/departments.js';
import { mapHeader, valueMaps } from '../../src/ingest/ingest-source.js';
import { locateExtracts } from '../../src/pull/inbox.js';

/** The registry, a bureau's department settings in config, and the inbox's view of both: no database. */

const problemsOf = (override: unknown): string[] => {
  try {
    parseConfig(override);
    return [];
  } catch (err) {
    if (err instanceof ConfigInvalid) return err.problems;
    throw err;
  }
};

const CONTRACT = ['civil-affairs', 'disability', 'medical-insurance', 'health', 'human-resources', 'housing', 'emergency', 'education', 'public-security', 'verification'];
const location = (file: string) => ({ location: `/srv/{period}/${file}` });

describe('the registry', () => {
  it('holds the four departments of the contract and those added since, the roster first', () => {
    expect(departmentIds()).toEqual(CONTRACT);
    expect(department('health').labels).toEqual({ en: 'Health commission', zh: '卫健' });
  });

  it('refuses a declaration that contradicts itself or the registry, naming every problem', () => {
    const clash: Department = { ...department('housing'), id: 'Health Office', file: 'health', idColumn: 'person', table: 'elsewhere' };
    expect(() => registerDepartment(clash)).toThrow(
      'department Health Office cannot be registered: its id must be lower-case words joined by "-" (e.g. human-resources); ' +
        'its idColumn person is not one of its columns; its table elsewhere must be one of its periodTables; ' +
        'department health already reads the file health; department housing already keeps its rows in dangerous_house',
    );
    // kept as versions: in a table of its own, and a rescuable one says how rescued rows join them
    const versioned: Department = { ...department('health'), id: 'health-office', file: 'health-office', addRescued: undefined };
    expect(() => registerDepartment(versioned)).toThrow(
      'department health-office cannot be registered: a department kept as versions that is rescuable needs addRescued; ' +
        'department health already keeps its rows in diagnosis_version',
    );
    expect(departmentIds()).toEqual(CONTRACT);
  });

  it('adds a department after the others and takes it out again', () => {
    const unregister = registerDepartment({
      ...department('health'),
      id: 'tax',
      file: 'tax',
      required: false,
      versions: undefined,
      addRescued: undefined,
      table: 'tax_record',
      periodTables: [{ table: 'tax_record', periodColumn: 'period' }],
    });
    expect(departmentIds()).toEqual([...CONTRACT, 'tax']);
    unregister();
    expect(departmentIds()).toEqual(CONTRACT);
  });
});

describe('config: departments', () => {
  it('takes aliases and value maps for a department column', () => {
    const { config } = parseConfig({
      departments: {
        health: { columns: { id_number: { aliases: ['证件号码'] } } },
        disability: { required: true, columns: { disability_grade: { values: { 特重: '1' } } } },
      },
    });
    const columns = columnsWith(department('health'), config.departments.health);
    expect(columns.find((c) => c.name === 'id_number')!.headers).toEqual(['身份证号', '身份证号码', '证件号码']);
  });

  it('refuses an unknown department and an unknown column, listing the valid ones', () => {
    expect(problemsOf({ departments: { healht: {}, health: { columns: { id: { aliases: ['证件号码'] } } } } })).toEqual([
      `departments.healht: no department "healht" is registered; valid: ${CONTRACT.join(', ')}`,
      'departments.health.columns.id: health has no column "id"; its columns are id_number, name, diagnosis_code, category, recorded_on',
    ]);
  });

  it('refuses an alias that names another column, an optional roster and an unknown setting, all at once', () => {
    expect(
      problemsOf({
        departments: {
          health: { columns: { id_number: { aliases: ['姓名'] } } },
          'civil-affairs': { required: false },
          disability: { optional: true },
        },
      }),
    ).toEqual([
      'departments.disability: Unrecognized key: "optional"',
      'departments.health.columns.id_number.aliases: "姓名" already names column name',
      'departments.civil-affairs.required: civil-affairs defines the households: a month cannot run without it',
    ]);
  });

  it('keys operation.sources and maxRejectRateBySource by the registered ids', () => {
    const sources = Object.fromEntries(CONTRACT.map((id) => [id, location(`${id}.csv`)]));
    expect(problemsOf({ operation: { sources } })).toEqual([]);
    expect(problemsOf({ operation: { sources: { ...sources, tax: location('tax.csv') } } })).toEqual([
      `operation.sources.tax: no department "tax" is registered; valid: ${CONTRACT.join(', ')}, manifest, dibao-standards`,
    ]);
    expect(problemsOf({ ingest: { maxRejectRateBySource: { roster: 0.5 } } })).toEqual([
      `ingest.maxRejectRateBySource.roster: no department "roster" is registered; valid: ${CONTRACT.join(', ')}`,
    ]);
  });

  it('names the required departments operation.sources leaves out; an optional one may be left out', () => {
    const { health: _health, disability: _disability, ...some } = Object.fromEntries(CONTRACT.map((id) => [id, location(`${id}.csv`)]));
    expect(problemsOf({ operation: { sources: some } })).toEqual(['operation.sources: missing the location of required department(s) disability, health']);
    expect(problemsOf({ operation: { sources: { ...some, disability: location('disability.csv') } }, departments: { health: { required: false } } })).toEqual([]);
  });
});

describe("a header read with a bureau's settings", () => {
  it('maps codes before validation, after the same folding as headers', () => {
    const columns = columnsWith(department('disability'), { columns: { disability_grade: { values: { 特重: '1', 'Ｇｒａｄｅ　Ⅱ': '2' } } } });
    const header = mapHeader(['身份证号', '残疾类别', '残疾等级'], columns, 'disability.csv', 'disability');
    const map = valueMaps(header)!;
    expect(map(['x', '肢体', ' 特重 '])).toEqual(['x', '肢体', '1']);
    expect(map(['x', '肢体', 'grade ii'])).toEqual(['x', '肢体', '2']);
    expect(map(['x', '特重', '三级'])).toEqual(['x', '特重', '三级']);
    expect(valueMaps(mapHeader(['身份证号', '残疾类别', '残疾等级'], department('disability').columns, 'disability.csv'))).toBeNull();
  });
});

describe('the inbox', () => {
  const period = '2026-10';
  async function folder(files: string[]): Promise<string> {
    const inbox = await mkdtemp(join(tmpdir(), 'safetynet-departments-'));
    await mkdir(join(inbox, period));
    for (const f of files) await writeFile(join(inbox, period, f), 'id_number\n');
    return inbox;
  }

  it('finds an extract delivered as a workbook', async () => {
    const located = await locateExtracts(await folder(['civil-affairs.csv', 'disability.xlsx', 'medical-insurance.csv', 'health.csv']), period);
    expect(located.map((l) => l.file)).toEqual([`${period}/civil-affairs.csv`, `${period}/disability.xlsx`, `${period}/medical-insurance.csv`, `${period}/health.csv`]);
  });

  it('refuses a department delivered both as CSV and as a workbook', async () => {
    const err = await locateExtracts(await folder(['civil-affairs.csv', 'disability.csv', 'disability.xlsx', 'medical-insurance.csv', 'health.csv']), period).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as Error).message).toBe(
      '2026-10/disability.csv: the disability extract is in the folder twice, as disability.csv and disability.xlsx: remove the one the department did not mean ' +
        '(the manifest, when there is one, names the file delivered); the period was refused whole',
    );
  });

  it('waits for a required department, and runs without one the config makes optional', async () => {
    const inbox = await folder(['civil-affairs.csv', 'disability.csv', 'medical-insurance.csv']);
    const err = await locateExtracts(inbox, period).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractsMissing);
    expect((err as ExtractsMissing).missing).toEqual(['health.csv']);
    const located = await locateExtracts(inbox, period, { health: { required: false } });
    expect(located.map((l) => l.source)).toEqual(['civil-affairs', 'disability', 'medical-insurance']);
  });

  it('waits for an optional department the manifest says was sent', async () => {
    const inbox = await folder(['civil-affairs.csv', 'disability.csv', 'medical-insurance.csv']);
    await writeFile(join(inbox, period, 'manifest.json'), JSON.stringify({ files: { 'health.xlsx': { sha256: '0'.repeat(64), rows: 1 } } }));
    const err = await locateExtracts(inbox, period, { health: { required: false } }).catch((e: unknown) => e);
    expect((err as ExtractsMissing).missing).toEqual(['health.xlsx']);
  });
});
