/**
 * `npx tsx bench/xlsx-extract.ts [--rows 200000] [--keep DIR]`
 *
 * Whether a department's XLSX extract is read in flat memory: writes a workbook of `--rows`
 * claims rows the way Excel saves one (shared strings, styles, a date column, amounts, 是/否),
 * with exceljs's streaming WorkbookWriter, then reads it through openExtract in a child process
 * under the CLI's heap cap (--max-old-space-size=160), as the ingest does (batch by batch), and
 * prints rows/s, the peak heap and the peak RSS. The child runs under tsx, whose loader and
 * transpiled sources take some 80 MiB of RSS before a row is read: the RSS before reading is
 * printed too. Exits 1 when the child fails (out of heap above all).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExtract } from '../src/ingest/read-extract.js';

const HEAP_CAP = '--max-old-space-size=160';
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** A valid-looking ID number for row i (the check character is not computed: only reading is measured). */
const idOf = (i: number) => `420106${1940 + (i % 60)}0${1 + (i % 9)}1${i % 10}${String(i % 1000).padStart(3, '0')}${i % 10}`;
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂';

async function writeWorkbook(path: string, rows: number): Promise<number> {
  // imported here: the child that reads must not pay for the writer
  const { default: ExcelJS } = await import('exceljs');
  const started = performance.now();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const ws = wb.addWorksheet('医保结算');
  ws.columns = [
    { header: '结算单号', key: 'claim' },
    { header: '身份证号', key: 'id' },
    { header: '姓名', key: 'name' },
    { header: '结算日期', key: 'settled', style: { numFmt: 'yyyy"年"m"月"d"日"' } },
    { header: '是否住院', key: 'inpatient' },
    { header: '医疗总费用', key: 'total', style: { numFmt: '#,##0.00' } },
    { header: '统筹支付', key: 'fund', style: { numFmt: '#,##0.00' } },
    { header: '医疗救助支付', key: 'assistance', style: { numFmt: '#,##0.00' } },
    { header: '个人自付', key: 'own', style: { numFmt: '#,##0.00' } },
  ];
  for (let i = 0; i < rows; i++) {
    const total = 100 + ((i * 7919) % 50_000) / 4;
    ws.addRow({
      claim: `JS2026${String(i).padStart(8, '0')}`,
      id: idOf(i),
      name: SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + (i % 3 === 0 ? GIVEN[(i * 13) % GIVEN.length]! : ''),
      settled: new Date(Date.UTC(2026, 9, 1 + (i % 31))),
      inpatient: i % 5 === 0 ? '是' : '否',
      total,
      fund: Math.round(total * 60) / 100,
      assistance: i % 4 === 0 ? Math.round(total * 10) / 100 : null,
      own: Math.round(total * 30) / 100,
    }).commit();
  }
  ws.commit();
  await wb.commit();
  return (performance.now() - started) / 1000;
}

interface ReadResult {
  rows: number;
  numericCells: number;
  seconds: number;
  /** CPU seconds of the child: the wall time on a busy machine is mostly waiting */
  cpuSeconds: number;
  heapBeforeBytes: number;
  rssBeforeBytes: number;
  peakHeapBytes: number;
  peakRssBytes: number;
}

/** The child: reads the workbook as the ingest does and reports on stdout as JSON. */
async function readWorkbook(path: string): Promise<ReadResult> {
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const extract = await openExtract(path, 'medical-insurance.xlsx');
  let rows = 0;
  let numericCells = 0;
  let batches = 0;
  for await (const batch of extract.batches) {
    for (const r of batch) {
      rows++;
      numericCells += r.numericCells?.length ?? 0;
    }
    // sampled: memoryUsage() reads the process's RSS too, which costs more than a batch
    if (++batches % 8 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  extract.sha256();
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  return {
    rows,
    numericCells,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (() => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1e6;
    })(),
    heapBeforeBytes: before.heapUsed,
    rssBeforeBytes: before.rss,
    peakHeapBytes: peakHeap,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

async function main(): Promise<void> {
  const child = arg('read');
  if (child) {
    process.stdout.write(JSON.stringify(await readWorkbook(child)));
    return;
  }
  const rows = Number(arg('rows') ?? 200_000);
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a whole number of rows');
  const keep = arg('keep');
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'safetynet-bench-xlsx-')));
  await mkdir(dir, { recursive: true });
  const path = join(dir, `claims-${rows}.xlsx`);
  try {
    const writeSeconds = await writeWorkbook(path, rows);
    console.log(`wrote ${rows.toLocaleString('en')} rows, ${MiB((await stat(path)).size)} of XLSX, in ${writeSeconds.toFixed(1)} s (exceljs WorkbookWriter, shared strings)`);
    const self = fileURLToPath(import.meta.url);
    const run = spawnSync(process.execPath, [HEAP_CAP, '--import', 'tsx', self, '--read', path], { cwd: resolve(dirname(self), '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (run.status !== 0) {
      console.error(`the reader failed under ${HEAP_CAP} (exit ${run.status ?? run.signal})`);
      process.exitCode = 1;
      return;
    }
    const r = JSON.parse(run.stdout) as ReadResult;
    console.log(`read ${r.rows.toLocaleString('en')} rows (${r.numericCells.toLocaleString('en')} numeric cells) through openExtract under ${HEAP_CAP} in ${r.seconds.toFixed(1)} s (${r.cpuSeconds.toFixed(1)} s of CPU): ${Math.round(r.rows / r.seconds).toLocaleString('en')} rows/s`);
    console.log(`heap: ${MiB(r.heapBeforeBytes)} before reading, ${MiB(r.peakHeapBytes)} at most while reading`);
    console.log(`RSS:  ${MiB(r.rssBeforeBytes)} before reading (node + tsx), ${MiB(r.peakRssBytes)} at most`);
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

await main();
