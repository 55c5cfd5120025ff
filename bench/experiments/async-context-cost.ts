/**
 * Why `CorrelationScope` (AsyncLocalStorage) is opt-in and `Success.positions` is not built on it.
 *
 * On Node 20, the first `AsyncLocalStorage.run` installs async-context tracking for the whole process: from then on
 * every promise pays for it, inside a scope or not. This measures one `await` of a resolved promise before any
 * AsyncLocalStorage ran, inside `run`, and outside it afterwards. Measured here (Node 20.20, busy 2-core VM, two
 * runs, so only the ratio counts): 75-160 ns before, ~230 ns inside, 205-315 ns after. Positions written on behalf
 * of a command are therefore keyed by the command object in a WeakMap (one lookup per send), and the ambient scope
 * is created only when someone asks for it (`new CommandDispatcher({ correlationScope: true })` or
 * `CorrelationScope.run`).
 *
 * Run from bench/: `node --import tsx experiments/async-context-cost.ts`. Needs nothing but Node.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

async function awaits(count: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await Promise.resolve(i);
  return sum;
}

async function perAwait(label: string): Promise<void> {
  const count = 2_000_000;
  await awaits(100_000); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    await awaits(count);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / count);
  }
  process.stdout.write(`${label.padEnd(34)} ${best.toFixed(1)} ns per await\n`);
}

async function main(): Promise<void> {
  await perAwait('before any AsyncLocalStorage');
  const storage = new AsyncLocalStorage<object>();
  await storage.run({}, () => perAwait('inside AsyncLocalStorage.run'));
  await perAwait('outside, after one run');
}

void main();
