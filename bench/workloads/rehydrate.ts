/**
 * Workload 1 — rehydrate: load one aggregate from an N-event stream (N = 100, 1,000, 10,000) in an in-memory store.
 * Throughput in events/s.
 */
import { randomUUID } from 'node:crypto';
import { assert, emit, runCase, scaled, type CaseResult, type Contender } from '../lib/harness';
import {
  Account,
  InMemoryStreamStore,
  PassThroughSerializer,
  accountStream,
  depositEvents,
  expectedBalance,
  newRepository,
  seedAccount,
  AccountOpened,
} from '../lib/ours';
import { emmettDepositEvents, evolve, getInMemoryEventStore, initialState, seedEmmett, type EmmettAccountEvent } from '../lib/emmett';
import { NestAccount, NestAccountOpened, NestDeposited, NestEventStore } from '../lib/nest';

async function rehydrateCase(deposits: number): Promise<CaseResult> {
  const events = deposits + 1; // the AccountOpened event plus the deposits
  const balance = expectedBalance(deposits);

  // reactive-domain, serialising store (JSON payload + metadata per event, as InMemoryStreamStore always holds).
  const id = randomUUID();
  const store = new InMemoryStreamStore();
  await seedAccount(store, id, deposits);
  const repository = newRepository(store);

  // reactive-domain, non-serialising: same store and repository, but the serializer hands back the objects.
  const passId = randomUUID();
  const passStore = new InMemoryStreamStore();
  const pass = new PassThroughSerializer({ registry: Account.eventTypes });
  await seedAccountWith(passStore, passId, deposits, pass);
  const passRepository = newRepository(passStore, { serializer: pass });

  // reactive-domain, core only: restoreFromEvents over event objects read from an async map (no store, like Nest).
  const coreEvents = new Map<string, object[]>([[id, [new AccountOpened(id), ...depositEvents(id, deposits)]]]);
  const readCore = async (key: string) => coreEvents.get(key)!;

  // Emmett in-memory store (holds objects; no serialisation).
  const emmett = getInMemoryEventStore();
  await seedEmmett(emmett, id, deposits);

  // Emmett without its store: the same event objects folded with reduce(evolve) (what restoreFromEvents is to ours).
  const emmettEvents = new Map<string, EmmettAccountEvent[]>([[id, [{ type: 'AccountOpened', data: { accountId: id } }, ...emmettDepositEvents(id, deposits)]]]);
  const readEmmett = async (key: string) => emmettEvents.get(key)!;

  // @nestjs/cqrs: no store; history from an async in-memory map.
  const nestStore = new NestEventStore();
  nestStore.streams.set(id, [new NestAccountOpened(id), ...Array.from({ length: deposits }, (_, i) => new NestDeposited(id, 1 + (i % 7)))]);

  // Floors: the same data, no library. Objects, and the stored JSON payload strings.
  const floorObjects = coreEvents.get(id)!.map((e) => ({ ...e })) as Array<{ amount?: number }>;
  const slice = await store.readStream(accountStream(id), { maxCount: events });
  assert(slice.status === 'ok', 'seeded stream readable');
  const floorTypes = slice.events.map((e) => e.type);
  const floorJson = slice.events.map((e) => e.data);

  let seen = { balance: -1, deposits: -1 };
  const last = (b: number, d: number) => (seen = { balance: b, deposits: d });
  const check = (name: string) => () => assert(seen.balance === balance && seen.deposits === deposits, `${name}: balance ${seen.balance}/${balance}, deposits ${seen.deposits}/${deposits}`);

  const contenders: Contender[] = [
    {
      name: 'reactive-domain, serialising store',
      role: 'us',
      note: 'StreamStoreRepository.getById over InMemoryStreamStore (JSON payload + metadata parsed per event, pages of 500)',
      fn: async () => {
        const a = await repository.getById(Account, id);
        last(a.balance, a.deposits);
      },
      check: check('serialising'),
    },
    {
      name: 'reactive-domain, non-serialising',
      role: 'us',
      note: 'same repository and store, bench pass-through serializer (objects, no JSON), pages of 500',
      fn: async () => {
        const a = await passRepository.getById(Account, passId);
        last(a.balance, a.deposits);
      },
      check: check('pass-through'),
    },
    {
      name: 'reactive-domain, restoreFromEvents',
      role: 'us',
      note: 'new Account + restoreFromEvents over event objects from an async map (no store, like the Nest contender)',
      fn: async () => {
        const a = new Account(id);
        a.restoreFromEvents(await readCore(id));
        last(a.balance, a.deposits);
      },
      check: check('core'),
    },
    {
      name: 'Emmett aggregateStream',
      role: 'peer',
      note: 'getInMemoryEventStore().aggregateStream with evolve/initialState (objects, no serialisation)',
      fn: async () => {
        const { state } = await emmett.aggregateStream<ReturnType<typeof initialState>, EmmettAccountEvent>(id, { evolve, initialState });
        last(state.balance, state.deposits);
      },
      check: check('emmett'),
    },
    {
      name: 'Emmett reduce(evolve), no store',
      role: 'peer',
      note: 'events.reduce(evolve, initialState()) over event objects from an async map (no store: like restoreFromEvents)',
      fn: async () => {
        const state = (await readEmmett(id)).reduce(evolve, initialState());
        last(state.balance, state.deposits);
      },
      check: check('emmett reduce'),
    },
    {
      name: '@nestjs/cqrs loadFromHistory',
      role: 'peer',
      note: 'new AggregateRoot + loadFromHistory over event objects from an async map (Nest has no store)',
      fn: async () => {
        const a = new NestAccount(id);
        a.loadFromHistory((await nestStore.read(id)) as object[]);
        last(a.balance, a.deposits);
      },
      check: check('nest'),
    },
    {
      name: 'floor: loop over objects',
      role: 'floor',
      fn: () => {
        let b = 0;
        let d = 0;
        for (let i = 0; i < floorObjects.length; i++) {
          const amount = floorObjects[i]!.amount;
          if (amount !== undefined) {
            b += amount;
            d++;
          }
        }
        last(b, d);
      },
      check: check('floor objects'),
    },
    {
      name: 'floor: loop with JSON.parse',
      role: 'floor',
      note: 'JSON.parse of each stored payload string + switch on the stored type name',
      fn: () => {
        let b = 0;
        let d = 0;
        for (let i = 0; i < floorJson.length; i++) {
          const payload = JSON.parse(floorJson[i]!) as { amount: number };
          if (floorTypes[i] === 'Deposited') {
            b += payload.amount;
            d++;
          }
        }
        last(b, d);
      },
      check: check('floor json'),
    },
  ];
  // Like with like: a load through a store against the peers' store-backed load (Nest has no store: its row is the
  // same fold from an async map), and restoreFromEvents (no store) against the peers' folds with no store.
  const peers = ['Emmett aggregateStream', '@nestjs/cqrs loadFromHistory'];
  const noStorePeers = ['Emmett reduce(evolve), no store', '@nestjs/cqrs loadFromHistory'];
  return runCase({
    id: `rehydrate-${events}`,
    title: `Rehydrate one aggregate from ${events.toLocaleString('en')} events`,
    unit: 'events',
    units: events,
    contenders,
    comparisons: [
      { us: 'reactive-domain, non-serialising', peers, floor: 'floor: loop over objects' },
      { us: 'reactive-domain, restoreFromEvents', peers: noStorePeers, floor: 'floor: loop over objects' },
      { us: 'reactive-domain, serialising store', peers, floor: 'floor: loop with JSON.parse', notLikeForLike: 'ours parses JSON, the peers hold objects' },
    ],
    iterations: deposits >= 10_000 ? 24 : 60,
    rounds: 6,
    timeMs: deposits >= 10_000 ? 1000 : 400,
    warmupIterations: deposits >= 10_000 ? 5 : 20,
    notes: [
      'The peers hold event objects and do no JSON work; the serialising row is therefore not like for like with them (it is compared with the JSON floor).',
      "restoreFromEvents (no store) is compared with the peers' folds that use no store either: Emmett's reduce(evolve) and Nest's loadFromHistory; the repository rows with Emmett's aggregateStream (a store read) and Nest.",
    ],
  });
}

async function seedAccountWith(store: InMemoryStreamStore, id: string, deposits: number, serializer: PassThroughSerializer): Promise<void> {
  const opened = new AccountOpened(id);
  const all = [opened, ...depositEvents(id, deposits)];
  opened.correlationId = all[1]?.correlationId ?? opened.msgId;
  opened.causationId = opened.correlationId;
  const stream = accountStream(id);
  for (let i = 0; i < all.length; i += 1000) {
    const page = all.slice(i, i + 1000).map((e) => serializer.serialize(e));
    await store.appendToStream(stream, i === 0 ? 'no_stream' : i - 1, page);
  }
}

async function main(): Promise<void> {
  const sizes = [scaled(99, 99), scaled(999, 999), scaled(9_999, 1_999)];
  const cases: CaseResult[] = [];
  for (const deposits of sizes) cases.push(await rehydrateCase(deposits));
  emit('rehydrate', cases);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
