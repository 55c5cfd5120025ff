import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * What loading the built package costs an application: the root entry and every layer subpath load nothing but the
 * library and rxjs (drivers and class-transformer are optional peers, loaded by the feature that needs them), and
 * the shipped source maps point at sources that ship too. Runs on dist/ (built by `npm test` first).
 */
const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');

/** Files outside dist/ and rxjs that requiring `entry` loads, as paths relative to node_modules (or absolute). */
function foreignModulesLoadedBy(entry: string, preload = ''): string[] {
  const script = `
    ${preload}
    const { realpathSync } = require('node:fs');
    const { sep } = require('node:path');
    require(${JSON.stringify(entry)});
    const allowed = [realpathSync(${JSON.stringify(DIST)}), realpathSync(require.resolve('rxjs/package.json').replace(/package\\.json$/, ''))];
    const foreign = Object.keys(require.cache).filter((file) => !allowed.some((dir) => file.startsWith(dir.endsWith(sep) ? dir : dir + sep)));
    console.log(JSON.stringify(foreign));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).map((file) => file.replace(/^.*node_modules[\\/]/, ''));
}

/** `require` that pretends class-transformer is not installed (resolution fails as for a missing package). */
const WITHOUT_CLASS_TRANSFORMER = `
  const Module = require('node:module');
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === 'class-transformer' || request.startsWith('class-transformer/'))
      throw Object.assign(new Error("Cannot find module 'class-transformer'"), { code: 'MODULE_NOT_FOUND' });
    return resolveFilename.call(this, request, ...rest);
  };`;

describe('built package: what each entry loads', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'index.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  });

  it.each(['', '/core', '/messaging', '/persistence', '/foundation', '/testing', '/adapters/eventstoredb'])(
    'dist%s/index.js loads nothing outside dist/ and rxjs',
    (subpath) => {
      expect(foreignModulesLoadedBy(join(DIST, subpath, 'index.js'))).toEqual([]);
    },
  );

  it('without class-transformer installed: the root entry loads and serialises plain types; a useClassTransformer type fails with OPTIONAL_PACKAGE_MISSING', () => {
    const script = `
      ${WITHOUT_CLASS_TRANSFORMER}
      const rd = require(${JSON.stringify(join(DIST, 'index.js'))});
      class Plain extends rd.Event { constructor(n) { super(); this.n = n; } }
      class Decorated extends rd.Event { constructor(n) { super(); this.n = n; } }
      const registry = new rd.EventTypeRegistry()
        .register(Plain, 'Plain')
        .register(Decorated, 'Decorated', { useClassTransformer: true });
      const serializer = new rd.EventSerializer({ registry });
      const plain = serializer.serialize(new Plain(1)).data;
      let failure;
      try { serializer.serialize(new Decorated(2)); } catch (error) { failure = error; }
      console.log(JSON.stringify({ plain, code: failure && failure.code, packageName: failure && failure.packageName,
        isLibraryError: failure instanceof rd.ReactiveDomainError }));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      plain: '{"n":1}',
      code: 'OPTIONAL_PACKAGE_MISSING',
      packageName: 'class-transformer',
      isLibraryError: true,
    });
  });

  it.each(['@eventstore/db-client', '@kurrent/kurrentdb-client'])(
    'without %s installed: reactive-domain/eventstoredb loads; creating a store fails with CLIENT_PACKAGE_MISSING',
    (clientPackage) => {
      const script = `
        const Module = require('node:module');
        const resolveFilename = Module._resolveFilename;
        Module._resolveFilename = function (request, ...rest) {
          if (request === ${JSON.stringify(clientPackage)} || request.startsWith(${JSON.stringify(clientPackage + '/')}))
            throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
          return resolveFilename.call(this, request, ...rest);
        };
        const { EventStoreDBStreamStore } = require(${JSON.stringify(join(DIST, 'adapters/eventstoredb/index.js'))});
        const { OptionalPackageMissingError } = require(${JSON.stringify(join(DIST, 'index.js'))});
        let failure;
        try {
          EventStoreDBStreamStore.fromConnectionString('esdb://127.0.0.1:2113?tls=false', { clientPackage: ${JSON.stringify(clientPackage)} });
        } catch (error) { failure = error; }
        console.log(JSON.stringify({ code: failure && failure.code, packageName: failure && failure.packageName,
          optional: failure instanceof OptionalPackageMissingError }));`;
      const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual({
        code: 'CLIENT_PACKAGE_MISSING',
        packageName: clientPackage,
        optional: true,
      });
    },
  );

  it('reactive-domain/testing imports outside Jest; registering a contract suite there fails with TEST_RUNNER_MISSING', () => {
    const script = `
      const testing = require(${JSON.stringify(join(DIST, 'testing/index.js'))});
      let failure;
      try { testing.checkpointStoreContract('Outside', () => ({ store: {} })); } catch (error) { failure = error; }
      console.log(JSON.stringify({ code: failure && failure.code, missing: failure && failure.missing }));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      code: 'TEST_RUNNER_MISSING',
      missing: ['describe', 'it', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'expect'],
    });
  });

  it('every source map in dist/ resolves its sources to files that exist (src/ ships beside dist/)', () => {
    const maps: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js.map')) maps.push(path);
      }
    };
    walk(DIST);
    expect(maps.length).toBeGreaterThan(50);
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(map, 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) {
        const file = resolve(dirname(map), sourceRoot, source);
        if (!existsSync(file) || !realpathSync(file).startsWith(join(ROOT, 'src') + sep))
          unresolved.push(`${map}: ${source}`);
      }
    }
    expect(unresolved).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'src']));
  });
});
