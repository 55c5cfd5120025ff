import { ReactiveDomainError } from '../../core/reactive-domain.error';
import type { RecordedEvent } from '../../persistence/stream-store';

/** Where an event came from, for error messages. */
function at(event: Pick<RecordedEvent, 'type' | 'streamName' | 'revision' | 'position'>): string {
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
    super(`Listener on ${source}: handler failed on ${at(event)}: ${causeText(options?.cause)}`, options);
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

/**
 * A read model could not handle an event (its handler threw, the payload could not be deserialised, or the type
 * is unknown). With the `fail` policy the model stops in the `failed` state with this as `failure`; with the
 * `park` policy the event is parked and this error is reported on `errors$`.
 */
export class ReadModelHandlerError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_HANDLER_FAILED';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** Key of the source that delivered the event (see `sourceKeyOf`, e.g. `category:account`). */
    readonly source: string,
    /** The stored event that could not be handled. */
    readonly event: RecordedEvent,
    options?: { cause?: unknown },
  ) {
    super(
      `Read model ${JSON.stringify(model)} (${source}) failed on ${at(event)}: ${causeText(options?.cause)}`,
      options,
    );
  }
  /** Stream of the failed event. */
  get streamName(): string {
    return this.event.streamName;
  }
  /** Revision of the failed event in its stream. */
  get revision(): number {
    return this.event.revision;
  }
}

/** An event was parked (see `ReadModelOptions.onHandlerError`); `cause` is the handling error. */
export class EventParkedError extends ReactiveDomainError {
  readonly code = 'EVENT_PARKED';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** The stored event that was parked. */
    readonly event: RecordedEvent,
    options?: { cause?: unknown },
  ) {
    super(`Read model ${JSON.stringify(model)} parked ${at(event)}: ${causeText(options?.cause)}`, options);
  }
}

/** The read model is in the failed state; it handles nothing until it is rebuilt or recreated. */
export class ReadModelFailedError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_FAILED';
  constructor(
    /** The read model's name. */
    readonly model: string,
    options?: { cause?: unknown },
  ) {
    super(`Read model ${JSON.stringify(model)} is failed: ${causeText(options?.cause)}`, options);
  }
}

/** A checkpoint could not be loaded or saved. */
export class CheckpointStoreError extends ReactiveDomainError {
  readonly code = 'CHECKPOINT_STORE_FAILED';
  constructor(
    /** The read model's name (the key its checkpoints are stored under). */
    readonly model: string,
    /** The checkpoint store call that failed. */
    readonly operation: 'load' | 'save' | 'delete',
    options?: { cause?: unknown },
  ) {
    super(
      `Checkpoint ${operation} failed for read model ${JSON.stringify(model)}: ${causeText(options?.cause)}`,
      options,
    );
  }
}

/** `rebuild()` needs the subclass to implement `reset()`. */
export class RebuildNotSupportedError extends ReactiveDomainError {
  readonly code = 'REBUILD_NOT_SUPPORTED';
  constructor(
    /** The read model's name. */
    readonly model: string,
  ) {
    super(`Read model ${JSON.stringify(model)} cannot be rebuilt: override reset() to drop its state`);
  }
}

/** A handler was registered twice for one event type, or by both convention and `on()`. */
export class ReadModelRouteError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_ROUTE_CONFLICT';
}

/** Renders an unknown cause for a message. */
export function causeText(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
