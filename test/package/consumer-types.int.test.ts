import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The built declarations (dist/*.d.ts) type-check in a consumer project that has only `@types/node`: in particular
 * the testing kit's contract suites need no `@types/jest` in the consumer's build. The consumer is the
 * custom-store example, copied out and compiled against the package by name, with module resolution `node16` and
 * `node10` (Nest's default; served by `typesVersions`); under node16 with `skipLibCheck` off, so our .d.ts files are
 * checked too.
 */
const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

describe('built declarations in a consumer without @types/jest', () => {
  let consumer: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.d.ts')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    consumer = mkdtempSync(join(tmpdir(), 'rd-types-'));
    mkdirSync(join(consumer, 'node_modules/@types'), { recursive: true });
    symlinkSync(ROOT, join(consumer, 'node_modules/reactive-domain'), 'dir');
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(consumer, 'node_modules/@types/node'), 'dir');
    cpSync(join(ROOT, 'examples/custom-store'), join(consumer, 'src'), { recursive: true });
  });
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it('no declaration file references the jest types', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (
          entry.name.endsWith('.d.ts') &&
          /reference\s+types=["'](jest|@jest)/.test(readFileSync(path, 'utf8'))
        )
          offenders.push(path);
      }
    };
    walk(join(ROOT, 'dist'));
    expect(offenders).toEqual([]);
  });

  it.each([
    // Our .d.ts files checked too (skipLibCheck off): slow (it checks @types/node and rxjs as well), so once.
    ['node16', { module: 'node16', moduleResolution: 'node16', skipLibCheck: false }],
    // Resolution only: the subpaths are found through typesVersions.
    [
      'node10',
      { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', skipLibCheck: true },
    ],
  ])('the custom-store example compiles against the package with moduleResolution %s', (name, options) => {
    const config = join(consumer, `tsconfig.${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          ...options,
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2023'],
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [TSC, '-p', config], { cwd: consumer, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
