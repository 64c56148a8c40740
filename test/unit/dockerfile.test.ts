import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** No Docker engine runs here: these checks keep the Dockerfile's essentials from rotting. */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').map((l) => l.trim());

describe('the Dockerfile', () => {
  it('builds on the official Node 20 image in stages', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.every((l) => /^FROM node:20[-.\w]* ?/.test(l))).toBe(true);
  });

  it('runs as the non-root node user under tini', () => {
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER node$/m);
    expect(lastStage).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    expect(lastStage).toContain('tini');
  });

  it('copies only files that exist in the repository', () => {
    const sources = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.replace(/--chown=\S+/, '').split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) expect(existsSync(join(ROOT, s)), `${s} is copied but missing`).toBe(true);
  });

  it('bakes in no secrets', () => {
    expect(dockerfile).not.toMatch(/(PASSWORD|SECRET|TOKEN|DATABASE_URL)\s*=/i);
    expect(dockerfile).not.toMatch(/postgres:\/\//);
  });

  it('runs the scheduler by default', () => {
    expect(dockerfile).toMatch(/^CMD \["schedule"\]$/m);
  });

  it('keeps data and inbox on volumes, with a time zone set', () => {
    expect(dockerfile).toMatch(/^VOLUME .*\/var\/lib\/safetynet/m);
    expect(dockerfile).toMatch(/TZ=Asia\/Shanghai/);
  });
});
