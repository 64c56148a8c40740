import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** No Docker engine runs here: these checks keep the Dockerfile's essentials from rotting. */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').map((l) => l.trim());

describe('the Dockerfile', () => {
  it('builds in stages on the official image of the Node LTS that CI tests on and engines admits', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const majors = froms.map((l) => Number(l.match(/^FROM node:(\d+)-bookworm-slim\b/)?.[1]));
    expect(new Set(majors)).toEqual(new Set([24]));
    // .ci/run fetches this Node when the machine has an older one
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^NODE_LTS=24$/m);
    const engines = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    expect(Number(engines.match(/^>=(\d+)$/)?.[1])).toBeLessThanOrEqual(24);
  });

  it('runs as the non-root node user under tini', () => {
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER node$/m);
    expect(lastStage).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    expect(lastStage).toContain('tini');
    // not -g: a SIGTERM of its own shuts the embedded server before the run records its end
    expect(lastStage).not.toMatch(/^ENTRYPOINT .*"-g"/m);
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
