import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import { Event, EventTypeRegistry } from '../../../src/core';
import { EventSerializer } from '../../../src/persistence/event-serializer';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import type {
  EventData,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from '../../../src/persistence/stream-store';
import { ReadModelBase, type EventContext, type ReadModelOptions } from '../../../src/foundation';

export class AccountOpened extends Event {
  constructor(readonly accountId: string) {
    super();
  }
}
export class Deposited extends Event {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {
    super();
  }
}
export class DepositedV2 extends Event {
  constructor(readonly accountId: string) {
    super();
  }
}
export class Noted extends Event {
  constructor(readonly text: string) {
    super();
  }
}

/** Private registry so registrations never leak between test files. */
export const registry = new EventTypeRegistry()
  .register(AccountOpened, 'AccountOpened')
  .register(Deposited, 'Deposited')
  .register(DepositedV2, 'DepositedV2')
  .register(Noted, 'Noted');

export const serializer = new EventSerializer({ registry });

/** An in-memory store wrapped for fault injection (drops, failed appends, paused delivery). */
export function newStore(): FaultyStreamStore {
  return new FaultyStreamStore(new InMemoryStreamStore());
}

/** Appends `events` to `stream` (expected version Any). */
export async function append(store: StreamStore, stream: string, ...events: object[]): Promise<void> {
  await store.appendToStream(
    stream,
    'any',
    events.map((e) => serializer.serialize(e)),
  );
}

/** Appends `count` deposits of 1..count to `stream`, in batches. */
export async function appendDeposits(
  store: StreamStore,
  stream: string,
  count: number,
  batch = 500,
): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    const events: EventData[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++)
      events.push(serializer.serialize(new Deposited(stream, j + 1)));
    await store.appendToStream(stream, 'any', events);
  }
}

/** An event the registry does not know (written as raw data). */
export async function appendUnknown(store: StreamStore, stream: string, type = 'Mystery'): Promise<void> {
  await store.appendToStream(stream, 'any', [
    { eventId: new Noted('x').msgId, type, data: '{}', metadata: '{}' },
  ]);
}

/** Convention-routed model: sums deposits per stream and records every handled (stream, revision). */
export class Balances extends ReadModelBase {
  static override eventTypes = registry;
  readonly totals = new Map<string, number>();
  readonly seen: string[] = [];
  opened = 0;

  constructor(options: Partial<ReadModelOptions> & { store: StreamStore }, name = 'balances') {
    super(name, { serializer, ...options });
  }

  protected applyDeposited(event: Deposited, context: EventContext): void {
    this.totals.set(event.accountId, (this.totals.get(event.accountId) ?? 0) + event.amount);
    this.seen.push(`${context.recorded.streamName}@${context.recorded.revision}`);
  }

  protected applyAccountOpened(): void {
    this.opened++;
  }

  protected override reset(): void {
    this.totals.clear();
    this.seen.length = 0;
    this.opened = 0;
  }

  total(stream: string): number {
    return this.totals.get(stream) ?? 0;
  }
}

/** Sum of 1..n. */
export const triangle = (n: number): number => (n * (n + 1)) / 2;

/** Polls `condition` on the event loop (no wall-clock assumptions beyond Jest's own timeout). */
export async function eventually(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never became true: ${what}`);
}

/** Passes every call to another store; subclasses change subscriptions. */
export class DelegatingStore implements StreamStore {
  constructor(protected readonly inner: StreamStore) {}
  appendToStream: StreamStore['appendToStream'] = (...args) => this.inner.appendToStream(...args);
  readStream: StreamStore['readStream'] = (...args) => this.inner.readStream(...args);
  readAll: StreamStore['readAll'] = (...args) => this.inner.readAll(...args);
  deleteStream: StreamStore['deleteStream'] = (...args) => this.inner.deleteStream(...args);
  tombstoneStream: StreamStore['tombstoneStream'] = (...args) => this.inner.tombstoneStream(...args);
  close: StreamStore['close'] = () => this.inner.close();
  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.inner.subscribeToStream(streamName, options, handlers);
  }
  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    return this.inner.subscribeToAll(options, handlers);
  }
}

/**
 * A store with at-least-once delivery at its worst: every subscription starts from the beginning, whatever
 * checkpoint it was given (as a server may re-deliver events around a reconnect).
 */
export class RedeliveringStore extends DelegatingStore {
  override subscribeToStream(
    streamName: string,
    _options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.inner.subscribeToStream(streamName, { after: 'start' }, handlers);
  }
  override subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    return this.inner.subscribeToAll(
      options.filter ? { after: 'start', filter: options.filter } : { after: 'start' },
      handlers,
    );
  }
}
