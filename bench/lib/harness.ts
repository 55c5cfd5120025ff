/**
 * The measuring harness shared by every workload: one tinybench `Bench` per case, every contender (us, the peers,
 * the floor) in the same process, each with warm-up, several timed samples, a forced GC before it starts, and a
 * correctness check afterwards (a benchmark that computes the wrong thing measures nothing).
 */
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';

/** Who a contender is. */
export type Role = 'us' | 'peer' | 'floor';

/** One thing being measured in a case. */
export interface Contender {
  /** Display name, unique within the case (e.g. `reactive-domain (serialising store)`). */
  readonly name: string;
  readonly role: Role;
  /**
   * One iteration: processes `CaseSpec.units` units (events, commands...). Write asynchronous iterations as `async`
   * functions: the harness tells tinybench which kind it is (otherwise tinybench calls the function once, outside
   * the hooks, to find out).
   */
  readonly fn: () => unknown;
  /** Untimed preparation before every iteration (warm-up included, `mode` says which), e.g. a fresh store. */
  readonly beforeEach?: (mode: 'warmup' | 'run') => unknown;
  /** Untimed clean-up once the contender is done (drop references so the next contender starts on a small heap). */
  readonly afterAll?: () => unknown;
  /** Untimed preparation once before the contender starts. */
  readonly beforeAll?: () => unknown;
  /** Throws when the last iteration did not compute the expected result (run right after the contender's samples). */
  readonly check?: () => void | Promise<void>;
  /** Extra figures reported with the contender (e.g. latency percentiles), gathered after the run. */
  readonly extra?: () => Record<string, number | string>;
  /** One line saying what exactly is measured (shown in BENCHMARKS.md). */
  readonly note?: string;
}

/** Which contenders are compared: each `us` entry against the fastest of `peers` and against `floor`. */
export interface Comparison {
  readonly us: string;
  readonly peers: readonly string[];
  readonly floor: string;
  /**
   * Why the peer ratio is shown for information only, when the row does work the peers do not (e.g. ours
   * serialises to JSON, the peers keep objects): the peer target is then not assessed.
   */
  readonly notLikeForLike?: string;
}

/** A case of a workload (e.g. "rehydrate 10,000 events"). */
export interface CaseSpec {
  readonly id: string;
  readonly title: string;
  /** What a unit is, plural (`events`, `commands`). Throughput is reported as units per second. */
  readonly unit: string;
  /** Units processed by one iteration. */
  readonly units: number;
  readonly contenders: readonly Contender[];
  readonly comparisons: readonly Comparison[];
  /** Minimum timed iterations (default 10). */
  readonly iterations?: number;
  /** Time budget per contender in ms, on top of the minimum iterations (default 500). */
  readonly timeMs?: number;
  /** Warm-up iterations (default 3), in the first round only. */
  readonly warmupIterations?: number;
  /**
   * Rounds (default 1): the minimum iterations and the time budget are split over this many rounds, and every round
   * runs each contender in turn (rotating the order), so that a change in machine load hits all of them alike.
   */
  readonly rounds?: number;
  /** Notes shown under the case (scaling, caveats). */
  readonly notes?: readonly string[];
  /**
   * Set for cases whose figure is not a time (memory): the contender's `extra()` must return `value`, and
   * comparisons use it with "lower is better".
   */
  readonly valueUnit?: string;
}

/** Measured figures of one contender. */
export interface ContenderResult {
  readonly name: string;
  readonly role: Role;
  readonly note?: string;
  readonly samples: number;
  /** Median time of one iteration, ms. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Median absolute deviation as a percentage of the median. */
  readonly madPct: number;
  /** Units per second at the median iteration time. */
  readonly perSecond: number;
  readonly extra?: Record<string, number | string>;
}

/** One comparison with its ratios; ratios are "how many times as fast as" (higher is better for us). */
export interface ComparisonResult {
  readonly us: string;
  readonly fastestPeer: string | undefined;
  /** our throughput / fastest peer's throughput (target >= 1.2). */
  readonly vsPeer: number | undefined;
  readonly floor: string;
  /** our throughput / floor throughput (target >= 0.5, i.e. within 2x of the floor). */
  readonly vsFloor: number;
  readonly peerTargetMet: boolean | undefined;
  readonly floorTargetMet: boolean;
  readonly notLikeForLike?: string;
}

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly units: number;
  readonly valueUnit?: string;
  readonly notes: readonly string[];
  readonly contenders: readonly ContenderResult[];
  readonly comparisons: readonly ComparisonResult[];
}

export const PEER_TARGET = 1.2;
export const FLOOR_TARGET = 0.5;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs one case: every contender in this process, one after the other, and computes the comparisons. */
export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const names = new Set<string>();
  for (const c of spec.contenders) {
    if (names.has(c.name)) throw new Error(`${spec.id}: duplicate contender ${c.name}`);
    names.add(c.name);
  }
  // Rounds: on a shared machine the load changes while a case runs. Running every contender a little in each round
  // (rotating the order) exposes them all to the same conditions, instead of one contender getting a quiet minute.
  const rounds = Math.max(1, spec.rounds ?? 1);
  const perRound = Math.max(1, Math.ceil((spec.iterations ?? 10) / rounds));
  const extras = new Map<string, Record<string, number | string>>();
  const collected = new Map<string, number[]>(spec.contenders.map((c) => [c.name, []]));
  process.stderr.write(`  ${spec.title}${rounds > 1 ? ` (${rounds} rounds)` : ''}: `);
  for (let round = 0; round < rounds; round++) {
    const order = spec.contenders.map((_, i) => spec.contenders[(i + round) % spec.contenders.length]!);
    for (const contender of order) {
      const bench = new Bench({
        name: `${spec.id} ${contender.name}`,
        iterations: perRound,
        time: (spec.timeMs ?? 500) / rounds,
        warmup: round === 0,
        warmupIterations: spec.warmupIterations ?? 3,
        warmupTime: 0,
        throws: true,
        retainSamples: true,
      });
      bench.add(contender.name, contender.fn, {
        async: contender.fn.constructor.name === 'AsyncFunction',
        beforeAll: async () => {
          await contender.beforeAll?.();
          gc();
        },
        // After the timed phase (not the warm-up): verify the result and take the contender's own figures now,
        // before the next contender overwrites shared buffers.
        afterAll: async (mode) => {
          if (mode === 'warmup') return;
          await contender.check?.();
          if (contender.extra) extras.set(contender.name, contender.extra());
          await contender.afterAll?.();
          gc();
        },
        ...(contender.beforeEach ? { beforeEach: async (mode) => void (await contender.beforeEach!(mode === 'warmup' ? 'warmup' : 'run')) } : {}),
      });
      await bench.run();
      const task = bench.getTask(contender.name);
      const result = task?.result as { state?: string; error?: unknown; latency?: { samples?: number[] } } | undefined;
      if (!task || !result) throw new Error(`${spec.id}: no result for ${contender.name}`);
      if (result.error) throw result.error;
      const into = collected.get(contender.name)!;
      for (const sample of result.latency?.samples ?? []) into.push(sample); // a spread would overflow the stack
      if (round === rounds - 1) process.stderr.write(`${contender.name}; `);
    }
  }
  process.stderr.write('\n');

  const results: ContenderResult[] = [];
  for (const contender of spec.contenders) {
    const samples = collected.get(contender.name)!.sort((a, b) => a - b);
    if (samples.length === 0) throw new Error(`${spec.id}: no samples for ${contender.name}`);
    const med = median(samples);
    const mad = median(samples.map((s) => Math.abs(s - med)).sort((a, b) => a - b));
    const extra = extras.get(contender.name);
    if (contender.extra && !extra) throw new Error(`${spec.id}: ${contender.name} has no figures (afterAll did not run)`);
    results.push({
      name: contender.name,
      role: contender.role,
      ...(contender.note ? { note: contender.note } : {}),
      samples: samples.length,
      medianMs: med,
      minMs: samples[0]!,
      maxMs: samples[samples.length - 1]!,
      madPct: (100 * mad) / med,
      perSecond: (spec.units * 1000) / med,
      ...(extra ? { extra } : {}),
    });
  }
  return {
    id: spec.id,
    title: spec.title,
    unit: spec.unit,
    units: spec.units,
    ...(spec.valueUnit ? { valueUnit: spec.valueUnit } : {}),
    notes: spec.notes ?? [],
    contenders: results,
    comparisons: compare(spec, results),
  };
}

/** Score of a contender: throughput, or for value cases 1/value (lower memory is better). */
function score(spec: Pick<CaseSpec, 'valueUnit' | 'id'>, result: ContenderResult): number {
  if (spec.valueUnit === undefined) return result.perSecond;
  const value = result.extra?.value;
  if (typeof value !== 'number') throw new Error(`${spec.id}: ${result.name} reported no value`);
  return 1 / Math.max(value, 1e-9);
}

export function compare(spec: Pick<CaseSpec, 'comparisons' | 'valueUnit' | 'id'>, results: readonly ContenderResult[]): ComparisonResult[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const get = (name: string): ContenderResult => {
    const found = byName.get(name);
    if (!found) throw new Error(`${spec.id}: comparison names unknown contender ${name}`);
    return found;
  };
  return spec.comparisons.map((c) => {
    const us = get(c.us);
    const peers = c.peers.map(get);
    let fastest: ContenderResult | undefined;
    for (const p of peers) if (!fastest || score(spec, p) > score(spec, fastest)) fastest = p;
    const vsPeer = fastest ? score(spec, us) / score(spec, fastest) : undefined;
    const vsFloor = score(spec, us) / score(spec, get(c.floor));
    return {
      us: c.us,
      fastestPeer: fastest?.name,
      vsPeer,
      floor: c.floor,
      vsFloor,
      peerTargetMet: vsPeer === undefined || c.notLikeForLike ? undefined : vsPeer >= PEER_TARGET,
      floorTargetMet: vsFloor >= FLOOR_TARGET,
      ...(c.notLikeForLike ? { notLikeForLike: c.notLikeForLike } : {}),
    };
  });
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(values: ArrayLike<number>, p: number, count = values.length): number {
  const sorted = Float64Array.from({ length: count }, (_, i) => values[i]!).sort();
  if (count === 0) return NaN;
  const rank = Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
  return sorted[rank]!;
}

/** Writes the cases of one workload where the orchestrator told us to (`BENCH_OUT`), or prints them. */
export function emit(workload: string, cases: readonly CaseResult[]): void {
  const out = process.env.BENCH_OUT;
  const text = JSON.stringify({ workload, cases }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  if (out) writeFileSync(out, text);
  else process.stdout.write(text + '\n');
}

/** Throws with a message when `condition` is false. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Scale factor: BENCH_QUICK=1 shrinks every workload (for smoke runs; results are then not comparable). */
export const QUICK = process.env.BENCH_QUICK === '1';

/** `full` normally, `quick` under BENCH_QUICK=1. */
export function scaled(full: number, quick: number): number {
  return QUICK ? quick : full;
}
