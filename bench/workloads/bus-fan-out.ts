/**
 * Workload 3 — bus fan-out: 1,000,000 events published to 4 subscribers (events/s). Floors: a hand-written loop over
 * the 4 handlers, called synchronously, and the same loop awaiting each publish (what a bus that resolves when its
 * handlers are done costs at least). A bare RxJS Subject is shown for reference.
 */
import { Subject } from 'rxjs';
import { assert, emit, runCase, scaled, type Contender } from '../lib/harness';
import { Deposited } from '../lib/ours';
import { InMemoryBus } from '../../dist/messaging';
import { getInMemoryMessageBus } from '@event-driven-io/emmett';
import type { EmmettDeposited } from '../lib/emmett';
import { NestDeposited, createNestApp, fanOut } from '../lib/nest';

const EVENTS = scaled(1_000_000, 100_000);
const SUBSCRIBERS = 4;
/** Distinct event objects, published round-robin (a million distinct objects would measure the heap, not the bus). */
const DISTINCT = 1_000;

/**
 * Nest's EventBus runs each handler call as an RxJS inner subscription that completes on a later microtask; published
 * in one synchronous burst, those pile up and each removal scans the pile (quadratic: ~5,000 events/s for a burst of
 * 100,000). Yielding every 10 publishes keeps the pile small and was its fastest pattern (measured: 1, 10, 100, 1,000).
 */
const NEST_BATCH = 10;

const amountOf = (i: number) => 1 + (i % 7);
let expectedSum = 0;
for (let i = 0; i < EVENTS; i++) expectedSum += SUBSCRIBERS * amountOf(i % DISTINCT);

const ours = Array.from({ length: DISTINCT }, (_, i) => new Deposited('acc', amountOf(i)));
const emmettEvents: EmmettDeposited[] = Array.from({ length: DISTINCT }, (_, i) => ({ type: 'Deposited', data: { accountId: 'acc', amount: amountOf(i) } }));
const nestEvents = Array.from({ length: DISTINCT }, (_, i) => new NestDeposited('acc', amountOf(i)));
const plain = Array.from({ length: DISTINCT }, (_, i) => ({ accountId: 'acc', amount: amountOf(i) }));

const seen = { calls: 0, sum: 0 };
const reset = () => {
  seen.calls = 0;
  seen.sum = 0;
  fanOut.calls = 0;
  fanOut.sum = 0;
};
const checkSeen = (name: string, counts = seen) => () =>
  assert(counts.calls === EVENTS * SUBSCRIBERS && counts.sum === expectedSum, `${name}: ${counts.calls} calls, sum ${counts.sum}/${expectedSum}`);

async function main(): Promise<void> {
  const bus = new InMemoryBus('bench');
  for (let s = 0; s < SUBSCRIBERS; s++) {
    bus.subscribe(Deposited, (e) => {
      seen.calls++;
      seen.sum += e.amount;
    });
  }

  const emmett = getInMemoryMessageBus();
  for (let s = 0; s < SUBSCRIBERS; s++) {
    emmett.subscribe<EmmettDeposited>((e: EmmettDeposited) => {
      seen.calls++;
      seen.sum += e.data.amount;
    }, 'Deposited');
  }

  const nest = await createNestApp('fan-out');

  const subject = new Subject<{ amount: number }>();
  for (let s = 0; s < SUBSCRIBERS; s++) {
    subject.subscribe((e) => {
      seen.calls++;
      seen.sum += e.amount;
    });
  }

  // The floor: the handlers in an array, called in a loop (no bus, no lookup by type).
  const handlers: Array<(e: { amount: number }) => void> = [];
  for (let s = 0; s < SUBSCRIBERS; s++) {
    handlers.push((e) => {
      seen.calls++;
      seen.sum += e.amount;
    });
  }
  const publishLoop = (e: { amount: number }): void => {
    for (let h = 0; h < handlers.length; h++) handlers[h]!(e);
  };
  const publishLoopAsync = async (e: { amount: number }): Promise<void> => {
    for (let h = 0; h < handlers.length; h++) handlers[h]!(e);
  };

  const contenders: Contender[] = [
    {
      name: 'reactive-domain InMemoryBus, await each publish',
      role: 'us',
      note: 'await bus.publish(event) per event (resolves when the 4 handlers are done); handlers subscribed by class',
      beforeEach: reset,
      fn: async () => {
        for (let i = 0; i < EVENTS; i++) await bus.publish(ours[i % DISTINCT]!);
      },
      check: checkSeen('ours await'),
    },
    {
      name: 'reactive-domain InMemoryBus, publish without await',
      role: 'us',
      note: 'bus.publish(event) per event, awaiting only the last promise (handlers are synchronous, so all ran)',
      beforeEach: reset,
      fn: async () => {
        let last: Promise<unknown> = Promise.resolve();
        for (let i = 0; i < EVENTS; i++) last = bus.publish(ours[i % DISTINCT]!);
        await last;
      },
      check: checkSeen('ours no await'),
    },
    {
      name: 'Emmett getInMemoryMessageBus',
      role: 'peer',
      note: 'await bus.publish(event) per event; 4 handlers subscribed by type name',
      beforeEach: reset,
      fn: async () => {
        for (let i = 0; i < EVENTS; i++) await emmett.publish(emmettEvents[i % DISTINCT]!);
      },
      check: checkSeen('emmett'),
    },
    {
      name: '@nestjs/cqrs EventBus',
      role: 'peer',
      note: 'EventBus.publish(event) per event, yielding to the event loop every 10 publishes (its best pattern); 4 @EventsHandler classes; timed until every handler call ran',
      beforeEach: reset,
      fn: async () => {
        for (let i = 0; i < EVENTS; i++) {
          nest.eventBus.publish(nestEvents[i % DISTINCT]!);
          if (i % NEST_BATCH === NEST_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
        }
        while (fanOut.calls < EVENTS * SUBSCRIBERS) await new Promise((resolve) => setImmediate(resolve));
      },
      check: checkSeen('nest', fanOut),
    },
    {
      name: 'floor: loop over the handlers, awaited',
      role: 'floor',
      note: 'await publish(event) per event, publish an async function calling the 4 handlers in a loop',
      beforeEach: reset,
      fn: async () => {
        for (let i = 0; i < EVENTS; i++) await publishLoopAsync(plain[i % DISTINCT]!);
      },
      check: checkSeen('floor awaited'),
    },
    {
      name: 'floor: loop over the handlers',
      role: 'floor',
      note: 'the 4 handlers called in a loop per event, synchronously',
      beforeEach: reset,
      fn: () => {
        for (let i = 0; i < EVENTS; i++) publishLoop(plain[i % DISTINCT]!);
      },
      check: checkSeen('floor sync'),
    },
    {
      name: 'reference: bare RxJS Subject',
      role: 'floor',
      note: 'subject.next(event) per event, 4 subscribers',
      beforeEach: reset,
      fn: () => {
        for (let i = 0; i < EVENTS; i++) subject.next(plain[i % DISTINCT]!);
      },
      check: checkSeen('floor'),
    },
  ];
  // "publish without await" is compared only with the peer that also publishes without awaiting (Nest's EventBus
  // returns nothing to await); Emmett's publish is awaited, like our awaited row.
  const peers = ['Emmett getInMemoryMessageBus', '@nestjs/cqrs EventBus'];
  const result = await runCase({
    id: 'bus-fan-out',
    title: `Bus fan-out: ${EVENTS.toLocaleString('en')} events to ${SUBSCRIBERS} subscribers`,
    unit: 'events',
    units: EVENTS,
    contenders,
    comparisons: [
      { us: 'reactive-domain InMemoryBus, await each publish', peers, floor: 'floor: loop over the handlers, awaited' },
      { us: 'reactive-domain InMemoryBus, publish without await', peers: ['@nestjs/cqrs EventBus'], floor: 'floor: loop over the handlers' },
    ],
    iterations: 5,
    rounds: 5,
    timeMs: 0,
    warmupIterations: 1,
    notes: [
      `${DISTINCT.toLocaleString('en')} distinct event objects are published round-robin. Handlers are synchronous (sum the amount).`,
      "Emmett's publish awaits each handler in turn; Nest's EventBus runs each handler through an RxJS mergeMap and a promise.",
      'Floors: the 4 handlers called in a loop, awaited per event (for the awaited row) and synchronously (for the row that does not await). The RxJS Subject row is for reference only.',
      'Nest is published in batches of 10 with a yield between batches: in one unbroken burst its pending inner subscriptions pile up and it slows to ~5,000 events/s.',
    ],
  });
  await nest.app.close();
  emit('bus-fan-out', [result]);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
