/**
 * Workload 2 — command round trip: commands spread over 1,000 aggregates, each one load -> decide/raise -> save ->
 * response, sent one after the other (commands/s, with p50/p99 latency per command).
 */
import { randomUUID } from 'node:crypto';
import { assert, emit, percentile, runCase, scaled, type CaseResult, type Contender } from '../lib/harness';
import {
  Account,
  Deposit,
  InMemoryStreamStore,
  PassThroughSerializer,
  Seed,
  expectedBalance,
  newCorrelatedRepository,
  openedAccountsStore,
  serializeAll,
} from '../lib/ours';
import { CommandDispatcher, Success } from '../../dist/messaging';
import type { StreamStore } from '../../dist/persistence';
import { deposit, getInMemoryEventStore, handle, leanEmmettEventStore, seedEmmett, type InMemoryEventStore } from '../lib/emmett';
import { NestDeposit, NestEventStore, createNestApp } from '../lib/nest';

const AGGREGATES = 1_000;
const COMMANDS = scaled(100_000, 10_000);
const PER_AGGREGATE = COMMANDS / AGGREGATES;

const ids = Array.from({ length: AGGREGATES }, () => randomUUID());
const amountOf = (i: number) => 1 + (Math.floor(i / AGGREGATES) % 7);
/** Every aggregate receives PER_AGGREGATE deposits; their amounts follow expectedBalance's sequence. */
const EXPECTED_BALANCE = expectedBalance(PER_AGGREGATE);

/** Commands of a warm-up iteration (enough to get every path optimised; the timed iterations run COMMANDS). */
const WARMUP_COMMANDS = scaled(10_000, 2_000);
const latencies = new Float64Array(COMMANDS);
/** Commands of the current iteration: COMMANDS, or WARMUP_COMMANDS while warming up. */
let count = COMMANDS;

/** Runs the commands one after the other through `send`, recording each one's latency (ms). */
async function drive(send: (i: number, id: string, amount: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await send(i, ids[i % AGGREGATES]!, amountOf(i));
    latencies[i] = performance.now() - t0;
  }
}

/** Sets the command count for the coming iteration. */
const prepare = (mode: 'warmup' | 'run') => {
  count = mode === 'warmup' ? WARMUP_COMMANDS : COMMANDS;
};

const latencyExtra = () => ({
  p50LatencyUs: Math.round(percentile(latencies, 50) * 1000 * 10) / 10,
  p99LatencyUs: Math.round(percentile(latencies, 99) * 1000 * 10) / 10,
});

/** Our full path: dispatcher -> handler (correlated repository: load, raise, save) -> Success. */
function dispatcherOver(store: StreamStore, serializer?: PassThroughSerializer, cache = false): CommandDispatcher {
  const repository = newCorrelatedRepository(store, { ...(serializer ? { serializer } : {}), cache });
  const dispatcher = new CommandDispatcher();
  dispatcher.register(Deposit, async (command) => {
    const account = await repository.getById(Account, command.accountId, command);
    account.deposit(command.amount);
    await repository.save(account);
  });
  return dispatcher;
}

async function main(): Promise<void> {
  let store: InMemoryStreamStore = new InMemoryStreamStore();
  let dispatcher: CommandDispatcher = new CommandDispatcher();
  let passStore: InMemoryStreamStore = new InMemoryStreamStore();
  let directRepository = newCorrelatedRepository(passStore);
  let emmett: InMemoryEventStore = getInMemoryEventStore();
  let leanEmmett = leanEmmettEventStore();
  let floorObjects = new Map<string, Array<{ type: string; amount: number }>>();
  let floorJson = new Map<string, string[]>();
  const nest = await createNestApp('commands');

  let verify: () => Promise<number> = async () => -1;
  const checkBalance = (name: string) => async () => {
    const balance = await verify();
    assert(balance === EXPECTED_BALANCE, `${name}: balance ${balance}, expected ${EXPECTED_BALANCE}`);
  };

  /** Our full path through the dispatcher, over a serialising store or the pass-through serializer, cache on or off. */
  const dispatcherContender = (name: string, note: string, serialising: boolean, cache: boolean): Contender => ({
    name,
    role: 'us',
    note,
    beforeEach: async (mode) => {
      prepare(mode);
      const pass = serialising ? undefined : new PassThroughSerializer({ registry: Account.eventTypes });
      store = await openedAccountsStore(ids, pass ? (events) => events.map((e) => pass.serialize(e)) : serializeAll);
      dispatcher = dispatcherOver(store, pass, cache);
      const reader = newCorrelatedRepository(store, pass ? { serializer: pass } : {});
      verify = async () => (await reader.getById(Account, ids[0]!, new Seed())).balance;
    },
    fn: async () =>
      await drive(async (_i, id, amount) => {
        const response = await dispatcher.send(new Deposit(id, amount));
        if (!(response instanceof Success)) throw new Error('not a success');
      }),
    extra: latencyExtra,
  });

  const contenders: Contender[] = [
    dispatcherContender(
      'reactive-domain dispatcher, serialising store',
      'CommandDispatcher.send -> handler: CorrelatedRepository.getById, raise, save -> Success (ack + response on the bus)',
      true,
      false,
    ),
    dispatcherContender(
      'reactive-domain dispatcher, serialising store, aggregate cache',
      'same full path with the repository option cache: { maxAggregates } (a load reads only the newer events)',
      true,
      true,
    ),
    dispatcherContender(
      'reactive-domain dispatcher, non-serialising, aggregate cache',
      'pass-through serializer and the aggregate cache',
      false,
      true,
    ),
    dispatcherContender(
      'reactive-domain dispatcher, non-serialising',
      'same, with the bench pass-through serializer (objects, no JSON), like the peers',
      false,
      false,
    ),
    {
      name: 'reactive-domain repository, non-serialising',
      role: 'us',
      note: 'the handler body called directly (no dispatcher): getById, raise, save; pass-through serializer',
      beforeEach: async (mode) => {
        prepare(mode);
        const pass = new PassThroughSerializer({ registry: Account.eventTypes });
        passStore = await openedAccountsStore(ids, (events) => events.map((e) => pass.serialize(e)));
        directRepository = newCorrelatedRepository(passStore, { serializer: pass });
        verify = async () => (await directRepository.getById(Account, ids[0]!, new Seed())).balance;
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const command = new Deposit(id, amount);
          const account = await directRepository.getById(Account, id, command);
          account.deposit(amount);
          await directRepository.save(account);
        }),
      extra: latencyExtra,
    },
    {
      name: 'Emmett CommandHandler',
      role: 'peer',
      note: "CommandHandler({ evolve, initialState })(store, id, decide) over getInMemoryEventStore (Emmett's usual path; objects, no JSON)",
      beforeEach: async (mode) => {
        prepare(mode);
        emmett = getInMemoryEventStore();
        for (const id of ids) await seedEmmett(emmett, id, 0);
        verify = async () => (await handle(emmett, ids[0]!, () => [])).newState.balance;
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const result = await handle(emmett, id, deposit(amount, id));
          if (result.newEvents.length !== 1) throw new Error('no event');
        }),
      extra: latencyExtra,
    },
    {
      name: 'Emmett CommandHandler, lean store',
      role: 'peer',
      note: "the same CommandHandler over a lean store written to Emmett's EventStore interface (a map of arrays + expected-version check): its own in-memory store recounts every stream on each append",
      beforeEach: async (mode) => {
        prepare(mode);
        leanEmmett = leanEmmettEventStore();
        for (const id of ids) await seedEmmett(leanEmmett, id, 0);
        verify = async () => (await handle(leanEmmett, ids[0]!, () => [])).newState.balance;
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const result = await handle(leanEmmett, id, deposit(amount, id));
          if (result.newEvents.length !== 1) throw new Error('no event');
        }),
      extra: latencyExtra,
    },
    {
      name: '@nestjs/cqrs CommandBus',
      role: 'peer',
      note: 'CommandBus.execute -> @CommandHandler: load history (hand-written async map store), loadFromHistory, apply, append, commit to the EventBus',
      beforeEach: (mode) => {
        prepare(mode);
        nest.store.reset(ids);
        verify = async () => {
          const history = await nest.store.read(ids[0]!);
          return (history as Array<{ amount?: number }>).reduce((sum, e) => sum + (e.amount ?? 0), 0);
        };
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const balance: number = await nest.commandBus.execute(new NestDeposit(id, amount));
          if (typeof balance !== 'number') throw new Error('no response');
        }),
      extra: latencyExtra,
    },
    {
      name: 'floor: async load-fold-append over objects',
      role: 'floor',
      note: 'one awaited async call per command: read the array, fold, decide, push an object',
      beforeEach: (mode) => {
        prepare(mode);
        floorObjects = new Map(ids.map((id) => [id, [{ type: 'AccountOpened', amount: 0 }]]));
        verify = async () => floorObjects.get(ids[0]!)!.reduce((sum, e) => sum + e.amount, 0);
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const events = await readFloor(floorObjects, id);
          let balance = 0;
          for (let k = 0; k < events.length; k++) if (events[k]!.type === 'Deposited') balance += events[k]!.amount;
          if (!(amount > 0)) throw new Error('amount must be positive');
          events.push({ type: 'Deposited', amount });
          return balance + amount;
        }),
      extra: latencyExtra,
    },
    {
      name: 'floor: async load-fold-append over JSON',
      role: 'floor',
      note: 'same over JSON strings: JSON.parse each stored payload, JSON.stringify the new one',
      beforeEach: (mode) => {
        prepare(mode);
        floorJson = new Map(ids.map((id) => [id, [JSON.stringify({ type: 'AccountOpened', amount: 0 })]]));
        verify = async () => floorJson.get(ids[0]!)!.reduce((sum, e) => sum + (JSON.parse(e) as { amount: number }).amount, 0);
      },
      fn: async () =>
        await drive(async (_i, id, amount) => {
          const events = await readFloor(floorJson, id);
          let balance = 0;
          for (let k = 0; k < events.length; k++) {
            const e = JSON.parse(events[k]!) as { type: string; amount: number };
            if (e.type === 'Deposited') balance += e.amount;
          }
          if (!(amount > 0)) throw new Error('amount must be positive');
          events.push(JSON.stringify({ type: 'Deposited', accountId: id, amount }));
          return balance + amount;
        }),
      extra: latencyExtra,
    },
  ];
  // Every contender verifies the balance of one account, then drops its state so the next starts on a small heap.
  const release = () => {
    store = new InMemoryStreamStore();
    dispatcher = new CommandDispatcher();
    passStore = new InMemoryStreamStore();
    directRepository = newCorrelatedRepository(passStore);
    emmett = getInMemoryEventStore();
    leanEmmett = leanEmmettEventStore();
    floorObjects = new Map();
    floorJson = new Map();
    nest.store.streams.clear();
  };
  const checked = contenders.map((c) => ({ ...c, check: checkBalance(c.name), afterAll: release }));
  const peers = ['Emmett CommandHandler', 'Emmett CommandHandler, lean store', '@nestjs/cqrs CommandBus'];
  const result: CaseResult = await runCase({
    id: 'command-round-trip',
    title: `Command round trip: ${COMMANDS.toLocaleString('en')} commands over ${AGGREGATES.toLocaleString('en')} aggregates`,
    unit: 'commands',
    units: COMMANDS,
    contenders: checked,
    comparisons: [
      { us: 'reactive-domain dispatcher, non-serialising', peers, floor: 'floor: async load-fold-append over objects' },
      { us: 'reactive-domain repository, non-serialising', peers, floor: 'floor: async load-fold-append over objects' },
      { us: 'reactive-domain dispatcher, serialising store', peers, floor: 'floor: async load-fold-append over JSON', notLikeForLike: 'ours parses JSON, the peers hold objects' },
      { us: 'reactive-domain dispatcher, non-serialising, aggregate cache', peers, floor: 'floor: async load-fold-append over objects' },
      { us: 'reactive-domain dispatcher, serialising store, aggregate cache', peers, floor: 'floor: async load-fold-append over JSON', notLikeForLike: 'ours parses JSON, the peers hold objects' },
    ],
    // 3 samples spread ±30% on a busy machine: 6 samples, in 6 rounds (each contender once per round).
    iterations: 6,
    rounds: 6,
    timeMs: 0,
    warmupIterations: 1,
    notes: [
      `Each aggregate starts with one event and receives ${PER_AGGREGATE} deposits, so a load replays ${Math.round(PER_AGGREGATE / 2)} events on average.`,
      'Commands are sent one after the other (each awaited); latency is per command, from send to response.',
      "Emmett's own in-memory store recounts every stream's events on each append (getAllEventsCount, about 9 µs per command here) and copies the stream: the lean-store row runs the same CommandHandler over a store without that flaw, the fair peer.",
      'The aggregate-cache rows use the repository option `cache: { maxAggregates }`: a load reads only the events appended since the last save (none here) instead of replaying the stream. The peers and floors replay.',
    ],
  });
  await nest.app.close();
  emit('command-round-trip', [result]);
}

async function readFloor<T>(map: Map<string, T[]>, id: string): Promise<T[]> {
  return map.get(id)!;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
