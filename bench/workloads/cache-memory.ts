/**
 * Workload 8 — memory per cached aggregate: the heap the repository's aggregate cache (`cache: { maxAggregates }`)
 * keeps per aggregate, at 10,000 and 100,000 aggregates. Each aggregate is loaded, changed and saved once through a
 * repository with the cache on, and once through one with it off; the difference of the retained heaps (after a
 * forced GC) divided by the number of aggregates is the cache's cost per aggregate.
 */
import { getHeapStatistics } from 'node:v8';
import { assert, emit, runCase, scaled, type CaseResult, type Contender } from '../lib/harness';
import { Account, Deposit, PassThroughSerializer, Seed, newCorrelatedRepository, openedAccountsStore } from '../lib/ours';

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const heap = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
};

async function cacheCase(aggregates: number): Promise<CaseResult> {
  const ids = Array.from({ length: aggregates }, (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
  const values: number[] = [];
  let floorValues: number[] = [];
  let retained: unknown;

  /** Heap retained after one load-change-save per aggregate, cache on, minus the same with the cache off. */
  const measureOurs = async (): Promise<number> => {
    const run = async (cache: boolean): Promise<number> => {
      retained = undefined;
      const pass = new PassThroughSerializer({ registry: Account.eventTypes });
      const store = await openedAccountsStore(ids, (events) => events.map((e) => pass.serialize(e)));
      const repository = newCorrelatedRepository(store, { serializer: pass, cache, cacheSize: aggregates });
      const before = heap();
      for (const id of ids) {
        const command = new Deposit(id, 1);
        const account = await repository.getById(Account, id, command);
        account.deposit(1);
        await repository.save(account);
      }
      const after = heap();
      retained = [store, repository];
      const last = await repository.getById(Account, ids[aggregates - 1]!, new Seed());
      assert(last.deposits === 1, 'saved');
      return after - before;
    };
    const withCache = await run(true);
    const withoutCache = await run(false);
    retained = undefined;
    return (withCache - withoutCache) / aggregates;
  };

  /** Floor: the same state (balance, deposits, version) as a plain object per aggregate in a Map. */
  const measureFloor = (): number => {
    retained = undefined;
    const before = heap();
    const map = new Map<string, { balance: number; deposits: number; version: number }>();
    for (const id of ids) map.set(id, { balance: 1, deposits: 1, version: 1 });
    const after = heap();
    retained = map;
    return (after - before) / aggregates;
  };

  const contenders: Contender[] = [
    {
      name: 'reactive-domain repository, aggregate cache',
      role: 'us',
      note: 'StreamStoreRepository with cache: { maxAggregates } (pass-through serializer): heap retained per aggregate, cache on minus cache off, after one load + deposit + save each',
      fn: async () => {
        values.push(await measureOurs());
      },
      extra: () => {
        const sorted = values.splice(0).sort((a, b) => a - b);
        return { value: Math.round(sorted[sorted.length >> 1]!), maxBytes: Math.round(sorted[sorted.length - 1]!) };
      },
    },
    {
      name: 'floor: Map of plain state objects',
      role: 'floor',
      note: 'a Map from id to { balance, deposits, version }: the least a cache of this state can keep',
      fn: () => {
        floorValues.push(measureFloor());
      },
      extra: () => {
        const sorted = floorValues.sort((a, b) => a - b);
        floorValues = [];
        return { value: Math.round(sorted[sorted.length >> 1]!), maxBytes: Math.round(sorted[sorted.length - 1]!) };
      },
    },
  ];
  void retained;
  return runCase({
    id: `cache-memory-${aggregates}`,
    title: `Memory per cached aggregate: ${aggregates.toLocaleString('en')} aggregates`,
    unit: 'aggregates',
    units: aggregates,
    valueUnit: 'bytes per aggregate (lower is better)',
    contenders,
    comparisons: [{ us: 'reactive-domain repository, aggregate cache', peers: [], floor: 'floor: Map of plain state objects' }],
    iterations: 3,
    timeMs: 0,
    warmupIterations: 1,
    notes: [
      "Neither peer has an aggregate cache (Emmett and @nestjs/cqrs replay on every command), so there is no peer row. The figure includes the instance (id, state, version, routing fields), the cache's map entry and the stream-name key.",
    ],
  });
}

async function main(): Promise<void> {
  const cases: CaseResult[] = [];
  for (const n of [scaled(10_000, 2_000), scaled(100_000, 10_000)]) cases.push(await cacheCase(n));
  emit('cache-memory', cases);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
