import { ReactiveDomainError, keepOutOfLogs } from '../../core/reactive-domain.error';
import type { RecordedEvent } from '../../persistence/stream-store';

/** Where an event came from, for error messages: `"Deposited" at "account-1"@3 (position 4096)`. */
export function describeEventAt(
  event: Pick<RecordedEvent, 'type' | 'streamName' | 'revision' | 'position'>,
): string {
  return `${JSON.stringify(event.type)} at ${JSON.stringify(event.streamName)}@${event.revision} (position ${event.position})`;
}

/**
 * A listener gave up: its subscription dropped and could not be re-established within the configured attempts.
 * `cause` is the last drop.
 */
export class ListenerFailedError extends ReactiveDomainError {
  readonly code = 'LISTENER_FAILED';
  constructor(
    /** The listener's source, described for messages (e.g. `stream "account-1"`, `$all`). */
    readonly source: string,
    /** Reconnect attempts made before giving up. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Listener on ${source} failed: subscription dropped and ${attempts} reconnect attempt(s) did not hold`,
      options,
    );
  }
}

/** A listener's event handler threw; the listener stopped on that event (it is not retried). */
export class ListenerHandlerError extends ReactiveDomainError {
  readonly code = 'LISTENER_HANDLER_FAILED';
  constructor(
    /** The listener's source, described for messages (e.g. `stream "account-1"`, `$all`). */
    readonly source: string,
    /** The stored event the handler failed on. */
    readonly event: RecordedEvent,
    options?: { cause?: unknown },
  ) {
    super(
      `Listener on ${source}: handler failed on ${describeEventAt(event)}: ${causeText(options?.cause)}`,
      options,
    );
    keepOutOfLogs(this, 'event'); // its fields may be personal data
  }
}

/** The listener (or read model) was stopped before it went live, so `whenLive()` can never resolve. */
export class ListenerStoppedError extends ReactiveDomainError {
  readonly code = 'LISTENER_STOPPED';
  constructor(
    /** The listener's source, described for messages (e.g. `stream "account-1"`, `$all`). */
    readonly source: string,
  ) {
    super(`Listener on ${source} was stopped before it went live`);
  }
}

/** `start()` was called on a listener that was already started (a listener runs once; create another). */
export class ListenerAlreadyStartedError extends ReactiveDomainError {
  readonly code = 'LISTENER_ALREADY_STARTED';
  constructor(
    /** The listener's source, described for messages (e.g. `stream "account-1"`, `$all`). */
    readonly source: string,
  ) {
    super(
      `Listener on ${source} was already started; a StreamListener runs once — create a new one to restart`,
    );
  }
}

/** Renders an unknown cause for a message. */
export function causeText(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
