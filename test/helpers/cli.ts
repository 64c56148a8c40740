import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ENTRY = ['--import', 'tsx', 'src/main.ts'];

/** The test process's environment without its own Safetynet settings, plus the given ones. */
function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: undefined, SAFETYNET_HOME: undefined, SAFETYNET_CONFIG: undefined, ...env };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  return childEnv;
}

/** Starts the real CLI in the background, for tests that signal or kill it while it works. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, stdio: 'ignore' | 'pipe' = 'ignore') {
  const child = spawn(process.execPath, [...ENTRY, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', stdio, stdio] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited };
}

/** Runs the real CLI in a child process (from source, through tsx), as a user or cron would. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const childEnv = cliEnv(env);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...ENTRY, ...args],
      { cwd: ROOT, env: childEnv, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
