/**
 * Workload 6 — memory: peak heap while loading one 50,000-event aggregate, paged (the repository's default, 500 events
 * per read) versus buffering the whole stream. Run by the orchestrator with `--max-semi-space-size=1`, so that
 * short-lived garbage is collected within ~1 MB and the peak reflects what a load keeps alive.
 */
import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { Account, Deposited, InMemoryStreamStore, accountStream, expectedBalance, newRepository, seedAccount } from '../lib/ours';
import { evolve, getInMemoryEventStore, initialState, seedEmmett, type EmmettAccount, type EmmettAccountEvent } from '../lib/emmett';
import { NestAccount, NestAccountOpened, NestDeposited, NestEventStore } from '../lib/nest';

const DEPOSITS = scaled(49_999, 9_999);
const EVENTS = DEPOSITS + 1;
const BALANCE = expectedBalance(DEPOSITS);
/** Heap is sampled every SAMPLE_EVERY applied events (and at the end). */
const SAMPLE_EVERY = 250;

let recording = false;
let baseline = 0;
let peak = 0;
let applied = 0;
const peaks: number[] = [];
function sample(): void {
  const used = getHeapStatistics().used_heap_size;
  if (used > peak) peak = used;
}
function tick(): void {
  if (++applied % SAMPLE_EVERY === 0) sample();
}
function start(mode: 'warmup' | 'run'): void {
  recording = mode === 'run';
  (globalThis as { gc?: () => void }).gc?.();
  baseline = getHeapStatistics().used_heap_size;
  peak = baseline;
  applied = 0;
}
function finish(): void {
  sample();
  if (recording) peaks.push((peak - baseline) / (1024 * 1024));
}
const peakExtra = () => {
  const sorted = peaks.splice(0).sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  return { value: Math.round(median * 100) / 100, maxMB: Math.round(sorted[sorted.length - 1]! * 100) / 100 };
};

/** The bench account, sampling the heap as events are applied. */
class MeasuredAccount extends Account {
  protected override applyDeposited(e: Deposited): void {
    super.applyDeposited(e);
    tick();
  }
}

class MeasuredNestAccount extends NestAccount {
  override onNestDeposited(e: NestDeposited): void {
    super.onNestDeposited(e);
    tick();
  }
}

async function main(): Promise<void> {
  const id = randomUUID();
  const store = new InMemoryStreamStore();
  await seedAccount(store, id, DEPOSITS);
  const paged = newRepository(store); // default page size (500)
  const buffered = newRepository(store, { pageSize: EVENTS + 1 });

  const emmett = getInMemoryEventStore();
  await seedEmmett(emmett, id, DEPOSITS);
  const measuredEvolve = (state: EmmettAccount, event: EmmettAccountEvent): EmmettAccount => {
    tick();
    return evolve(state, event);
  };

  const nestStore = new NestEventStore();
  nestStore.streams.set(id, [new NestAccountOpened(id), ...Array.from({ length: DEPOSITS }, (_, i) => new NestDeposited(id, 1 + (i % 7)))]);

  const slice = await store.readStream(accountStream(id), { maxCount: EVENTS });
  assert(slice.status === 'ok', 'seeded');
  const floorJson = slice.events.map((e) => e.data);
  const floorTypes = slice.events.map((e) => e.type);

  let balance = -1;
  const check = (name: string) => () => assert(balance === BALANCE, `${name}: balance ${balance}/${BALANCE}`);

  const contenders: Contender[] = [
    {
      name: 'reactive-domain getById, paged',
      role: 'us',
      note: 'StreamStoreRepository.getById with the default page size (500 events per read), serialising store',
      beforeEach: start,
      fn: async () => {
        const a = await paged.getById(MeasuredAccount, id);
        finish();
        balance = a.balance;
      },
      check: check('paged'),
      extra: peakExtra,
    },
    {
      name: 'reactive-domain getById, whole stream buffered',
      role: 'us',
      note: 'the same repository with a page size above the stream length: one read, every event deserialised before the first is applied',
      beforeEach: start,
      fn: async () => {
        const a = await buffered.getById(MeasuredAccount, id);
        finish();
        balance = a.balance;
      },
      check: check('buffered'),
      extra: peakExtra,
    },
    {
      name: 'Emmett aggregateStream',
      role: 'peer',
      note: 'reads the whole stream (a copy of the array of stored objects), then folds with evolve',
      beforeEach: start,
      fn: async () => {
        const { state } = await emmett.aggregateStream(id, { evolve: measuredEvolve, initialState });
        finish();
        balance = state.balance;
      },
      check: check('emmett'),
      extra: peakExtra,
    },
    {
      name: '@nestjs/cqrs loadFromHistory',
      role: 'peer',
      note: 'loadFromHistory over the stored array of event objects (Nest has no store; nothing is copied)',
      beforeEach: start,
      fn: async () => {
        const a = new MeasuredNestAccount(id);
        a.loadFromHistory((await nestStore.read(id)) as object[]);
        finish();
        balance = a.balance;
      },
      check: check('nest'),
      extra: peakExtra,
    },
    {
      name: 'floor: JSON.parse + fold, one event at a time',
      role: 'floor',
      note: 'hand-written loop over the stored payload strings: parse, fold, drop',
      beforeEach: start,
      fn: () => {
        let b = 0;
        for (let i = 0; i < floorJson.length; i++) {
          const payload = JSON.parse(floorJson[i]!) as { amount: number };
          if (floorTypes[i] === 'Deposited') {
            b += payload.amount;
            tick();
          }
        }
        finish();
        balance = b;
      },
      check: check('floor'),
      extra: peakExtra,
    },
  ];
  const result = await runCase({
    id: 'memory',
    title: `Memory: peak heap while loading a ${EVENTS.toLocaleString('en')}-event aggregate`,
    unit: 'events',
    units: EVENTS,
    valueUnit: 'MB above baseline (lower is better)',
    contenders,
    comparisons: [
      {
        us: 'reactive-domain getById, paged',
        peers: ['Emmett aggregateStream', '@nestjs/cqrs loadFromHistory'],
        floor: 'floor: JSON.parse + fold, one event at a time',
        notLikeForLike: 'the peers already hold every event object in memory; ours materialises them from JSON',
      },
      {
        us: 'reactive-domain getById, paged',
        peers: ['reactive-domain getById, whole stream buffered'],
        floor: 'floor: JSON.parse + fold, one event at a time',
      },
    ],
    iterations: 5,
    timeMs: 0,
    warmupIterations: 1,
    notes: [
      `Peak of V8's used heap, sampled every ${SAMPLE_EVERY} applied events, minus the heap after a forced GC just before the load; median of the samples' peaks.`,
      'The peers hold the events as objects in memory already, so they allocate little while loading; ours holds JSON text and materialises events while loading. The point of this workload is paged vs buffered.',
    ],
  });
  const value = (name: string) => result.contenders.find((c) => c.name === name)?.extra?.value as number;
  const pagedMb = value('reactive-domain getById, paged');
  const bufferedMb = value('reactive-domain getById, whole stream buffered');
  emit('memory', [{ ...result, notes: [...result.notes, `Buffered / paged peak: ${(bufferedMb / pagedMb).toFixed(1)}x (${bufferedMb} MB vs ${pagedMb} MB).`] }]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
