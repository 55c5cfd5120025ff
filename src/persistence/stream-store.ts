import type { SubscriptionDroppedError } from './stream-store.errors';
import type { ExpectedVersion } from './expected-version';

/**
 * An event ready to be written: already serialised (the store never sees classes). `data` and `metadata` are
 * JSON texts.
 */
export interface EventData {
  /** Unique id of the event (a UUID); the message's `msgId`. */
  readonly eventId: string;
  /** Registered event type name. */
  readonly type: string;
  /** JSON payload. */
  readonly data: string;
  /** JSON metadata (see the serializer for its keys). */
  readonly metadata: string;
}

/** An event as stored. */
export interface RecordedEvent {
  /** The stream the event belongs to. */
  readonly streamName: string;
  /** 0-based position of the event in its stream. */
  readonly revision: number;
  /** Global position in the store's `$all` log; strictly increasing in append order. */
  readonly position: bigint;
  /** Unique id of the event (a UUID), as given at append time. */
  readonly eventId: string;
  /** Registered event type name. */
  readonly type: string;
  /** JSON payload, as appended. */
  readonly data: string;
  /** JSON metadata, as appended. */
  readonly metadata: string;
  /** When the store recorded it. */
  readonly created: Date;
}

/** Outcome of a successful append. */
export interface AppendResult {
  /**
   * Revision of the stream's last event after the append: pass it as the next expected version. -1 only after an
   * empty append to a stream that does not exist (then expect `ExpectedVersion.NoStream`).
   */
  readonly nextExpectedVersion: number;
  /** Global position of the last appended event (or the current end of `$all` for an empty append). */
  readonly position: bigint;
}

/** Options for reading one stream. */
export interface ReadStreamOptions {
  /** `forwards` (default) or `backwards`. */
  readonly direction?: 'forwards' | 'backwards';
  /**
   * First revision to return (inclusive). Default: `'start'` forwards, `'end'` backwards. Forwards, a revision past
   * the end returns an empty slice (not an error). Backwards, start from `'end'` (a revision past the end is not
   * pinned down by the contract).
   */
  readonly fromRevision?: number | 'start' | 'end';
  /** At most this many events (positive safe integer; default 500). */
  readonly maxCount?: number;
}

/** A page of one stream's events. */
export interface StreamSlice {
  /** Discriminant: the stream exists and this is a page of it. */
  readonly status: 'ok';
  /** The stream that was read. */
  readonly streamName: string;
  /** The page's events in read direction (empty when the start is past the end). */
  readonly events: readonly RecordedEvent[];
  /** Revision of the stream's last event (-1 never occurs: a stream that exists has an event). */
  readonly lastRevision: number;
  /** True when no event follows this page in the read direction. */
  readonly isEndOfStream: boolean;
}

/** Result of reading one stream: a page, or why there is none. */
export type ReadStreamResult =
  | StreamSlice
  /** Never written, or soft-deleted (and not written since). */
  | {
      /** Discriminant: the stream does not exist (or was soft-deleted). */
      readonly status: 'not_found';
      /** The stream that was read. */
      readonly streamName: string;
    }
  /** Tombstoned: can never be read or written again. */
  | {
      /** Discriminant: the stream was tombstoned. */
      readonly status: 'deleted';
      /** The stream that was read. */
      readonly streamName: string;
    };

/**
 * Which events of `$all` to see. Events whose type starts with `$` (server system events) are never returned.
 * Prefix lists match if ANY prefix matches.
 */
export type AllFilter =
  | {
      /** Match on the name of the event's stream. */
      readonly on: 'streamName';
      /** Stream name prefixes; an event matches when its stream name starts with any of them. */
      readonly prefixes: readonly string[];
    }
  | {
      /** Match on the event's registered type name. */
      readonly on: 'eventType';
      /** Type name prefixes; an event matches when its type starts with any of them. */
      readonly prefixes: readonly string[];
    };

/** Options for reading `$all`. */
export interface ReadAllOptions {
  /** `forwards` (default) or `backwards`. */
  readonly direction?: 'forwards' | 'backwards';
  /**
   * Read after this position (exclusive), or from `'start'`/`'end'`. Default `'start'` forwards, `'end'`
   * backwards.
   */
  readonly after?: bigint | 'start' | 'end';
  /** At most this many events (default 500). */
  readonly maxCount?: number;
  /** Only events matching this filter; all (non-system) events when omitted. */
  readonly filter?: AllFilter;
}

/** A page of `$all`. */
export interface AllSlice {
  /** The page's events in read direction, in global position order. */
  readonly events: readonly RecordedEvent[];
  /** True when no matching event follows this page in the read direction (at the time of the read). */
  readonly isEnd: boolean;
}

/** Callbacks of a subscription. Events are delivered one at a time: the next waits for `onEvent` to settle. */
export interface SubscriptionHandlers {
  /** Handles one event; the subscription waits for a returned promise before delivering the next. */
  onEvent(event: RecordedEvent): void | Promise<void>;
  /** Called once, when every event that existed when the subscription started has been handled. */
  onLive?(): void;
  /**
   * Called once if the subscription stops for any reason other than `close()` — including `onEvent` throwing
   * (reason `handler_error`, the handler's error as `cause`). Never silent: without this callback the store
   * reports the drop on the process-wide logger (`setLogger`; by default `process.emitWarning`).
   */
  onDropped?(error: SubscriptionDroppedError): void;
}

/** A running subscription. */
export interface StoreSubscription {
  /** True once `onLive` has been called. */
  readonly isLive: boolean;
  /** Stops delivery; resolves when no handler runs any more. Idempotent. */
  close(): Promise<void>;
}

/** Options for subscribing to one stream. */
export interface SubscribeToStreamOptions {
  /** Deliver events after this revision (exclusive), or from `'start'` (all) or `'end'` (only new). */
  readonly after?: number | 'start' | 'end';
}

/** Options for subscribing to `$all`. */
export interface SubscribeToAllOptions {
  /** Deliver events after this position (exclusive), or from `'start'` or `'end'`. */
  readonly after?: bigint | 'start' | 'end';
  /** Only events matching this filter; all (non-system) events when omitted. */
  readonly filter?: AllFilter;
}

/**
 * The storage port: EventStoreDB semantics, implemented by every store (in-memory, EventStoreDB, ...).
 * Revisions are `number` (0-based), global positions `bigint`. Every store passes the contract suite in
 * `test/contract/`.
 */
export interface StreamStore {
  /**
   * Appends `events` atomically (all or none). Throws `WrongExpectedVersionError` on a version mismatch and
   * `StreamDeletedError` for a tombstoned stream.
   */
  appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult>;
  /** Reads one page of a stream. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<ReadStreamResult>;
  /** Reads one page of `$all`. */
  readAll(options?: ReadAllOptions): Promise<AllSlice>;
  /** Catch-up then live subscription to one stream (the stream need not exist yet). */
  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription;
  /** Catch-up then live subscription to `$all`, optionally filtered. */
  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription;
  /**
   * Soft-deletes a stream: it reads as not found; a later append (with `Any`, `NoStream` or the last revision
   * before the delete) recreates it and continues the revision numbering. Throws `WrongExpectedVersionError` on
   * mismatch; a stream that does not exist cannot be deleted (`WrongExpectedVersionError`, actual `no_stream`, as on
   * EventStoreDB); `StreamDeletedError` for a tombstoned stream.
   */
  deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void>;
  /** Hard-deletes a stream: it can never be read or written again (`StreamDeletedError`). */
  tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void>;
  /** Releases connections and stops every subscription. */
  close(): Promise<void>;
}
