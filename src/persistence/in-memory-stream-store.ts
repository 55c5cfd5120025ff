import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { compileAllFilter } from './all-filter';
import { ExpectedVersion, assertExpectedVersion } from './expected-version';
import {
  assertDirection,
  assertEventList,
  assertHandlers,
  assertMaxCount,
  assertPosition,
  assertRevisionPoint,
  assertStreamName,
} from './stream-store-arguments';
import { InMemorySubscription, type InMemorySubscriptionSource } from './in-memory-subscription';
import type {
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from './stream-store';
import {
  StoreUnavailableError,
  StreamDeletedError,
  SubscriptionDroppedError,
  WrongExpectedVersionError,
  type SubscriptionDropReason,
} from './stream-store.errors';

/**
 * Distance between the global positions of two consecutive events. Positions are deliberately not 1, 2, 3...:
 * EventStoreDB's are byte offsets with gaps, and code that does arithmetic on positions (instead of treating them
 * as opaque, ordered, exclusive checkpoints) should fail in tests, not in production.
 */
const POSITION_STRIDE = 64n;

/** Options of {@link InMemoryStreamStore}. */
export interface InMemoryStreamStoreOptions {
  /**
   * Delay, in milliseconds, before a subscription starts delivering after it was created or woken by an append
   * (default 0: the next macrotask). Use it to widen race windows in tests; never to make tests wait.
   */
  readonly deliveryDelayMs?: number;
}

/** A stored event: frozen, sharing its strings; `created` returns a fresh `Date` so nothing mutable leaks. */
class StoredEvent implements RecordedEvent {
  readonly #createdMs: number;
  constructor(
    readonly streamName: string,
    readonly revision: number,
    readonly position: bigint,
    readonly eventId: string,
    readonly type: string,
    readonly data: string,
    readonly metadata: string,
    createdMs: number,
  ) {
    this.#createdMs = createdMs;
    Object.freeze(this);
  }

  get created(): Date {
    return new Date(this.#createdMs);
  }
}

interface StreamRecord {
  /** Every event ever appended, index = revision (soft-deleted ones included, so numbering continues). */
  readonly events: StoredEvent[];
  /** First visible revision: a soft delete moves it to `events.length` (EventStoreDB's `$tb`). */
  truncateBefore: number;
  tombstoned: boolean;
}

/**
 * A {@link StreamStore} held in memory, with EventStoreDB's semantics: expected versions (including
 * `StreamExists`), atomic appends, soft delete (reads as not found; numbering continues) and tombstones, `$all`
 * with opaque exclusive positions and prefix filters, and catch-up-then-live subscriptions.
 *
 * Behaviour worth knowing (all covered by tests):
 * - Live delivery is asynchronous: handlers run on a later macrotask, never on the stack of `appendToStream`.
 *   Each subscription delivers one event at a time, awaiting its handler; a slow handler delays only its own
 *   subscription. Do not `await subscription.close()` inside that subscription's own `onEvent` (it waits for the
 *   handler to finish, so it would never resolve); call it without awaiting instead.
 * - Positions are opaque, strictly increasing bigints with gaps (like EventStoreDB's).
 * - Appending an empty list checks the expected version and writes nothing; `nextExpectedVersion` is -1 when the
 *   stream does not exist.
 * - As on EventStoreDB 24.x: soft-deleting a stream that was never written fails with
 *   `WrongExpectedVersionError` (actual `no_stream`) whatever the expected version; soft-deleting an already
 *   soft-deleted stream with `Any` succeeds; after a soft delete an append with `Any`, `NoStream` or the last
 *   revision before the delete is accepted and continues the numbering. Tombstoning works on any stream that is
 *   not tombstoned yet (with `Any`/`NoStream` even on one never written).
 * - Soft-deleted and tombstoned events stay in `$all` (EventStoreDB keeps them until a scavenge).
 * - Idempotent appends (EventStoreDB's duplicate event id detection) are not modelled: re-appending an event id
 *   writes it again.
 * - Backward stream reads from a revision past the end start at the last event.
 * - `close()` stops every subscription without calling `onDropped` (the owner is shutting down); later calls
 *   reject with {@link StoreUnavailableError}.
 * - The system projection streams `$ce-<category>` and `$et-<type>` are not modelled: reading or subscribing to
 *   one throws `InvalidArgumentError`. Follow a category or event type with a filtered `$all` subscription
 *   (`categoryFilter`, `eventTypeFilter`), which works the same on EventStoreDB without server projections.
 *
 * Fault injection for tests: {@link failNextAppend}, {@link dropSubscriptions}, {@link pauseDelivery} /
 * {@link resumeDelivery} and the `deliveryDelayMs` option.
 */
export class InMemoryStreamStore implements StreamStore {
  /** `$all`: index i holds the event at position (i + 1) * POSITION_STRIDE. */
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StreamRecord>();
  private readonly streamSubscriptions = new Map<string, Set<InMemorySubscription>>();
  private readonly allSubscriptions = new Set<InMemorySubscription>();
  private readonly appendFaults: Error[] = [];
  private readonly deliveryDelayMs: number;
  private paused: (() => void)[] | undefined;
  private closed = false;

  constructor(options: InMemoryStreamStoreOptions = {}) {
    const delay = options.deliveryDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new InvalidArgumentError(
        `InMemoryStreamStore: deliveryDelayMs must be >= 0, got ${describeValue(delay)}`,
      );
    }
    this.deliveryDelayMs = delay;
  }

  async appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    this.assertOpen();
    assertStreamName(streamName);
    assertExpectedVersion(expectedVersion, streamName);
    assertEventList(events, streamName);
    const fault = this.appendFaults.shift();
    if (fault) throw fault;

    let record = this.streams.get(streamName);
    if (record?.tombstoned) throw new StreamDeletedError(streamName);
    checkExpectedVersion(streamName, record, expectedVersion);
    if (events.length === 0) {
      return { nextExpectedVersion: record ? record.events.length - 1 : -1, position: this.endPosition() };
    }
    if (!record) {
      record = { events: [], truncateBefore: 0, tombstoned: false };
      this.streams.set(streamName, record);
    }
    const created = Date.now();
    let stored: StoredEvent | undefined;
    for (const data of events) {
      stored = new StoredEvent(
        streamName,
        record.events.length,
        BigInt(this.all.length + 1) * POSITION_STRIDE,
        data.eventId,
        data.type,
        data.data,
        data.metadata,
        created,
      );
      this.all.push(stored);
      record.events.push(stored);
    }
    this.wake(streamName);
    return { nextExpectedVersion: stored!.revision, position: stored!.position };
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<ReadStreamResult> {
    this.assertOpen();
    assertStreamName(streamName);
    assertNotProjectionStream(streamName);
    const direction = assertDirection(options.direction, streamName);
    const maxCount = assertMaxCount(options.maxCount, streamName);
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    assertRevisionPoint(from, 'readStream', streamName);
    const record = this.streams.get(streamName);
    if (record?.tombstoned) return { status: 'deleted', streamName };
    if (!record || record.events.length <= record.truncateBefore) return { status: 'not_found', streamName };

    const all = record.events;
    const first = record.truncateBefore;
    const last = all.length - 1;
    let events: StoredEvent[];
    let isEndOfStream: boolean;
    if (direction === 'forwards') {
      const start = from === 'start' ? first : from === 'end' ? all.length : Math.max(from, first);
      const end = Math.min(all.length, start + maxCount);
      events = start < end ? all.slice(start, end) : [];
      isEndOfStream = end >= all.length;
    } else {
      const start = from === 'end' ? last : from === 'start' ? first : Math.min(from, last);
      const end = Math.max(first - 1, start - maxCount); // exclusive lower bound
      events = [];
      for (let r = start; r > end && r >= first; r--) events.push(all[r]!);
      isEndOfStream = end < first;
    }
    return { status: 'ok', streamName, events, lastRevision: last, isEndOfStream };
  }

  async readAll(options: ReadAllOptions = {}): Promise<AllSlice> {
    this.assertOpen();
    const direction = assertDirection(options.direction, '$all');
    const maxCount = assertMaxCount(options.maxCount, '$all');
    const accept = compileAllFilter(options.filter);
    const after = options.after ?? (direction === 'forwards' ? 'start' : 'end');
    assertPosition(after, 'readAll');
    const log = this.all;
    const events: StoredEvent[] = [];
    if (direction === 'forwards') {
      let i = after === 'start' ? 0 : after === 'end' ? log.length : this.indexAfter(after);
      for (; i < log.length && events.length < maxCount; i++) {
        if (accept(log[i]!)) events.push(log[i]!);
      }
      // Look ahead for one more match so `isEnd` is exact even when the page is full.
      while (i < log.length && !accept(log[i]!)) i++;
      return { events, isEnd: i >= log.length };
    }
    let i = after === 'end' ? log.length - 1 : after === 'start' ? -1 : this.indexBefore(after);
    for (; i >= 0 && events.length < maxCount; i--) {
      if (accept(log[i]!)) events.push(log[i]!);
    }
    while (i >= 0 && !accept(log[i]!)) i--;
    return { events, isEnd: i < 0 };
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    this.assertOpen();
    assertStreamName(streamName);
    assertNotProjectionStream(streamName);
    assertHandlers(handlers, streamName);
    const after = options?.after ?? 'start';
    assertRevisionPoint(after, 'subscribeToStream', streamName);
    const length = this.streams.get(streamName)?.events.length ?? 0;
    const cursor = after === 'start' ? 0 : after === 'end' ? length : after + 1;
    let subscriptions = this.streamSubscriptions.get(streamName);
    if (!subscriptions) {
      subscriptions = new Set();
      this.streamSubscriptions.set(streamName, subscriptions);
    }
    const description = `stream ${JSON.stringify(streamName)}`;
    const set = subscriptions;
    const source: InMemorySubscriptionSource = {
      events: () => this.streams.get(streamName)?.events,
      accept: (event) => event.revision >= this.streams.get(streamName)!.truncateBefore,
      failure: () =>
        this.streams.get(streamName)?.tombstoned
          ? new SubscriptionDroppedError(description, 'server_error', {
              cause: new StreamDeletedError(streamName),
            })
          : undefined,
      schedule: (task) => this.schedule(task),
      unregister: (subscription) => {
        set.delete(subscription);
        if (set.size === 0 && this.streamSubscriptions.get(streamName) === set)
          this.streamSubscriptions.delete(streamName);
      },
    };
    const subscription = new InMemorySubscription(description, source, handlers, cursor, length);
    set.add(subscription);
    subscription.start();
    return subscription;
  }

  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    this.assertOpen();
    assertHandlers(handlers, '$all');
    const accept = compileAllFilter(options?.filter);
    const after = options?.after ?? 'start';
    assertPosition(after, 'subscribeToAll');
    const length = this.all.length;
    const cursor = after === 'start' ? 0 : after === 'end' ? length : this.indexAfter(after);
    const source: InMemorySubscriptionSource = {
      events: () => this.all,
      accept,
      failure: () => undefined,
      schedule: (task) => this.schedule(task),
      unregister: (subscription) => this.allSubscriptions.delete(subscription),
    };
    const subscription = new InMemorySubscription('$all', source, handlers, cursor, length);
    this.allSubscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    this.assertOpen();
    assertStreamName(streamName);
    assertExpectedVersion(expectedVersion, streamName);
    const record = this.streams.get(streamName);
    if (record?.tombstoned) throw new StreamDeletedError(streamName);
    // EventStoreDB refuses to soft-delete a stream that was never written, whatever the expected version.
    if (!record) throw new WrongExpectedVersionError(streamName, expectedVersion, 'no_stream');
    checkExpectedVersion(streamName, record, expectedVersion);
    record.truncateBefore = record.events.length;
  }

  async tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    this.assertOpen();
    assertStreamName(streamName);
    assertExpectedVersion(expectedVersion, streamName);
    let record = this.streams.get(streamName);
    if (record?.tombstoned) throw new StreamDeletedError(streamName);
    checkExpectedVersion(streamName, record, expectedVersion);
    if (!record) {
      record = { events: [], truncateBefore: 0, tombstoned: true };
      this.streams.set(streamName, record);
    }
    record.tombstoned = true;
    // Subscribers of the stream must learn that it is gone.
    this.wake(streamName, false);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = this.runningSubscriptions();
    this.resumeDelivery();
    await Promise.all(running.map((subscription) => subscription.close()));
  }

  // ---- fault injection and test helpers -------------------------------------------------------------------------

  /**
   * Makes the next `appendToStream` call reject with `error` (default: a {@link StoreUnavailableError}) without
   * writing anything. Calls queue up: two calls fail the next two appends. Argument validation still comes first.
   */
  failNextAppend(error: Error = new StoreUnavailableError('Injected fault: append failed')): void {
    this.appendFaults.push(error);
  }

  /**
   * Drops every running subscription: each one's `onDropped` receives a {@link SubscriptionDroppedError} with
   * `reason` (default `'injected_fault'`) once its current handler (if any) has settled. Resolves when all were
   * notified.
   */
  async dropSubscriptions(reason: SubscriptionDropReason = 'injected_fault'): Promise<void> {
    await Promise.all(
      this.runningSubscriptions().map((subscription) =>
        subscription.drop(
          new SubscriptionDroppedError(subscription.description, reason, {
            cause: new StoreUnavailableError(`Injected fault: subscription dropped (${reason})`),
          }),
        ),
      ),
    );
  }

  /**
   * Holds every delivery (catch-up and live) until {@link resumeDelivery}; appends and reads go on. Lets a test
   * append several events and observe how a subscriber copes with them arriving together.
   */
  pauseDelivery(): void {
    this.paused ??= [];
  }

  /** Releases deliveries held by {@link pauseDelivery}. */
  resumeDelivery(): void {
    const held = this.paused;
    this.paused = undefined;
    if (held) for (const task of held) this.schedule(task);
  }

  /** Number of subscriptions currently running (not closed or dropped). */
  get subscriptionCount(): number {
    let count = this.allSubscriptions.size;
    for (const set of this.streamSubscriptions.values()) count += set.size;
    return count;
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private schedule(task: () => void): void {
    if (this.paused) this.paused.push(task);
    else if (this.deliveryDelayMs > 0) setTimeout(task, this.deliveryDelayMs);
    else setImmediate(task);
  }

  private wake(streamName: string, includeAll = true): void {
    const subscriptions = this.streamSubscriptions.get(streamName);
    if (subscriptions) for (const subscription of subscriptions) subscription.wake();
    if (includeAll) for (const subscription of this.allSubscriptions) subscription.wake();
  }

  private runningSubscriptions(): InMemorySubscription[] {
    const running: InMemorySubscription[] = [...this.allSubscriptions];
    for (const set of this.streamSubscriptions.values())
      for (const subscription of set) running.push(subscription);
    return running;
  }

  private endPosition(): bigint {
    return BigInt(this.all.length) * POSITION_STRIDE;
  }

  /** Index of the first event whose position is greater than `position`. */
  private indexAfter(position: bigint): number {
    const index = position / POSITION_STRIDE;
    return index >= BigInt(this.all.length) ? this.all.length : Number(index);
  }

  /** Index of the last event whose position is less than `position` (-1 when none). */
  private indexBefore(position: bigint): number {
    if (position <= POSITION_STRIDE) return -1;
    const index = (position - 1n) / POSITION_STRIDE - 1n;
    return index >= BigInt(this.all.length) ? this.all.length - 1 : Number(index);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('InMemoryStreamStore is closed');
  }
}

/** Throws unless `expected` matches the stream's state (the stream is not tombstoned). */
function checkExpectedVersion(
  streamName: string,
  record: StreamRecord | undefined,
  expected: ExpectedVersion,
): void {
  if (expected === ExpectedVersion.Any) return;
  const exists = record !== undefined && record.events.length > record.truncateBefore;
  const last = record ? record.events.length - 1 : -1;
  if (expected === ExpectedVersion.NoStream) {
    if (!exists) return;
  } else if (expected === ExpectedVersion.StreamExists) {
    if (exists) return;
  } else if (expected === last) {
    // Also true right after a soft delete: EventStoreDB accepts the last revision before the delete.
    return;
  }
  throw new WrongExpectedVersionError(streamName, expected, exists ? last : 'no_stream');
}

/**
 * EventStoreDB's system projection streams (`$ce-<category>`, `$et-<type>`) are not modelled in memory. Reading one
 * would return "not found" forever, a silent trap; refuse it and point at the `$all` filter that replaces it.
 */
function assertNotProjectionStream(streamName: string): void {
  if (streamName.startsWith('$ce-') || streamName.startsWith('$et-')) {
    throw new InvalidArgumentError(
      `InMemoryStreamStore does not model the system projection stream ${JSON.stringify(streamName)}: use readAll/` +
        `subscribeToAll with categoryFilter(...) or eventTypeFilter(...) instead`,
    );
  }
}
