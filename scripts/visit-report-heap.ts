/**
 * A 19 MB visit report of bad rows (unique random text in shared strings, the sheet before its
 * strings as Excel writes it) imported by the real CLI under its own 160 MB heap cap. Too slow for
 * the test suite on a busy machine (about a minute), so run by hand after changing the XLSX reader:
 *
 *   npx tsx scripts/visit-report-heap.ts            # embedded PostgreSQL in a temp SAFETYNET_HOME
 *   DATABASE_URL=postgres://… npx tsx scripts/visit-report-heap.ts
 *
 * Passes when the import ends with exit code 0 (every row rejected and counted) or 3 (refused
 * whole with a message), never a heap exhaustion.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHEET_END, SHEET_START, workbookParts, zip } from '../test/helpers/hostile-xlsx.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = 200_000;
const dir = await mkdtemp(join(tmpdir(), 'safetynet-heap-'));
// run as root, the embedded server's own user must reach its home
await chmod(dir, 0o755);
const strings: string[] = ['户编号', '走访日期', '走访结果', '救助金额', '备注'];
const rnd = (n: number) => randomBytes(n).toString('base64url').slice(0, n);
const cell = (col: number, line: number, text: string) => {
  strings.push(text);
  return `<c r="${String.fromCharCode(65 + col)}${line}" t="s"><v>${strings.length - 1}</v></c>`;
};
const rows: string[] = [`<row r="1">${[0, 1, 2, 3, 4].map((i) => `<c r="${String.fromCharCode(65 + i)}1" t="s"><v>${i}</v></c>`).join('')}</row>`];
for (let line = 2; line <= ROWS + 1; line++) {
  // an unknown household, a day that does not exist, an outcome that is no outcome, a long note
  rows.push(`<row r="${line}">${cell(0, line, `X${rnd(8)}`)}${cell(1, line, `2026-13-${line % 28}`)}${cell(2, line, rnd(6))}${cell(3, line, rnd(5))}${cell(4, line, rnd(72))}</row>`);
}
const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t>${s}</t></si>`).join('')}</sst>`;
const file = join(dir, 'street-bad-rows.xlsx');
await writeFile(file, zip(workbookParts({ data: SHEET_START + rows.join('') + SHEET_END }, { data: sst })));
console.log(`${file}: ${((await stat(file)).size / 1e6).toFixed(1)} MB, ${ROWS} data rows`);

const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=160', SAFETYNET_HOME: process.env.DATABASE_URL ? undefined : join(dir, 'home') };
const started = Date.now();
const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'visits', 'import', file, '--json', '--log-level', 'warn'], { cwd: ROOT, env, encoding: 'utf8' });
console.log(`exit ${r.status} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(r.stdout.trim() || r.stderr.trim().split('\n').slice(-3).join('\n'));
await rm(dir, { recursive: true, force: true });
process.exit(r.status === 0 || r.status === 3 ? 0 : 1);
