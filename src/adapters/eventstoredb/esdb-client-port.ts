/**
 * The narrow client port the EventStoreDB store is written against. Each client package
 * (`@eventstore/db-client`, `@kurrent/kurrentdb-client`) gets one small adapter implementing it; the store never
 * touches a client package directly. Keeping the surface this small is what makes the two packages' differences
 * (option names, Readable vs async iterator, error field names) visible to the type checker in one place each.
 *
 * Values are kept in the server's own terms (revisions and positions as `bigint`, commit positions only); the store
 * converts them to the library's numbers at its boundary.
 *
 * Errors: adapters let the client package's own errors through unchanged. The store maps them by their `type`
 * string (identical in both packages), never with `instanceof`.
 */

/** Expected stream state of an append, delete or tombstone, in the server's terms. */
export type EsdbExpectedState = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Where a stream read or subscription starts: a revision, or the start/end of the stream. */
export type EsdbRevisionPoint = bigint | 'start' | 'end';

/** Where a `$all` read or subscription starts: a commit position, or the start/end of the log. */
export type EsdbPositionPoint = bigint | 'start' | 'end';

/** An event to append. `data` and `metadata` are JSON texts; an empty `metadata` means "none". */
export interface EsdbProposedEvent {
  /** Event id (a UUID). */
  readonly id: string;
  /** Event type name. */
  readonly type: string;
  /** JSON text of the payload. */
  readonly data: string;
  /** JSON text of the metadata, `''` for none. */
  readonly metadata: string;
}

/** An event as the server returned it, normalised by the adapter. */
export interface EsdbRecordedEvent {
  /** The stream the event belongs to. */
  readonly streamName: string;
  /** 0-based revision of the event in its stream. */
  readonly revision: bigint;
  /**
   * Commit position in `$all`. For events written through gRPC appends the server reports commit == prepare, so the
   * commit position alone identifies the event; `undefined` when the server sent none.
   */
  readonly position: bigint | undefined;
  /** Event id (a UUID). */
  readonly id: string;
  /** Event type name (system events start with `$`). */
  readonly type: string;
  /** JSON text of the payload (see the adapter for how it is obtained from the client). */
  readonly data: string;
  /** JSON text of the metadata, `''` when the event has none. */
  readonly metadata: string;
  /** When the server recorded the event. */
  readonly created: Date;
}

/** Result of a successful append. */
export interface EsdbAppendResult {
  /** Revision of the stream's last event after the append (the server's next expected revision). */
  readonly nextRevision: bigint;
  /** Commit position of the append in `$all`; `undefined` when the server sent none. */
  readonly position: bigint | undefined;
}

/**
 * How the store bounds one call: the adapter passes `deadlineMs` to the client where the client honours it (so the
 * server learns it too) and cancels the call when `signal` aborts. The store enforces the deadline itself as well.
 */
export interface EsdbCallOptions {
  /** Aborts when the store's deadline passed or the store is closing: cancel the call. */
  readonly signal?: AbortSignal;
  /** The store's deadline for the operation, in milliseconds. */
  readonly deadlineMs?: number;
}

/** Options of a stream read. */
export interface EsdbReadStreamOptions extends EsdbCallOptions {
  /** Read direction. */
  readonly direction: 'forwards' | 'backwards';
  /** Inclusive in both directions (EventStoreDB semantics). */
  readonly from: EsdbRevisionPoint;
  /** At most this many events. */
  readonly maxCount: number;
}

/** Options of a `$all` read. */
export interface EsdbReadAllOptions extends EsdbCallOptions {
  /** Read direction. */
  readonly direction: 'forwards' | 'backwards';
  /**
   * EventStoreDB semantics, which the store must compensate for: forwards the event AT this position is included;
   * backwards only events strictly before it are returned.
   */
  readonly from: EsdbPositionPoint;
  /** At most this many events (system events count: the read is not filtered). */
  readonly maxCount: number;
}

/**
 * A server-side `$all` filter. `prefixes` match if any prefix matches; `regex` is used only to exclude system
 * event types when the caller asked for no filter.
 */
export type EsdbServerFilter =
  | {
      /** Filter on stream names. */
      readonly on: 'streamName';
      /** Stream name prefixes. */
      readonly prefixes: readonly string[];
    }
  | {
      /** Filter on event types. */
      readonly on: 'eventType';
      /** Event type prefixes. */
      readonly prefixes: readonly string[];
    }
  | {
      /** Filter on event types. */
      readonly on: 'eventType';
      /** Regular expression (server syntax) that event types must match. */
      readonly regex: string;
    };

/**
 * A live server subscription, consumed with `for await`. Iteration ends without an error only after
 * {@link EsdbClientSubscription.unsubscribe} or when the server ends the call; it throws the client's error on a
 * failure.
 */
export interface EsdbClientSubscription extends AsyncIterable<EsdbRecordedEvent> {
  /**
   * Resolves when the server confirmed the subscription (its first message). The store drops a subscription that is
   * not confirmed within its deadline: a server that accepts the call and never answers must not look like a quiet
   * stream.
   */
  readonly confirmed: Promise<void>;
  /** Ends the subscription; iteration then finishes without an error. */
  unsubscribe(): Promise<void>;
}

/** The operations the store needs from an EventStoreDB/KurrentDB client. */
export interface EsdbClientPort {
  /** Which client package this adapter wraps (for messages). */
  readonly clientName: string;
  /** Appends `events` atomically; rejects with the client's error (e.g. `wrong-expected-version`). */
  append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
    options?: EsdbCallOptions,
  ): Promise<EsdbAppendResult>;
  /** Throws the client's `stream-not-found` / `stream-deleted` errors, like the client does. */
  readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<EsdbRecordedEvent>;
  /** Reads one page of `$all`, unfiltered (system events included). */
  readAll(options: EsdbReadAllOptions): AsyncIterable<EsdbRecordedEvent>;
  /** Catch-up subscription; the server delivers events AFTER `from` (exclusive) when it is a revision. */
  subscribeToStream(streamName: string, from: EsdbRevisionPoint): EsdbClientSubscription;
  /** Catch-up subscription; the server delivers events AFTER `from` (exclusive) when it is a position. */
  subscribeToAll(from: EsdbPositionPoint, filter: EsdbServerFilter | undefined): EsdbClientSubscription;
  /**
   * Neither client package can send `stream_exists` for delete/tombstone (their switch statements lack the case),
   * so the store emulates it.
   */
  deleteStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options?: EsdbCallOptions,
  ): Promise<void>;
  /** Hard-deletes a stream: it can never be read or written again. */
  tombstoneStream(
    streamName: string,
    expected: Exclude<EsdbExpectedState, 'stream_exists'>,
    options?: EsdbCallOptions,
  ): Promise<void>;
  /** Cancels every open call and closes the connection. Idempotent. */
  dispose(): Promise<void>;
}
