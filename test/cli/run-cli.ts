import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The built CLI (dist/cli/main.js, produced by `npm run build`, which `npm test` runs first). */
export const CLI = resolve(__dirname, '../../dist/cli/main.js');
/** Fixtures folder: the working directory of every run. */
export const FIXTURES = resolve(__dirname, 'fixtures');

/** Outcome of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws a clear error when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does)`);
}

/**
 * Runs the built CLI as a child process, asynchronously (a test server in this process keeps answering); never
 * rejects: the exit code is part of the result.
 */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: FIXTURES, env: { ...process.env, REACTIVE_DOMAIN_STORE: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
