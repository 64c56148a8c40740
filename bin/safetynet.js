#!/usr/bin/env -S node --max-old-space-size=160
// The `safetynet` command. `npm ci` builds dist/ (the prepare script); without it, say how.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('safetynet: not built yet: run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
await import(entry.href);
