import type { RecordedEvent } from '../../persistence/stream-store';
import type { Checkpoint } from '../subscriptions/checkpoint';
import type { ReadModelHandlerError } from './read-model.errors';

/** What a handler knows about the event it handles, besides the event itself. */
export interface EventContext {
  /** The stored event (stream, revision, position, raw metadata...). */
  readonly recorded: RecordedEvent;
  /** Key of the source that delivered it (see `sourceKeyOf`). */
  readonly source: string;
  /**
   * The source's checkpoint once this event is handled. A durable model writes it in the same transaction as the
   * state change (see `DurableReadModel`, which does it for you).
   */
  readonly checkpoint: Checkpoint;
}

/** What to do when an event cannot be handled (handler error, undeserialisable payload, unknown type). */
export type HandlerErrorPolicy = 'fail' | 'park';

/**
 * Lifecycle of a read model: `idle` (nothing started), `catching-up`, `live` (every started source has handled its
 * history), `stopped`, `rebuilding`, `failed` (see `failure`).
 */
export type ReadModelStatus = 'idle' | 'catching-up' | 'live' | 'stopped' | 'rebuilding' | 'failed';

/** An event set aside by the `park` policy. */
export interface ParkedEvent {
  /** Key of the source that delivered the event (see `sourceKeyOf`). */
  readonly source: string;
  /** The stored event that could not be handled. */
  readonly event: RecordedEvent;
  /** Why it could not be handled (its `cause` is the original error). */
  readonly error: ReadModelHandlerError;
}

/** Progress of a rebuild. `total` is the number of events the sources held when the rebuild started. */
export interface RebuildProgress {
  /** Events handled so far in this rebuild. */
  readonly handled: number;
  /** Events the sources held when the rebuild started; undefined when counting was turned off. */
  readonly total: number | undefined;
}

/** Options of a rebuild (`ReadModelBase.rebuild`, `DurableReadModel.rebuild`). */
export interface RebuildOptions {
  /** Called every `progressEvery` events and once at the end. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Default 1000. */
  readonly progressEvery?: number;
  /** Count the events first so progress has a `total` (costs one extra read pass). Default true. */
  readonly countTotal?: boolean;
}

/** Deadline and cancellation of a `waitFor`. */
export interface WaitForOptions {
  /**
   * Reject with {@link ReadModelWaitTimeoutError} after this many milliseconds (default 30,000; `Infinity`: no
   * deadline).
   */
  readonly timeoutMs?: number;
  /** Reject with {@link ReadModelWaitAbortedError} when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** Default deadline of `waitFor`. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
