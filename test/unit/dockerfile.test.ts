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

  it('is healthy by `safetynet status`, the scheduler\'s heartbeat, mapped to Docker\'s exit 1', () => {
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')).replace(/\\\n\s*/g, '');
    const healthcheck = lastStage.match(/^HEALTHCHECK (.*)$/m)?.[1] ?? '';
    expect(healthcheck).toMatch(/--start-period=\S+/);
    // Docker's contract is 0 healthy, 1 unhealthy, 2 reserved: status's 11 (or 2 for a bad config) becomes 1
    expect(healthcheck).toMatch(/CMD node \/app\/bin\/safetynet\.js status \|\| exit 1$/);
    expect(existsSync(join(ROOT, 'bin', 'safetynet.js'))).toBe(true);
  });

  it('keeps data and inbox on volumes, with a time zone set', () => {
    expect(dockerfile).toMatch(/^VOLUME .*\/var\/lib\/safetynet/m);
    expect(dockerfile).toMatch(/TZ=Asia\/Shanghai/);
  });
});
