import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { compileAllFilter } from './all-filter';
import { CatchUpSubscription, type CatchUpSource } from './catch-up-subscription';
import { ChangeSignal } from './change-signal';
import { assertExpectedVersion, type ExpectedVersion } from './expected-version';
import {
  DEFAULT_MAX_COUNT,
  assertDirection,
  assertEventList,
  assertHandlers,
  assertMaxCount,
  assertPosition,
  assertReadableStream,
  assertRevisionPoint,
  assertStreamName,
  assertWritableStream,
} from './stream-store-arguments';
import type {
  AllFilter,
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from './stream-store';
import { StoreUnavailableError, StreamDeletedError, SubscriptionDroppedError } from './stream-store.errors';

/** Options of {@link StreamStoreBase}. */
export interface StreamStoreBaseOptions {
  /** Name used in error messages, e.g. `'SqliteStreamStore'`. */
  readonly name: string;
  /**
   * Subscriptions re-read at least this often (milliseconds) without a wake-up, to see appends made by another
   * process. Undefined: only on wake-ups ({@link StreamStoreBase.changes}).
   */
  readonly pollIntervalMs?: number;
  /**
   * True when the store serves EventStoreDB's system projection streams (`$ce-<category>`, `$et-<type>`). Other
   * stores refuse to read them (they would read as "not found" forever) and point at the `$all` filters instead.
   */
  readonly servesProjectionStreams?: boolean;
}

/** A validated, normalised `readStream` request. */
export interface StreamPageRequest {
  /** Read direction. */
  readonly direction: 'forwards' | 'backwards';
  /** First revision to return (inclusive), or `'start'`/`'end'`. */
  readonly fromRevision: number | 'start' | 'end';
  /** At most this many events (a positive safe integer). */
  readonly maxCount: number;
}

/** A validated, normalised `readAll` request. */
export interface AllPageRequest {
  /** Read direction. */
  readonly direction: 'forwards' | 'backwards';
  /** Read after this position (exclusive), or from `'start'`/`'end'`. */
  readonly after: bigint | 'start' | 'end';
  /** At most this many events (a positive safe integer). */
  readonly maxCount: number;
  /** A validated filter, or undefined for every non-system event. */
  readonly filter: AllFilter | undefined;
}

/** What a subscription follows, validated. */
export type SubscriptionTarget =
  | {
      /** One stream. */
      readonly kind: 'stream';
      /** The stream followed. */
      readonly streamName: string;
      /** Deliver events after this revision (exclusive), or from `'start'` or `'end'`. */
      readonly after: number | 'start' | 'end';
    }
  | {
      /** `$all`. */
      readonly kind: 'all';
      /** Deliver events after this position (exclusive), or from `'start'` or `'end'`. */
      readonly after: bigint | 'start' | 'end';
      /** A validated filter, or undefined for every non-system event. */
      readonly filter: AllFilter | undefined;
    };

/** Events per page while a subscription catches up. */
const SUBSCRIPTION_PAGE_SIZE = DEFAULT_MAX_COUNT;

/**
 * The base of every store: a store implements storage only. The public {@link StreamStore} methods validate and
 * normalise their arguments with one shared set of checks and messages (`null` options count as absent), refuse
 * calls after {@link close} with {@link StoreUnavailableError}, then call the protected storage methods.
 *
 * Subscriptions come from the shared {@link CatchUpSubscription} over {@link readStreamPage} and
 * {@link readAllPage}, woken by {@link changes} (the base notifies it after every append and removal it made; a
 * store notifies it for changes it learns of otherwise, e.g. PostgreSQL `LISTEN/NOTIFY`) and, when
 * `pollIntervalMs` is set, by polling. A store whose native subscription is better overrides
 * {@link openSubscription}.
 */
export abstract class StreamStoreBase implements StreamStore {
  /** Wakes the store's subscriptions: notify it after a commit this process did not make through the base. */
  protected readonly changes = new ChangeSignal();
  /** Name used in error messages. */
  protected readonly storeName: string;
  private readonly pollIntervalMs: number | undefined;
  private readonly servesProjectionStreams: boolean;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closing: Promise<void> | undefined;

  protected constructor(options: StreamStoreBaseOptions) {
    const poll = options.pollIntervalMs;
    if (poll !== undefined && !(typeof poll === 'number' && Number.isFinite(poll) && poll > 0)) {
      throw new InvalidArgumentError(
        `${options.name}: pollIntervalMs must be a positive number of milliseconds, got ${describeValue(poll)}`,
      );
    }
    this.storeName = options.name;
    this.pollIntervalMs = poll;
    this.servesProjectionStreams = options.servesProjectionStreams ?? false;
  }

  // ---- storage: what a store implements ------------------------------------------------------------------------

  /** Appends atomically after checking the expected version (arguments are valid). */
  protected abstract appendEvents(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult>;

  /** Reads one page of a stream (arguments are valid). */
  protected abstract readStreamPage(
    streamName: string,
    request: StreamPageRequest,
  ): Promise<ReadStreamResult>;

  /** Reads one page of `$all` (arguments are valid). System events (type starting with `$`) are never returned. */
  protected abstract readAllPage(request: AllPageRequest): Promise<AllSlice>;

  /** Soft-deletes or tombstones a stream after checking the expected version (arguments are valid). */
  protected abstract removeStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void>;

  /** Releases connections and handles. Called once by {@link close}, after every subscription stopped. */
  protected abstract closeStorage(): Promise<void>;

  // ---- the StreamStore port ------------------------------------------------------------------------------------

  async appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    this.checkAppend(streamName, expectedVersion, events);
    const result = await this.appendEvents(streamName, expectedVersion, events);
    if (events.length > 0) this.changes.notify();
    return result;
  }

  readStream(streamName: string, options?: ReadStreamOptions | null): Promise<ReadStreamResult> {
    // Not `async`: returning the page's promise from an async function costs extra promise turns on every read (a
    // repository load is one read); a bad argument still rejects rather than throws.
    try {
      this.assertOpen();
      return this.readStreamPage(streamName, this.streamPageRequest(streamName, options ?? {}));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async readAll(options?: ReadAllOptions | null): Promise<AllSlice> {
    this.assertOpen();
    const { direction, maxCount, after, filter } = options ?? {};
    const dir = assertDirection(direction, '$all');
    const from = after ?? (dir === 'forwards' ? 'start' : 'end');
    assertPosition(from, 'readAll');
    compileAllFilter(filter ?? undefined);
    return this.readAllPage({
      direction: dir,
      after: from,
      maxCount: assertMaxCount(maxCount, '$all'),
      filter: filter ?? undefined,
    });
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions | null | undefined,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    this.assertOpen();
    this.assertReadable(streamName);
    assertHandlers(handlers, streamName);
    const after = options?.after ?? 'start';
    assertRevisionPoint(after, 'subscribeToStream', streamName);
    return this.openSubscription({ kind: 'stream', streamName, after }, handlers);
  }

  subscribeToAll(
    options: SubscribeToAllOptions | null | undefined,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    this.assertOpen();
    assertHandlers(handlers, '$all');
    const filter = options?.filter ?? undefined;
    compileAllFilter(filter);
    const after = options?.after ?? 'start';
    assertPosition(after, 'subscribeToAll');
    return this.openSubscription({ kind: 'all', after, filter }, handlers);
  }

  async deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    await this.remove(streamName, expectedVersion, 'soft');
  }

  async tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    await this.remove(streamName, expectedVersion, 'tombstone');
  }

  /** Stops every subscription (without `onDropped`: the owner is shutting down), then releases storage. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
      await this.closeStorage();
    })();
    return this.closing;
  }

  /** Number of subscriptions opened by the shared catch-up subscription that are still running. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  // ---- subscriptions ---------------------------------------------------------------------------------------------

  /**
   * Opens a catch-up-then-live subscription (arguments are valid). The default is the shared
   * {@link CatchUpSubscription}; override it for a store with a better native subscription.
   */
  protected openSubscription(target: SubscriptionTarget, handlers: SubscriptionHandlers): StoreSubscription {
    const source = target.kind === 'stream' ? this.streamSource(target) : this.allSource(target);
    const subscription = new CatchUpSubscription(source, handlers, {
      changes: this.changes,
      pollIntervalMs: this.pollIntervalMs,
      onStopped: (stopped) => this.subscriptions.delete(stopped),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  private streamSource(target: Extract<SubscriptionTarget, { kind: 'stream' }>): CatchUpSource {
    const { streamName } = target;
    const description = `stream ${JSON.stringify(streamName)}`;
    // The live point is read now, not when delivery starts, so an append made right after subscribing counts as
    // new (and, from 'end', is delivered).
    const livePoint = settled(this.lastRevision(streamName));
    let liveRevision = -1;
    let cursor = target.after === 'start' || target.after === 'end' ? -1 : target.after;
    return {
      description,
      start: async () => {
        liveRevision = await livePoint;
        if (target.after === 'end') cursor = liveRevision;
      },
      compareToLivePoint: (event) => event.revision - liveRevision,
      nextPage: async () => {
        const request = {
          direction: 'forwards',
          fromRevision: cursor + 1,
          maxCount: SUBSCRIPTION_PAGE_SIZE,
        } as const;
        const slice = await this.readStreamPage(streamName, request);
        if (slice.status === 'deleted') {
          throw new SubscriptionDroppedError(description, 'server_error', {
            cause: new StreamDeletedError(streamName),
          });
        }
        if (slice.status === 'not_found') return { events: [], isEnd: true };
        const last = slice.events[slice.events.length - 1];
        if (last) cursor = last.revision;
        return { events: slice.events, isEnd: slice.isEndOfStream };
      },
    };
  }

  private allSource(target: Extract<SubscriptionTarget, { kind: 'all' }>): CatchUpSource {
    const { filter } = target;
    const livePoint = settled(this.lastPosition());
    let livePosition = -1n;
    let cursor: bigint | 'start' = target.after === 'end' ? 'start' : target.after;
    return {
      description: '$all',
      start: async () => {
        const end = await livePoint;
        livePosition = end === 'start' ? -1n : end;
        if (target.after === 'end') cursor = end;
      },
      compareToLivePoint: (event) =>
        event.position < livePosition ? -1 : event.position > livePosition ? 1 : 0,
      nextPage: async () => {
        const page = await this.readAllPage({
          direction: 'forwards',
          after: cursor,
          maxCount: SUBSCRIPTION_PAGE_SIZE,
          filter,
        });
        const last = page.events[page.events.length - 1];
        if (last) cursor = last.position;
        return page;
      },
    };
  }

  /** Revision of the stream's last event; -1 when it does not exist (then everything appended later is new). */
  private async lastRevision(streamName: string): Promise<number> {
    const tail = await this.readStreamPage(streamName, {
      direction: 'backwards',
      fromRevision: 'end',
      maxCount: 1,
    });
    return tail.status === 'ok' ? tail.lastRevision : -1;
  }

  /** Position of the last event in `$all`, or `'start'` when there is none. */
  private async lastPosition(): Promise<bigint | 'start'> {
    const tail = await this.readAllPage({
      direction: 'backwards',
      after: 'end',
      maxCount: 1,
      filter: undefined,
    });
    return tail.events[0]?.position ?? 'start';
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private streamPageRequest(streamName: string, options: ReadStreamOptions): StreamPageRequest {
    this.assertReadable(streamName);
    const direction = assertDirection(options.direction, streamName);
    const maxCount = assertMaxCount(options.maxCount, streamName);
    const fromRevision = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    assertRevisionPoint(fromRevision, 'readStream', streamName);
    return { direction, fromRevision, maxCount };
  }

  private async remove(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void> {
    this.assertOpen();
    assertWritableStream(streamName);
    assertExpectedVersion(expectedVersion, streamName);
    await this.removeStream(streamName, expectedVersion, mode);
    // Subscribers of a tombstoned stream must learn that it is gone.
    this.changes.notify();
  }

  private assertReadable(streamName: string): void {
    assertStreamName(streamName);
    if (!this.servesProjectionStreams) assertReadableStream(streamName, this.storeName);
  }

  /**
   * The checks of every append, {@link appendToStream} and an adapter's own append inside the caller's transaction
   * alike: the store is open, the stream writable, the expected version and the events well-formed.
   */
  protected checkAppend(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): void {
    this.assertOpen();
    assertWritableStream(streamName);
    assertExpectedVersion(expectedVersion, streamName);
    assertEventList(events, streamName);
  }

  /** Throws when the store was closed. */
  protected assertOpen(): void {
    if (this.closing) throw new StoreUnavailableError(`${this.storeName} is closed`);
  }
}

/** A promise whose rejection is handled later (by whoever awaits it) without an unhandled-rejection warning. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
