import { InvalidArgumentError, ReactiveDomainError, describeValue } from '../../core/reactive-domain.error';

/** Identifies the aggregate an error is about. */
export interface AggregateErrorRef {
  /** The aggregate class's registered `typeName`. */
  readonly aggregateType: string;
  /** The aggregate's id. */
  readonly aggregateId: string;
  /** The aggregate's stream, as named by the repository's stream name builder. */
  readonly streamName: string;
}

abstract class RepositoryError extends ReactiveDomainError {
  /** The aggregate class's registered `typeName`. */
  readonly aggregateType: string;
  /** The aggregate's id. */
  readonly aggregateId: string;
  /** The aggregate's stream, as named by the repository's stream name builder. */
  readonly streamName: string;
  constructor(ref: AggregateErrorRef, message: string, options?: { cause?: unknown }) {
    super(
      `${ref.aggregateType} ${JSON.stringify(ref.aggregateId)} (stream ${JSON.stringify(ref.streamName)}): ${message}`,
      options,
    );
    this.aggregateType = ref.aggregateType;
    this.aggregateId = ref.aggregateId;
    this.streamName = ref.streamName;
  }
}

/** The aggregate's stream does not exist (never written, or soft-deleted). */
export class AggregateNotFoundError extends RepositoryError {
  readonly code = 'AGGREGATE_NOT_FOUND';
  constructor(ref: AggregateErrorRef) {
    super(ref, 'not found');
  }
}

/** The aggregate's stream was hard-deleted (tombstoned). */
export class AggregateDeletedError extends RepositoryError {
  readonly code = 'AGGREGATE_DELETED';
  constructor(ref: AggregateErrorRef) {
    super(ref, 'deleted (tombstoned)');
  }
}

/** A load "at version v" asked for a revision past the end of the stream. */
export class AggregateVersionError extends RepositoryError {
  readonly code = 'AGGREGATE_VERSION';
  constructor(
    ref: AggregateErrorRef,
    /** The requested version: 0-based revision of the last event to apply. */
    readonly requestedVersion: number,
    /** 0-based revision of the stream's last event (smaller than `requestedVersion`). */
    readonly lastVersion: number,
  ) {
    super(ref, `version ${requestedVersion} was requested but the last version is ${lastVersion}`);
  }
}

/** `update` gave up after its attempts all hit concurrency conflicts. */
export class ConcurrencyRetriesExhaustedError extends RepositoryError {
  readonly code = 'CONCURRENCY_RETRIES_EXHAUSTED';
  constructor(
    ref: AggregateErrorRef,
    /** How many attempts were made, all of them conflicting (the last conflict is the `cause`). */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(ref, `still conflicting after ${attempts} attempt(s)`, { cause });
  }
}

/** The repository's `headers` callback returned something other than a plain object (null, a string, an array...). */
export class InvalidHeadersError extends InvalidArgumentError {
  override readonly code = 'INVALID_HEADERS';
  constructor(
    /** What the callback returned. */
    readonly value: unknown,
  ) {
    super(
      `The repository's headers callback must return a plain object of header values, got ${
        Array.isArray(value) ? 'an array' : describeValue(value)
      }; nothing was saved`,
    );
  }
}
