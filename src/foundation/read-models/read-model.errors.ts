import { ReactiveDomainError, keepOutOfLogs } from '../../core/reactive-domain.error';
import type { RecordedEvent } from '../../persistence/stream-store';
import { describeCheckpoint, type Checkpoint } from '../subscriptions/checkpoint';
import { causeText, describeEventAt } from '../subscriptions/listener.errors';

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
      `Read model ${JSON.stringify(model)} (${source}) failed on ${describeEventAt(event)}: ${causeText(options?.cause)}`,
      options,
    );
    keepOutOfLogs(this, 'event'); // its fields may be personal data
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
    super(
      `Read model ${JSON.stringify(model)} parked ${describeEventAt(event)}: ${causeText(options?.cause)}`,
      options,
    );
    keepOutOfLogs(this, 'event'); // its fields may be personal data
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

/**
 * A stored checkpoint lies past the end of the store: the model would go live and silently skip every event up to
 * it (typically the store was wiped or replaced while the checkpoints were kept). The source is not started.
 * Fix it with `rebuild()` (which forgets the checkpoints), or delete the model's checkpoints, then start again.
 */
export class CheckpointPastEndError extends ReactiveDomainError {
  readonly code = 'CHECKPOINT_PAST_END';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** Key of the source whose checkpoint is past the end (see `sourceKeyOf`). */
    readonly source: string,
    /** The stored checkpoint. */
    readonly checkpoint: Checkpoint,
    /** The store's end for that source, as a checkpoint (undefined: the source holds no event at all). */
    readonly end: Checkpoint | undefined,
  ) {
    super(
      `Read model ${JSON.stringify(model)} (${source}): stored checkpoint ${describeCheckpoint(checkpoint)} is past ` +
        `the end of the store (${end ? describeCheckpoint(end) : 'no event'}); the store was probably wiped or ` +
        `replaced. Rebuild the model or delete its checkpoints`,
    );
  }
}

/** `waitFor()` did not see the model reach the awaited position within its deadline. */
export class ReadModelWaitTimeoutError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_WAIT_TIMEOUT';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** What was awaited, described for messages (e.g. `position 4096`). */
    readonly target: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
    /** Where the model stood when the deadline passed, described for messages. */
    readonly reached: string,
  ) {
    super(
      `Read model ${JSON.stringify(model)} did not reach ${target} within ${timeoutMs} ms (it stands at ${reached})`,
    );
  }
}

/** `waitFor()` was cancelled through its `signal`; `cause` is the signal's reason. */
export class ReadModelWaitAbortedError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_WAIT_ABORTED';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** What was awaited, described for messages. */
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(`Read model ${JSON.stringify(model)}: waiting for ${target} was aborted`, options);
  }
}

/** `waitFor(position)` on a model that follows no source: nothing could ever reach the position. */
export class ReadModelNotStartedError extends ReactiveDomainError {
  readonly code = 'READ_MODEL_NOT_STARTED';
  constructor(
    /** The read model's name. */
    readonly model: string,
  ) {
    super(`Read model ${JSON.stringify(model)} follows no source: call start() before waitFor()`);
  }
}

/**
 * A durable read model's transaction could not run or commit (begin, checkpoint load/save/delete, commit). The
 * transaction rolled back, so state and checkpoint still agree; the model stops in the `failed` state.
 */
export class ProjectionTransactionError extends ReactiveDomainError {
  readonly code = 'PROJECTION_TRANSACTION_FAILED';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** What the transaction was for. */
    readonly operation: 'load' | 'apply' | 'reset',
    options?: { cause?: unknown },
  ) {
    super(
      `Read model ${JSON.stringify(model)}: ${operation} transaction failed: ${causeText(options?.cause)}`,
      options,
    );
  }
}

/**
 * A durable read model found its stored checkpoint moved by someone else between two batches: another instance of
 * the same model (same name, same database) is running. Its batch was rolled back, so nothing was applied twice;
 * the model stops in the `failed` state. Run one instance per model name (or give each its own name).
 */
export class ProjectionCheckpointConflictError extends ReactiveDomainError {
  readonly code = 'PROJECTION_CHECKPOINT_CONFLICT';
  constructor(
    /** The read model's name. */
    readonly model: string,
    /** The checkpoint the model last committed (undefined: none). */
    readonly expected: Checkpoint | undefined,
    /** The checkpoint found in the store (undefined: none). */
    readonly found: Checkpoint | undefined,
  ) {
    super(
      `Read model ${JSON.stringify(model)}: its stored checkpoint is ${describeCheckpoint(found)}, not the ` +
        `${describeCheckpoint(expected)} it committed last — another instance of this model is writing; ` +
        `the batch was rolled back`,
    );
  }
}
