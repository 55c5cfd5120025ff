/**
 * The bench domain written against reactive-domain, as a user would write it: registered event classes, an
 * aggregate routed by convention, a command, and the in-memory wiring. The library is imported from its
 * TypeScript sources (run by tsx), through the folders' public index files.
 */
import { AggregateRoot, Command, Event, EventTypeRegistry, type CorrelatedMessage } from '../../dist/core';
import {
  EventSerializer,
  InMemoryStreamStore,
  type DeserializedEvent,
  type EventData,
  type EventMetadata,
  type RecordedEvent,
  type StreamStore,
} from '../../dist/persistence';
import { CorrelatedRepository, StreamStoreRepository } from '../../dist/foundation';

/** One registry for the bench, so nothing leaks into the process-wide default. */
export const registry = new EventTypeRegistry();

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

/** A value object nested in an event. */
export class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
}

/** The serializer workload's event: a Date, a bigint and a nested value object. */
export class Transferred extends Event {
  constructor(
    readonly accountId: string,
    readonly money: Money,
    readonly at: Date,
    readonly sequence: bigint,
    readonly memo: string,
  ) {
    super();
  }
}

registry.register(AccountOpened, 'AccountOpened');
registry.register(Deposited, 'Deposited');
registry.register(Transferred, 'Transferred', { fields: { money: Money, at: Date, sequence: BigInt } });

export class Account extends AggregateRoot {
  static readonly typeName = 'Account';
  static override eventTypes = registry;
  balance = 0;
  deposits = 0;

  static open(id: string, source: CorrelatedMessage): Account {
    const account = new Account(id, source);
    account.raise(new AccountOpened(id));
    return account;
  }

  deposit(amount: number): void {
    if (!(amount > 0)) throw new Error('amount must be positive');
    this.raise(new Deposited(this.id, amount));
  }

  protected applyAccountOpened(_e: AccountOpened): void {
    this.balance = 0;
  }

  protected applyDeposited(e: Deposited): void {
    this.balance += e.amount;
    this.deposits++;
  }
}

export class Deposit extends Command {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {
    super();
  }
}

/** A command used only as the correlation source when seeding streams. */
export class Seed extends Command {}

export const serializer = new EventSerializer({ registry });

/** The stream the default name builder gives an account. */
export function accountStream(id: string): string {
  return `account-${id}`;
}

/** Serialised form of `events` for an aggregate, exactly as the repository writes them. */
export function serializeAll(events: readonly object[]): EventData[] {
  return events.map((e) => serializer.serialize(e, { aggregateType: Account.typeName, commitId: 'b1b5a4a0-0000-7000-8000-000000000000' }));
}

/** Correlated, fresh deposit events (as an aggregate would have raised them). */
export function depositEvents(accountId: string, count: number): Deposited[] {
  const source = new Seed();
  const events: Deposited[] = [];
  for (let i = 0; i < count; i++) {
    const e = new Deposited(accountId, 1 + (i % 7));
    e.correlationId = source.msgId;
    e.causationId = source.msgId;
    events.push(e);
  }
  return events;
}

/**
 * A store holding one account per id (stream `account-<id>`: a correlated `AccountOpened` and `deposits` deposits of
 * {@link depositEvents}, in one append each), written through `serialize` (the JSON serializer by default).
 */
export async function openedAccountsStore(
  ids: readonly string[],
  serialize: (events: object[]) => EventData[] = serializeAll,
  deposits = 0,
): Promise<InMemoryStreamStore> {
  const store = new InMemoryStreamStore();
  const source = new Seed();
  for (const id of ids) {
    const opened = new AccountOpened(id);
    opened.correlationId = source.msgId;
    opened.causationId = source.msgId;
    await store.appendToStream(accountStream(id), 'no_stream', serialize(deposits > 0 ? [opened, ...depositEvents(id, deposits)] : [opened]));
  }
  return store;
}

/** Appends an opened account plus `deposits` deposits to `store`, in pages (one append per 1,000 events). */
export async function seedAccount(store: StreamStore, accountId: string, deposits: number): Promise<void> {
  const source = new Seed();
  const opened = new AccountOpened(accountId);
  opened.correlationId = source.msgId;
  opened.causationId = source.msgId;
  const all: object[] = [opened, ...depositEvents(accountId, deposits)];
  const stream = accountStream(accountId);
  for (let i = 0; i < all.length; i += 1000) {
    await store.appendToStream(stream, i === 0 ? 'no_stream' : i - 1, serializeAll(all.slice(i, i + 1000)));
  }
}

/** Expected balance after `deposits` deposits made by {@link depositEvents}. */
export function expectedBalance(deposits: number): number {
  let sum = 0;
  for (let i = 0; i < deposits; i++) sum += 1 + (i % 7);
  return sum;
}

/**
 * A serializer that does not serialise: it keeps each written event object in an array and stores only the index
 * as the payload text, handing the very object back on read. With it, `StreamStoreRepository` over
 * `InMemoryStreamStore` does no JSON work, which is what Emmett's in-memory store does (it holds objects), so the two
 * can be compared like for like. Bench-only wrapper: the library has no such store option (see BENCHMARKS.md).
 * The index text is an array-index string, whose numeric value V8 caches, so the lookup costs next to nothing.
 */
export class PassThroughSerializer extends EventSerializer {
  private readonly objects: object[] = [];

  override serialize(event: object): EventData {
    const index = this.objects.push(event) - 1;
    return { eventId: (event as { msgId: string }).msgId, type: registry.nameOf(event), data: String(index), metadata: '' };
  }

  override deserialize<T extends object = object>(recorded: RecordedEvent): DeserializedEvent<T> {
    return { event: this.deserializeEvent<T>(recorded), metadata: EMPTY, recorded };
  }

  /** What the repository calls for each event it loads: the stored object itself, no wrapper. */
  override deserializeEvent<T extends object = object>(recorded: RecordedEvent): T {
    const event = this.objects[+recorded.data];
    if (event === undefined) throw new Error(`PassThroughSerializer: no object for event ${recorded.eventId}`);
    return event as T;
  }
}
const EMPTY: EventMetadata = Object.freeze({});

/** Repository options the workloads vary: `cache` turns on the aggregate cache (sized for every aggregate). */
export interface RepositoryChoice {
  serializer?: EventSerializer;
  pageSize?: number;
  cache?: boolean;
  /** Most aggregates the cache keeps (default 10,000). */
  cacheSize?: number;
}

export function newRepository(store: StreamStore, options: RepositoryChoice = {}): StreamStoreRepository {
  return new StreamStoreRepository({
    store,
    serializer: options.serializer ?? serializer,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.cache ? { cache: { maxAggregates: options.cacheSize ?? 10_000 } } : {}),
  });
}

export function newCorrelatedRepository(store: StreamStore, options: RepositoryChoice = {}): CorrelatedRepository {
  return new CorrelatedRepository(newRepository(store, options));
}

export { InMemoryStreamStore };
