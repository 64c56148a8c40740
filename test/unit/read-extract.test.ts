import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it, vi } from 'vitest';
import { ExtractRejected } from '../../src/errors.js';
import { mapHeader } from '../../src/ingest/ingest-source.js';
import { civilAffairs } from '../../src/ingest/civil-affairs/civil-affairs.source.js';
import { detectEncoding, openExtract, type ExtractRecord } from '../../src/ingest/read-extract.js';

async function file(bytes: Buffer | string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safetynet-read-'));
  const path = join(dir, 'x.csv');
  await writeFile(path, bytes);
  return path;
}

async function all(path: string): Promise<{ header: string[]; records: ExtractRecord[]; encoding: string }> {
  const ex = await openExtract(path, 'x.csv');
  const records: ExtractRecord[] = [];
  for await (const r of ex.records) records.push(r);
  return { header: ex.header, records, encoding: ex.encoding };
}

const chinese = '户编号,姓名\r\nH1,张伟\r\nH2,"李娜, 王芳"\r\n';

describe('reading an extract', () => {
  it('reads UTF-8, UTF-8 with BOM and GB18030 to the same text', async () => {
    const utf8 = await all(await file(chinese));
    const bom = await all(await file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(chinese)])));
    const gb = await all(await file(iconv.encode(chinese, 'gb18030')));
    expect(utf8.encoding).toBe('utf-8');
    expect(bom.encoding).toBe('utf-8');
    expect(gb.encoding).toBe('gb18030');
    for (const r of [utf8, bom, gb]) {
      expect(r.header).toEqual(['户编号', '姓名']);
      expect(r.records.map((x) => x.fields)).toEqual([
        ['H1', '张伟'],
        ['H2', '李娜, 王芳'],
      ]);
    }
  });

  it('detects GB18030 even when the first Chinese character comes late in the file', async () => {
    const text = `a,b\n${'x,y\n'.repeat(5000)}张,伟\n`;
    expect(await detectEncoding(await file(iconv.encode(text, 'gb18030')))).toBe('gb18030');
  });

  it('gives each record the line it starts on, across quoted newlines and blank lines', async () => {
    const { records } = await all(await file('a,b\n1,"two\nlines"\n\n3,x\n4,"q ""quoted"""\n'));
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [2, ['1', 'two\nlines']],
      [5, ['3', 'x']],
      [6, ['4', 'q "quoted"']],
    ]);
  });

  it('refuses a file whose quoting is broken, naming the file and line', async () => {
    const path = await file('a,b\n1,2\n3,"unclosed\n4,5\n');
    const err = await all(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractRejected);
    expect((err as Error).message).toMatch(/^x\.csv, line \d+: not a readable CSV file/);
  });

  it('refuses an empty file', async () => {
    await expect(all(await file(''))).rejects.toThrow('x.csv, line 1: the file is empty: no header row');
  });
});

describe('matching headers', () => {
  it('accepts English and Chinese names after trimming and case-folding, and lists unknown columns', () => {
    const header = [' Household_ID ', '身份证号', 'NAME', '与户主关系', '区划代码', '户籍性质', 'assistance', '家庭月收入', '备注'];
    const m = mapHeader(header, civilAffairs.columns, 'f.csv');
    expect(m.positions.map((p) => p.column.name)).toEqual([
      'household_id', 'id_number', 'name', 'relation', 'region_code', 'hukou_type', 'assistance', 'monthly_income',
    ]);
    expect(m.unknown).toEqual(['备注']);
  });

  it('refuses a file missing a required column, naming it in both languages', () => {
    expect(() => mapHeader(['户编号', '身份证号'], civilAffairs.columns, 'f.csv')).toThrow(
      /f\.csv, line 1: missing required column\(s\) name \(姓名\), relation \(与户主关系\)/,
    );
  });

  it('refuses a file that gives the same column twice', () => {
    expect(() => mapHeader(['姓名', 'name'], civilAffairs.columns, 'f.csv')).toThrow(/columns "姓名" and "name" are both name/);
  });
});

describe('a Node without full ICU', () => {
  it('reads GB18030 with iconv-lite when the platform decoder does not know it, to the same records', async () => {
    const text = `${chinese}H3,"多行\r\n地址",\uFFFD\r\n`.replace('\uFFFD', '欧阳');
    const bytes = Buffer.concat([iconv.encode(text, 'gb18030'), Buffer.from([0x81])]); // and a cut-off byte at the end
    const native = await all(await file(bytes));
    const Native = TextDecoder;
    vi.stubGlobal(
      'TextDecoder',
      class extends Native {
        constructor(label?: string, opts?: ConstructorParameters<typeof TextDecoder>[1]) {
          if (label === 'gb18030') throw new RangeError('The "gb18030" encoding is not supported');
          super(label, opts);
        }
      },
    );
    try {
      const fallback = await all(await file(bytes));
      expect(fallback.encoding).toBe('gb18030');
      expect(fallback).toEqual(native);
      expect(fallback.records.at(-2)!.fields).toEqual(['H3', '多行\r\n地址', '欧阳']);
      expect(fallback.records.at(-1)!.fields).toEqual(['\uFFFD']); // the cut-off byte, as the native decoder reads it
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
