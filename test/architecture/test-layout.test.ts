import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { serverSkipReason } from '../support/servers';

/**
 * The test projects (jest.config.js): `*.test.ts` is a unit test (no server, no build), `*.int.test.ts` an
 * integration test. A file that needs a server, the wire test server or the built package must be named as an
 * integration test, or `npm run test:unit` would need them too.
 */
const ROOT = resolve(__dirname, '../..');

/** What makes a test file an integration test. */
const NEEDS = [
  { what: 'a real server', pattern: /\bdescribeWith(Server|EventStore)\(/ },
  { what: 'the EventStoreDB wire test server', pattern: /\bstartEsdbTestServer\(/ },
  { what: 'a loopback server over real gRPC', pattern: /\bstartBlackHoleServer\(/ },
  // A path that starts at the package's dist/ ('dist', 'dist/index.js', '../../dist/...'), not some package's own.
  { what: 'the built package', pattern: /['"`](\.\.\/)*dist['"`/]/ },
];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('test layout', () => {
  it('every test file that needs a server, the wire test server or dist/ is named *.int.test.ts', () => {
    const misnamed: string[] = [];
    for (const file of [...testFiles(join(ROOT, 'test')), ...testFiles(join(ROOT, 'examples'))]) {
      if (file.endsWith('.int.test.ts') || file === __filename) continue;
      const text = readFileSync(file, 'utf8');
      for (const { what, pattern } of NEEDS)
        if (pattern.test(text)) misnamed.push(`${relative(ROOT, file)} needs ${what}`);
    }
    expect(misnamed).toEqual([]);
  });

  it('each of those needs is found in some *.int.test.ts (a renamed helper would leave its pattern matching nothing)', () => {
    const texts = [...testFiles(join(ROOT, 'test')), ...testFiles(join(ROOT, 'examples'))]
      .filter((file) => file.endsWith('.int.test.ts'))
      .map((file) => readFileSync(file, 'utf8'));
    const unmatched = NEEDS.filter(({ pattern }) => !texts.some((text) => pattern.test(text))).map(
      ({ what }) => what,
    );
    expect(unmatched).toEqual([]);
  });

  it('where global setup did not probe (npm run test:unit), a server counts as unavailable, never as reachable', () => {
    const probed = process.env.RD_SERVERS_PROBED;
    delete process.env.RD_SERVERS_PROBED; // as in a unit-only run (a full run probes for every worker)
    try {
      expect(serverSkipReason('postgres')).toMatch(/not probed: .*\*\.int\.test\.ts/);
    } finally {
      if (probed !== undefined) process.env.RD_SERVERS_PROBED = probed;
    }
  });
});
