import { ReactiveDomainError } from '../core/reactive-domain.error';
import type { ExpectedVersion } from './expected-version';

/**
 * The stream's actual version did not match the expected one; nothing was written.
 * `actual` is the revision of the stream's last event, or `'no_stream'` when it does not exist.
 */
export class WrongExpectedVersionError extends ReactiveDomainError {
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    /** The stream the append or delete was for. */
    readonly streamName: string,
    /** The expected version the caller passed. */
    readonly expected: ExpectedVersion,
    /** 0-based revision of the stream's last event, or `'no_stream'` when the stream does not exist. */
    readonly actual: number | 'no_stream',
    options?: { cause?: unknown },
  ) {
    super(
      `Wrong expected version on stream ${JSON.stringify(streamName)}: expected ${String(expected)}, actual ${String(actual)}`,
      options,
    );
  }
}

/** The stream was tombstoned (hard-deleted): it can never be read or written again. */
export class StreamDeletedError extends ReactiveDomainError {
  readonly code = 'STREAM_DELETED';
  constructor(
    /** The tombstoned stream. */
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Stream ${JSON.stringify(streamName)} is deleted (tombstoned) and cannot be read or written`,
      options,
    );
  }
}

/**
 * An operation needed an existing stream and there is none (e.g. `readStreamEvents` with `ifMissing: 'throw'`).
 * Stores report a version check on a missing stream (append or delete with `StreamExists` or a revision) as
 * {@link WrongExpectedVersionError} with actual `no_stream`, as EventStoreDB does, not with this error.
 */
export class StreamNotFoundError extends ReactiveDomainError {
  readonly code = 'STREAM_NOT_FOUND';
  constructor(
    /** The stream that does not exist. */
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream ${JSON.stringify(streamName)} was not found`, options);
  }
}

/** The store could not be reached or failed in a way the caller may retry. */
export class StoreUnavailableError extends ReactiveDomainError {
  readonly code = 'STORE_UNAVAILABLE';
}

/** Why a subscription stopped without being closed by its owner. */
export type SubscriptionDropReason = 'server_error' | 'handler_error' | 'connection_lost' | 'injected_fault';

/** A subscription stopped without its owner closing it; `reason` says why and `cause` holds the underlying error. */
export class SubscriptionDroppedError extends ReactiveDomainError {
  readonly code = 'SUBSCRIPTION_DROPPED';
  constructor(
    /** What was subscribed to, for messages: e.g. `stream "order-1"` or `$all`. */
    readonly subscription: string,
    /** Why it stopped. */
    readonly reason: SubscriptionDropReason,
    options?: { cause?: unknown },
  ) {
    super(`Subscription to ${subscription} dropped (${reason})`, options);
  }
}
