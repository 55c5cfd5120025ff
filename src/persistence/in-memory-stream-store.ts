import { compileAllFilter } from './all-filter';
import type { ExpectedVersion } from './expected-version';
import { StreamStoreBase, type AllPageRequest, type StreamPageRequest } from './stream-store-base';
import { checkExpectedVersion } from './stream-store-arguments';
import type { AllSlice, AppendResult, EventData, ReadStreamResult, RecordedEvent } from './stream-store';
import { StreamDeletedError, WrongExpectedVersionError } from './stream-store.errors';

/**
 * Distance between the global positions of two consecutive events. Positions are deliberately not 1, 2, 3...:
 * EventStoreDB's are byte offsets with gaps, and code that does arithmetic on positions (instead of treating them
 * as opaque, ordered, exclusive checkpoints) should fail in tests, not in production.
 */
const POSITION_STRIDE = 64n;

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
 * - Live delivery is asynchronous: handlers never run on the stack of `appendToStream`.
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
 * - The system projection streams `$ce-<category>` and `$et-<type>` are not modelled: reading, subscribing to or
 *   appending to one throws `InvalidArgumentError`. Follow a category or event type with a filtered `$all`
 *   subscription (`categoryFilter`, `eventTypeFilter`), which works the same on EventStoreDB without server
 *   projections.
 *
 * Arguments are checked and subscriptions run by {@link StreamStoreBase}, as for every store. Fault injection for
 * tests: wrap the store in `FaultyStreamStore` from `reactive-domain/testing`.
 */
export class InMemoryStreamStore extends StreamStoreBase {
  /** `$all`: index i holds the event at position (i + 1) * POSITION_STRIDE. */
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StreamRecord>();

  constructor() {
    super({ name: 'InMemoryStreamStore' });
  }

  protected async appendEvents(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    let record = this.streams.get(streamName);
    if (record?.tombstoned) throw new StreamDeletedError(streamName);
    checkStreamVersion(streamName, record, expectedVersion);
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
    return { nextExpectedVersion: stored!.revision, position: stored!.position };
  }

  protected async readStreamPage(streamName: string, request: StreamPageRequest): Promise<ReadStreamResult> {
    const { direction, fromRevision: from, maxCount } = request;
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

  protected async readAllPage(request: AllPageRequest): Promise<AllSlice> {
    const { direction, after, maxCount } = request;
    const accept = compileAllFilter(request.filter);
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

  protected async removeStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void> {
    let record = this.streams.get(streamName);
    if (record?.tombstoned) throw new StreamDeletedError(streamName);
    if (mode === 'soft') {
      // EventStoreDB refuses to soft-delete a stream that was never written, whatever the expected version.
      if (!record) throw new WrongExpectedVersionError(streamName, expectedVersion, 'no_stream');
      checkStreamVersion(streamName, record, expectedVersion);
      record.truncateBefore = record.events.length;
      return;
    }
    checkStreamVersion(streamName, record, expectedVersion);
    if (!record) {
      record = { events: [], truncateBefore: 0, tombstoned: true };
      this.streams.set(streamName, record);
    }
    record.tombstoned = true;
  }

  protected async closeStorage(): Promise<void> {
    // Nothing to release: the events stay in memory until the store is garbage-collected.
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
}

/** Throws unless `expected` matches the stream's state (the stream is not tombstoned). */
function checkStreamVersion(
  streamName: string,
  record: StreamRecord | undefined,
  expected: ExpectedVersion,
): void {
  const last = record ? record.events.length - 1 : -1;
  checkExpectedVersion(streamName, expected, last, record !== undefined && last >= record.truncateBefore);
}
