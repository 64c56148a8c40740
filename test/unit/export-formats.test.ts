import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { exportCommand } from '../../src/commands/export.js';
import { exportFormats } from '../../src/export/formats.js';
import { pino } from 'pino';

describe('export formats, declared once', () => {
  it('are the choices of `export --format`, each described in its help', () => {
    const exp = buildProgram().commands.find((c) => c.name() === 'export')!;
    const option = exp.options.find((o) => o.long === '--format')!;
    expect(option.argChoices).toEqual(exportFormats.map((f) => f.id));
    for (const f of exportFormats) expect(option.description).toContain(f.description);
  });

  it('each load a writer when used', async () => {
    for (const f of exportFormats) {
      expect(typeof (await f.list())).toBe('function');
      if (f.urgent) expect(typeof (await f.urgent())).toBe('function');
    }
  });

  it('refuse a format that has no urgent list, naming those that have, before anything is opened', async () => {
    await expect(
      exportCommand({ urgent: true, since: '2026-11-01', format: 'xlsx', out: '-' } as Parameters<typeof exportCommand>[0], pino({ level: 'silent' })),
    ).rejects.toThrow('--format xlsx is not one of csv, json for --urgent');
  });
});
