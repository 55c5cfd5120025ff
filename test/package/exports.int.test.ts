import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The built package (dist/, produced by `npm run build`, which `npm test` runs first) must load from both CommonJS
 * and ESM consumers through the package name and its subpath exports.
 */
const ROOT = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
};
/** Every code subpath the package exports: '', '/core', '/testing', ... */
const SUBPATHS = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => key.slice(1));

describe('built package', () => {
  let consumer: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    consumer = mkdtempSync(join(tmpdir(), 'rd-consumer-'));
    mkdirSync(join(consumer, 'node_modules'));
    symlinkSync(ROOT, join(consumer, 'node_modules/reactive-domain'), 'dir');
  });
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  const run = (args: string[]): string =>
    execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8' }).trim();

  it.each(SUBPATHS)('require("reactive-domain%s") works from CommonJS', (subpath) => {
    const out = run([
      '-e',
      `const m = require('reactive-domain${subpath}'); console.log(Object.keys(m).length)`,
    ]);
    expect(Number(out)).toBeGreaterThan(0);
  });

  it.each(SUBPATHS)('import "reactive-domain%s" works from ESM with named exports', (subpath) => {
    const out = run([
      '--input-type=module',
      '-e',
      `import * as m from 'reactive-domain${subpath}'; console.log(Object.keys(m).filter((k) => k !== 'default').length)`,
    ]);
    expect(Number(out)).toBeGreaterThan(0);
  });

  it('exports every public folder', () => {
    expect(SUBPATHS).toEqual([
      '',
      '/core',
      '/messaging',
      '/persistence',
      '/foundation',
      '/testing',
      '/eventstoredb',
      '/rabbitmq',
      '/nats',
      '/postgres',
      '/sqlite',
      '/otel',
    ]);
  });

  it('ESM named imports resolve to working classes', () => {
    const out = run([
      '--input-type=module',
      '-e',
      `import { newId, EventTypeRegistry, AggregateRoot } from 'reactive-domain';
       console.log(typeof AggregateRoot, newId().length, new EventTypeRegistry().has('x'))`,
    ]);
    expect(out).toBe('function 36 false');
  });
});
