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
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

/** An event as the server returned it, normalised by the adapter. */
export interface EsdbRecordedEvent {
  readonly streamName: string;
  readonly revision: bigint;
  /**
   * Commit position in `$all`. For events written through gRPC appends the server reports commit == prepare, so the
   * commit position alone identifies the event; `undefined` when the server sent none.
   */
  readonly position: bigint | undefined;
  readonly id: string;
  readonly type: string;
  /** JSON text of the payload (see the adapter for how it is obtained from the client). */
  readonly data: string;
  /** JSON text of the metadata, `''` when the event has none. */
  readonly metadata: string;
  readonly created: Date;
}

/** Result of a successful append. */
export interface EsdbAppendResult {
  readonly nextRevision: bigint;
  readonly position: bigint | undefined;
}

/** Options of a stream read. */
export interface EsdbReadStreamOptions {
  readonly direction: 'forwards' | 'backwards';
  /** Inclusive in both directions (EventStoreDB semantics). */
  readonly from: EsdbRevisionPoint;
  readonly maxCount: number;
}

/** Options of a `$all` read. */
export interface EsdbReadAllOptions {
  readonly direction: 'forwards' | 'backwards';
  /**
   * EventStoreDB semantics, which the store must compensate for: forwards the event AT this position is included;
   * backwards only events strictly before it are returned.
   */
  readonly from: EsdbPositionPoint;
  readonly maxCount: number;
}

/**
 * A server-side `$all` filter. `prefixes` match if any prefix matches; `regex` is used only to exclude system
 * event types when the caller asked for no filter.
 */
export type EsdbServerFilter =
  | { readonly on: 'streamName'; readonly prefixes: readonly string[] }
  | { readonly on: 'eventType'; readonly prefixes: readonly string[] }
  | { readonly on: 'eventType'; readonly regex: string };

/**
 * A live server subscription, consumed with `for await`. Iteration ends without an error only after
 * {@link EsdbClientSubscription.unsubscribe} or when the server ends the call; it throws the client's error on a
 * failure.
 */
export interface EsdbClientSubscription extends AsyncIterable<EsdbRecordedEvent> {
  unsubscribe(): Promise<void>;
}

/** The operations the store needs from an EventStoreDB/KurrentDB client. */
export interface EsdbClientPort {
  /** Which client package this adapter wraps (for messages). */
  readonly clientName: string;
  append(
    streamName: string,
    expected: EsdbExpectedState,
    events: readonly EsdbProposedEvent[],
  ): Promise<EsdbAppendResult>;
  /** Throws the client's `stream-not-found` / `stream-deleted` errors, like the client does. */
  readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<EsdbRecordedEvent>;
  readAll(options: EsdbReadAllOptions): AsyncIterable<EsdbRecordedEvent>;
  /** Catch-up subscription; the server delivers events AFTER `from` (exclusive) when it is a revision. */
  subscribeToStream(streamName: string, from: EsdbRevisionPoint): EsdbClientSubscription;
  /** Catch-up subscription; the server delivers events AFTER `from` (exclusive) when it is a position. */
  subscribeToAll(from: EsdbPositionPoint, filter: EsdbServerFilter | undefined): EsdbClientSubscription;
  /**
   * Neither client package can send `stream_exists` for delete/tombstone (their switch statements lack the case),
   * so the store emulates it.
   */
  deleteStream(streamName: string, expected: Exclude<EsdbExpectedState, 'stream_exists'>): Promise<void>;
  tombstoneStream(streamName: string, expected: Exclude<EsdbExpectedState, 'stream_exists'>): Promise<void>;
  /** Cancels every open call and closes the connection. Idempotent. */
  dispose(): Promise<void>;
}
