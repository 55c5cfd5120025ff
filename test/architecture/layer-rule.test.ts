import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * DESIGN §1: a layer imports only the layers above it, and nothing has an import cycle (type-only imports count:
 * a cycle of types is still a cycle of concepts).
 */
const SRC = resolve(__dirname, '../../src');

const LIBRARY = ['core', 'messaging', 'persistence', 'foundation', 'transport'] as const;

/**
 * Layer -> the layers it may import (besides itself). Each `adapters/<name>` folder is a layer of its own: it may
 * import the library layers, never another adapter (nor testing or cli).
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  messaging: ['core'],
  persistence: ['core'],
  foundation: ['core', 'messaging', 'persistence'],
  transport: ['core', 'messaging', 'persistence', 'foundation'],
  adapter: LIBRARY,
  testing: LIBRARY,
  cli: [...LIBRARY, 'testing', 'adapter'],
  '.': LIBRARY,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, resolved to absolute .ts paths. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (!spec || !spec.startsWith('.')) continue;
    const base = resolve(dirname(file), spec);
    const candidates = [`${base}.ts`, join(base, 'index.ts')];
    const target = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (target) found.push(target);
  }
  return found;
}

/** The layer of a file: its top folder, or `adapters/<name>` for an adapter. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return '.';
  return parts[0] === 'adapters' ? `adapters/${parts[1]}` : parts[0]!;
}

/** The rule that applies to a layer: every adapter folder shares one. */
function ruleOf(layer: string): string {
  return layer.startsWith('adapters/') ? 'adapter' : layer;
}

/** Every cycle found by depth-first search, each as a list of files. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** The imports of `graph` that break the layer rule, one line each (paths relative to src/). */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    const rule = ruleOf(from);
    const allowed = ALLOWED[rule];
    if (!allowed) {
      violations.push(`${relative(SRC, file)}: folder "${from}" has no place in the layer rule`);
      continue;
    }
    for (const target of imports) {
      const to = layerOf(target);
      // cli may load any adapter; an adapter never loads another one.
      const ok = to === from || allowed.includes(ruleOf(to) === 'adapter' ? 'adapter' : to);
      if (!ok || (rule === 'adapter' && ruleOf(to) === 'adapter' && to !== from))
        violations.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return violations;
}

describe('layer rule (DESIGN §1)', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('every import goes to the same layer or a layer above it', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('the checker itself detects a cycle and an upward import', () => {
    const a = 'a.ts';
    const b = 'b.ts';
    expect(
      findCycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual([[a, b, a]]);
    expect(
      findCycles(
        new Map([
          [a, [b]],
          [b, []],
        ]),
      ),
    ).toEqual([]);
    expect(layerOf(join(SRC, 'core/x.ts'))).toBe('core');
    expect(layerOf(join(SRC, 'adapters/postgres/x.ts'))).toBe('adapters/postgres');
    expect(ALLOWED.adapter).not.toContain('adapter');
    expect(ALLOWED.testing).not.toContain('adapter');
    expect(ALLOWED.core).not.toContain('messaging');
    // The rule itself, on made-up files: upward imports, adapter to adapter and unknown folders are reported.
    const at = (path: string) => join(SRC, path);
    expect(
      layerViolations(
        new Map([
          [at('core/x.ts'), [at('messaging/y.ts'), at('core/z.ts')]],
          [at('messaging/y.ts'), [at('core/x.ts')]],
          [
            at('adapters/postgres/x.ts'),
            [at('adapters/sqlite/y.ts'), at('adapters/postgres/z.ts'), at('transport/t.ts')],
          ],
          [at('testing/x.ts'), [at('adapters/nats/y.ts')]],
          [at('cli/x.ts'), [at('adapters/sqlite/y.ts'), at('testing/x.ts')]],
          [at('elsewhere/x.ts'), []],
        ]),
      ),
    ).toEqual([
      'core/x.ts -> messaging/y.ts',
      'adapters/postgres/x.ts -> adapters/sqlite/y.ts',
      'testing/x.ts -> adapters/nats/y.ts',
      'elsewhere/x.ts: folder "elsewhere" has no place in the layer rule',
    ]);
  });
});
