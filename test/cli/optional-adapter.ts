import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Loads `src/adapters/<name>` when this checkout has it, else prints one line and returns undefined. The SQL-store
 * CLI suites are written against the SQLite and PostgreSQL adapters, which are separate adapter folders: a checkout
 * without one skips that suite, saying so, instead of failing to compile.
 */
export function optionalAdapter<T>(name: string, suite: string): T | undefined {
  const folder = resolve(__dirname, '../../src/adapters', name);
  if (!existsSync(resolve(folder, 'index.ts'))) {
    console.log(`[skip] ${suite}: src/adapters/${name} is not in this checkout`);
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(folder) as T;
}
