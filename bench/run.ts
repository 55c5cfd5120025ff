/**
 * Runs every workload (each in its own Node process; inside it, us, the peers and the floor run one after the other
 * in that one process), prints the tables, and writes `results/latest.json` and the results section of
 * `../BENCHMARKS.md`.
 *
 * Usage: `npm run bench` (from the repository root or from bench/), optionally followed by workload names
 * (`npm --prefix bench run bench -- rehydrate serializer`). `BENCH_QUICK=1` shrinks every workload for a smoke run:
 * its results go to `results/quick.json` and BENCHMARKS.md is left alone. `BENCH_SKIP_BUILD=1` skips building the
 * library (bench imports the library's compiled `dist/`, exactly what users run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, arch, platform, release, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FLOOR_TARGET, PEER_TARGET, QUICK, type CaseResult, type ContenderResult } from './lib/harness';

const BENCH = __dirname;
const ROOT = resolve(BENCH, '..');

/** Workloads in run order, with the Node flags each needs. */
const WORKLOADS: ReadonlyArray<{ name: string; flags: string[] }> = [
  { name: 'rehydrate', flags: [] },
  { name: 'command-round-trip', flags: [] },
  { name: 'bus-fan-out', flags: [] },
  { name: 'serializer', flags: [] },
  { name: 'read-model-catch-up', flags: [] },
  // PostgreSQL (the local server, or PG_URL): each creates a scratch database and drops it afterwards.
  { name: 'pg-append', flags: [] },
  { name: 'pg-read-model-catch-up', flags: [] },
  { name: 'sqlite-append', flags: [] },
  { name: 'observability', flags: [] },
  // A 1 MB young generation: short-lived garbage is collected quickly, so the peak heap shows what a load keeps alive.
  { name: 'memory', flags: ['--max-semi-space-size=1'] },
  { name: 'concurrent-commands', flags: [] },
  { name: 'cache-memory', flags: [] },
];

function buildLibrary(): void {
  if (process.env.BENCH_SKIP_BUILD === '1') return;
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  if (!existsSync(tsc)) {
    throw new Error(`${tsc} not found: install the library's own dependencies first (npm ci at the repository root), then npm run bench`);
  }
  process.stderr.write('Building the library (tsc -p tsconfig.build.json) ...\n');
  const result = spawnSync(tsc, ['-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`building the library failed (exit ${result.status}); the benchmarks need a compiled dist/`);
}

function runWorkload(name: string, flags: readonly string[], dir: string): CaseResult[] {
  const out = join(dir, `${name}.json`);
  process.stderr.write(`\n[${name}]\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', ...flags, '--import', 'tsx', join(BENCH, 'workloads', `${name}.ts`)], {
    cwd: BENCH,
    env: { ...process.env, BENCH_OUT: out },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`workload ${name} failed (exit ${result.status ?? result.signal})`);
  process.stderr.write(`[${name}] ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return (JSON.parse(readFileSync(out, 'utf8')) as { cases: CaseResult[] }).cases;
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (src/ modified)` : commit;
  } catch {
    return 'unknown';
  }
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(BENCH, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

// ---- formatting --------------------------------------------------------------------------------------------------

const fmtInt = (n: number) => Math.round(n).toLocaleString('en');
/** A spread above this (MAD, % of the median) marks a figure as noisy: rerun before trusting its ratios. */
const NOISY_PCT = 10;
function fmtRate(n: number): string {
  if (n >= 10_000_000) return `${(n / 1_000_000).toFixed(1)} M`;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(2)} M`;
  if (n >= 10_000) return `${(n / 1000).toFixed(0)} k`;
  if (n >= 1_000) return `${(n / 1000).toFixed(1)} k`;
  return fmtInt(n);
}
const fmtRatio = (r: number | undefined) => (r === undefined ? '—' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`);
const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? ' ✓' : ' ✗');

function figure(c: CaseResult, r: ContenderResult): string {
  if (c.valueUnit !== undefined) return `${String(r.extra?.value)} ${c.valueUnit.startsWith('bytes') ? 'bytes' : 'MB'}`;
  return `${fmtRate(r.perSecond)} ${c.unit}/s`;
}

function extraText(c: CaseResult, r: ContenderResult): string {
  const extra = { ...r.extra };
  if (c.valueUnit !== undefined) delete extra.value;
  const parts: string[] = [];
  if (typeof extra.p50LatencyUs === 'number') parts.push(`p50 ${extra.p50LatencyUs} µs`);
  if (typeof extra.p99LatencyUs === 'number') parts.push(`p99 ${extra.p99LatencyUs} µs`);
  if (typeof extra.maxMB === 'number') parts.push(`max ${extra.maxMB} MB`);
  if (typeof extra.maxBytes === 'number') parts.push(`max ${extra.maxBytes} bytes`);
  if (typeof extra.retries === 'number') parts.push(`${extra.retries} retries (${String(extra.retriesPer1000)} per 1,000)`);
  return parts.join(', ');
}

function printCase(c: CaseResult): void {
  console.log(`\n${c.title}${c.valueUnit ? ` — ${c.valueUnit}` : ''}`);
  const width = Math.max(...c.contenders.map((r) => r.name.length));
  for (const r of c.contenders) {
    const spread = c.valueUnit ? '' : `±${r.madPct.toFixed(1)}%${r.madPct > NOISY_PCT ? '!' : ''}`;
    console.log(
      `  ${r.role.padEnd(5)} ${r.name.padEnd(width)}  ${figure(c, r).padStart(16)}  ${spread.padStart(7)}  n=${String(r.samples).padEnd(4)} ${extraText(c, r)}`,
    );
  }
  for (const k of c.comparisons) {
    console.log(
      `  -> ${k.us}: ${fmtRatio(k.vsPeer)} the fastest peer${k.fastestPeer ? ` (${k.fastestPeer})` : ''}${mark(k.peerTargetMet)}${k.notLikeForLike ? ` [not like for like: ${k.notLikeForLike}]` : ''}, ` +
        `${fmtRatio(k.vsFloor)} the floor (${k.floor})${mark(k.floorTargetMet)}`,
    );
  }
}

interface Report {
  readonly generatedAt: string;
  readonly quick: boolean;
  readonly machine: { cpu: string; cores: number; memoryGB: number; os: string };
  readonly node: string;
  readonly commit: string;
  readonly peers: Record<string, string>;
  readonly targets: { vsPeer: number; vsFloor: number };
  readonly cases: readonly CaseResult[];
}

function markdown(report: Report, previous: Report | undefined): string {
  const lines: string[] = [];
  const cpu = report.machine;
  lines.push(
    `Measured ${report.generatedAt.slice(0, 10)} on ${cpu.cpu} (${cpu.cores} cores, ${cpu.memoryGB} GB, ${cpu.os}), Node ${report.node}, ` +
      `library commit ${report.commit}. Peers: ${Object.entries(report.peers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    '',
    `Ratios are throughputs divided (higher is better for us): "vs peer" = ours / the fastest peer in the row (target ≥ ${PEER_TARGET.toFixed(1)}x), ` +
      `"vs floor" = ours / the hand-written floor (target ≥ ${FLOOR_TARGET.toFixed(1)}x, i.e. within 2x). For memory, lower is better and the ratio is theirs / ours.`,
    '',
    `Spreads above ±${NOISY_PCT}% are marked noisy (the machine was busy): rerun before trusting the ratios that use them.`,
    '',
    '### Summary',
    '',
    '| Workload | Ours | vs fastest peer | vs floor |',
    '|---|---|---|---|',
  );
  for (const c of report.cases) {
    for (const k of c.comparisons) {
      lines.push(
        `| ${c.title} | ${k.us} | ${fmtRatio(k.vsPeer)}${k.fastestPeer ? ` (${k.fastestPeer})` : ''}${mark(k.peerTargetMet)}${k.notLikeForLike ? ` — not like for like: ${k.notLikeForLike}` : ''} | ${fmtRatio(k.vsFloor)} (${k.floor})${mark(k.floorTargetMet)} |`,
      );
    }
  }
  for (const c of report.cases) {
    lines.push('', `### ${c.title}`, '');
    const prev = previous?.cases.find((p) => p.id === c.id);
    lines.push(`| | Contender | ${c.valueUnit ? (c.valueUnit.startsWith('bytes') ? 'Retained heap' : 'Peak heap') : 'Throughput'} | Spread (MAD) | Samples | Other | What is measured |`, '|---|---|---|---|---|---|---|');
    for (const r of c.contenders) {
      const before = prev?.contenders.find((p) => p.name === r.name);
      const change =
        before && !c.valueUnit && !previous?.quick ? ` (was ${fmtRate(before.perSecond)})` : '';
      lines.push(
        `| ${r.role} | ${r.name} | ${figure(c, r)}${change} | ${c.valueUnit ? '' : `±${r.madPct.toFixed(1)}%${r.madPct > NOISY_PCT ? ' (noisy)' : ''}`} | ${r.samples} | ${extraText(c, r)} | ${r.note ?? ''} |`,
      );
    }
    for (const note of c.notes) lines.push('', `- ${note}`);
  }
  return lines.join('\n');
}

const START = '<!-- results:start (generated by bench/run.ts; edit outside the markers) -->';
const END = '<!-- results:end -->';

function writeBenchmarksMd(report: Report, previous: Report | undefined): void {
  const file = join(ROOT, 'BENCHMARKS.md');
  const generated = `${START}\n${markdown(report, previous)}\n${END}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + generated + text.slice(b + END.length) : `${text.trimEnd()}\n\n${generated}\n`;
  writeFileSync(file, text);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !WORKLOADS.some((w) => w.name === n));
  if (unknown.length > 0) throw new Error(`unknown workload(s) ${unknown.join(', ')}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  const started = Date.now();
  buildLibrary();
  const dir = mkdtempSync(join(tmpdir(), 'rd-bench-'));
  const cases: CaseResult[] = [];
  try {
    for (const w of WORKLOADS) if (only.length === 0 || only.includes(w.name)) cases.push(...runWorkload(w.name, w.flags, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report: Report = {
    generatedAt: new Date().toISOString(),
    quick: QUICK,
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()} ${arch()}` },
    node: process.version,
    commit: gitCommit(),
    peers: {
      '@event-driven-io/emmett': versionOf('@event-driven-io/emmett'),
      '@event-driven-io/emmett-postgresql': versionOf('@event-driven-io/emmett-postgresql'),
      '@event-driven-io/emmett-sqlite': versionOf('@event-driven-io/emmett-sqlite'),
      '@nestjs/cqrs': versionOf('@nestjs/cqrs'),
      '@nestjs/core': versionOf('@nestjs/core'),
      rxjs: versionOf('rxjs'),
      'class-transformer': versionOf('class-transformer'),
      tinybench: versionOf('tinybench'),
    },
    targets: { vsPeer: PEER_TARGET, vsFloor: FLOOR_TARGET },
    cases,
  };
  for (const c of cases) printCase(c);
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  const latest = join(BENCH, 'results', 'latest.json');
  const previous = existsSync(latest) ? (JSON.parse(readFileSync(latest, 'utf8')) as Report) : undefined;
  const partial = only.length > 0;
  if (QUICK) {
    writeFileSync(join(BENCH, 'results', 'quick.json'), JSON.stringify(report, null, 2));
    console.log('\nBENCH_QUICK=1: results written to bench/results/quick.json; BENCHMARKS.md left alone.');
  } else if (partial) {
    writeFileSync(join(BENCH, 'results', 'partial.json'), JSON.stringify(report, null, 2));
    console.log('\nPartial run: results written to bench/results/partial.json; latest.json and BENCHMARKS.md left alone.');
  } else {
    writeFileSync(latest, JSON.stringify(report, null, 2));
    writeBenchmarksMd(report, previous);
    console.log('\nWrote bench/results/latest.json and BENCHMARKS.md.');
  }
  console.log(`Total ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
