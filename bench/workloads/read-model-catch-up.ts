/**
 * Workload 5 — read-model catch-up: a read model over 100,000 events in the in-memory store, from the start until it
 * is live (events/s).
 */
import { randomUUID } from 'node:crypto';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { Account, AccountOpened, Deposited, PassThroughSerializer, expectedBalance, openedAccountsStore, registry, serializeAll, serializer } from '../lib/ours';
import { ListenerSources, ReadModelBase, type ReadModelOptions } from '../../dist/foundation';
import { getInMemoryEventStore, inMemoryProjection, inMemoryProjector, type InMemoryEventStore, type ReadEvent } from '@event-driven-io/emmett';
import { seedEmmett, type EmmettAccountEvent } from '../lib/emmett';

const EVENTS = scaled(100_000, 20_000);
const STREAMS = 1_000;
const DEPOSITS = EVENTS / STREAMS - 1; // plus one AccountOpened per stream
const ids = Array.from({ length: STREAMS }, () => randomUUID());
const EXPECTED_TOTAL = STREAMS * expectedBalance(DEPOSITS);

/** The read model a user writes: balances per account, by convention handlers. */
class Balances extends ReadModelBase {
  static override eventTypes = registry;
  readonly balances = new Map<string, number>();
  total = 0;
  constructor(options: ReadModelOptions) {
    super('balances', options);
  }
  protected applyAccountOpened(e: AccountOpened): void {
    this.balances.set(e.accountId, 0);
  }
  protected applyDeposited(e: Deposited): void {
    this.balances.set(e.accountId, (this.balances.get(e.accountId) ?? 0) + e.amount);
    this.total += e.amount;
  }
}

async function main(): Promise<void> {
  const store = await openedAccountsStore(ids, serializeAll, DEPOSITS);
  const pass = new PassThroughSerializer({ registry: Account.eventTypes });
  const passStore = await openedAccountsStore(ids, (events) => events.map((e) => pass.serialize(e)), DEPOSITS);

  // Emmett: streams written one after the other, so reading them in turn is global-position order (its checkpoints
  // skip anything at or before the last position handled).
  const emmett: InMemoryEventStore = getInMemoryEventStore();
  for (const id of ids) await seedEmmett(emmett, id, DEPOSITS);

  // Floors: the stored payload texts and types in $all order, and the same as objects.
  const all = await store.readAll({ maxCount: EVENTS + 1 });
  assert(all.events.length === EVENTS, `seeded ${all.events.length} events`);
  const floorTypes = all.events.map((e) => e.type);
  const floorJson = all.events.map((e) => e.data);
  const floorObjects = all.events.map((e) => ({ type: e.type, ...(JSON.parse(e.data) as { accountId: string; amount?: number }) }));

  let total = -1;
  const check = (name: string) => () => assert(total === EXPECTED_TOTAL, `${name}: total ${total}, expected ${EXPECTED_TOTAL}`);

  const contenders: Contender[] = [
    {
      name: 'reactive-domain ReadModelBase, serialising store',
      role: 'us',
      note: 'a ReadModelBase subclass (convention handlers) started on the account category; timed until whenLive() resolves; default options (checkpoint kept after every event)',
      fn: async () => {
        const model = new Balances({ store, serializer });
        await model.start(ListenerSources.category('account'));
        await model.whenLive();
        await model.stop();
        total = model.total;
      },
      check: check('read model'),
    },
    {
      name: 'reactive-domain ReadModelBase, non-serialising',
      role: 'us',
      note: 'same, over a store written through the bench pass-through serializer (objects, no JSON)',
      fn: async () => {
        const model = new Balances({ store: passStore, serializer: pass });
        await model.start(ListenerSources.category('account'));
        await model.whenLive();
        await model.stop();
        total = model.total;
      },
      check: check('read model pass'),
    },
    {
      name: 'reactive-domain subscribeToAll, serialising store',
      role: 'us',
      note: 'the store primitive under ReadModelBase: subscribeToAll from the start, deserialize + fold in onEvent, timed until onLive',
      fn: async () => {
        const balances = new Map<string, number>();
        let sum = 0;
        await new Promise<void>((resolve, reject) => {
          const subscription = store.subscribeToAll(
            { after: 'start' },
            {
              onEvent: (recorded) => {
                const event = serializer.deserialize(recorded).event;
                if (event instanceof Deposited) {
                  balances.set(event.accountId, (balances.get(event.accountId) ?? 0) + event.amount);
                  sum += event.amount;
                } else if (event instanceof AccountOpened) balances.set(event.accountId, 0);
              },
              onLive: () => void subscription.close().then(resolve, reject),
              onDropped: reject,
            },
          );
        });
        total = sum;
      },
      check: check('subscribeToAll'),
    },
    {
      name: 'Emmett inMemoryProjector',
      role: 'peer',
      note: "inMemoryProjector over an inMemoryProjection, fed every stream's events via readStream (Emmett's in-memory store has no $all subscription); its checkpointer writes a checkpoint per event into an in-memory document database",
      fn: async () => {
        const balances = new Map<string, number>();
        let sum = 0;
        const projection = inMemoryProjection<EmmettAccountEvent>({
          canHandle: ['AccountOpened', 'Deposited'],
          handle: async (events: ReadEvent<EmmettAccountEvent>[]) => {
            for (const e of events) {
              if (e.type === 'Deposited') {
                balances.set(e.data.accountId, (balances.get(e.data.accountId) ?? 0) + e.data.amount);
                sum += e.data.amount;
              } else balances.set(e.data.accountId, 0);
            }
          },
        });
        const projector = inMemoryProjector<EmmettAccountEvent>({ projection, processorId: `balances-${randomUUID()}` });
        await projector.start({});
        for (const id of ids) {
          const { events } = await emmett.readStream<EmmettAccountEvent>(id);
          await projector.handle(events as never, {});
        }
        await projector.close({});
        total = sum;
      },
      check: check('emmett'),
    },
    {
      name: 'floor: loop over objects',
      role: 'floor',
      fn: () => {
        const balances = new Map<string, number>();
        let sum = 0;
        for (let i = 0; i < floorObjects.length; i++) {
          const e = floorObjects[i]!;
          if (e.type === 'Deposited') {
            balances.set(e.accountId, (balances.get(e.accountId) ?? 0) + e.amount!);
            sum += e.amount!;
          } else balances.set(e.accountId, 0);
        }
        total = sum;
      },
      check: check('floor objects'),
    },
    {
      name: 'floor: loop with JSON.parse',
      role: 'floor',
      fn: () => {
        const balances = new Map<string, number>();
        let sum = 0;
        for (let i = 0; i < floorJson.length; i++) {
          const e = JSON.parse(floorJson[i]!) as { accountId: string; amount: number };
          if (floorTypes[i] === 'Deposited') {
            balances.set(e.accountId, (balances.get(e.accountId) ?? 0) + e.amount);
            sum += e.amount;
          } else balances.set(e.accountId, 0);
        }
        total = sum;
      },
      check: check('floor json'),
    },
  ];
  const peers = ['Emmett inMemoryProjector'];
  const result = await runCase({
    id: 'read-model-catch-up',
    title: `Read-model catch-up: ${EVENTS.toLocaleString('en')} events to live`,
    unit: 'events',
    units: EVENTS,
    contenders,
    comparisons: [
      { us: 'reactive-domain ReadModelBase, non-serialising', peers, floor: 'floor: loop over objects' },
      { us: 'reactive-domain ReadModelBase, serialising store', peers, floor: 'floor: loop with JSON.parse', notLikeForLike: 'ours parses JSON, the peers hold objects' },
      { us: 'reactive-domain subscribeToAll, serialising store', peers, floor: 'floor: loop with JSON.parse', notLikeForLike: 'ours parses JSON, the peers hold objects' },
    ],
    iterations: 5,
    rounds: 5,
    timeMs: 1500, // the floors take milliseconds: let them take more samples within the same budget
    warmupIterations: 1,
    notes: [
      `${STREAMS.toLocaleString('en')} account streams of ${DEPOSITS + 1} events each. @nestjs/cqrs has no store and no catch-up subscription: no Nest row.`,
      "Emmett's inMemoryProjector writes a checkpoint per event into an in-memory document database (its in-memory checkpointer), which is most of its cost here; ours keeps its checkpoint in memory after every event. Durable catch-up, where checkpoints cost I/O for everyone, is the real contest: see the PostgreSQL and SQLite workloads.",
    ],
  });
  emit('read-model-catch-up', [result]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
