import type { AggregateRoot, AggregateType } from '../../core/aggregate-root';
import type { CorrelatedMessage } from '../../core/message';

/** Options for loading an aggregate. */
export interface LoadOptions {
  /**
   * Load the aggregate as of this version: the event with revision `version` (0-based) is the last one applied.
   * Past the end of the stream -> `AggregateVersionError`. Default: the latest.
   */
  readonly version?: number;
}

/** Options for saving an aggregate. */
export interface SaveOptions {
  /** Extra metadata headers stored with every event of this save (merged over the repository's headers). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a save wrote. */
export interface SaveResult {
  /** The stream the events were appended to. */
  readonly streamName: string;
  /** Revision of the first and last event written. */
  readonly firstRevision: number;
  /** 0-based revision of the last event written; the aggregate's version after the save. */
  readonly lastRevision: number;
  /** Global position of the last event. */
  readonly position: bigint;
  /** Id (a UUID) shared by the events of this save, also stored in each event's metadata. */
  readonly commitId: string;
}

/** Loads and saves aggregates (Reactive Domain's IRepository). */
export interface Repository {
  /** Loads an aggregate; throws `AggregateNotFoundError`, `AggregateDeletedError` or `AggregateVersionError`. */
  getById<T extends AggregateRoot>(type: AggregateType<T>, id: T['id'], options?: LoadOptions): Promise<T>;
  /** Like `getById`, but resolves `undefined` when the aggregate does not exist. Every other error propagates. */
  tryGetById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    options?: LoadOptions,
  ): Promise<T | undefined>;
  /**
   * Appends the aggregate's pending events with its version as the expected version. The events leave the aggregate
   * only after the append succeeded: on `WrongExpectedVersionError` (or any failure) the aggregate keeps its pending
   * events and version. Resolves `undefined` when nothing was pending.
   */
  save(aggregate: AggregateRoot, options?: SaveOptions): Promise<SaveResult | undefined>;
  /** Soft-deletes the aggregate's stream (expected version = the aggregate's). */
  delete(aggregate: AggregateRoot): Promise<void>;
  /** Tombstones the aggregate's stream: it can never be written again. */
  hardDelete(aggregate: AggregateRoot): Promise<void>;
}

/**
 * A repository that sets the message being handled as the aggregate's correlation source. A `source` left
 * undefined means the ambient source of the current `CorrelationScope`.
 */
export interface CorrelatedRepositoryApi {
  /** Loads an aggregate as `Repository.getById` does, then sets `source` as its correlation source. */
  getById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source?: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T>;
  /** Like `getById`, but resolves `undefined` when the aggregate does not exist. Every other error propagates. */
  tryGetById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    source?: CorrelatedMessage,
    options?: LoadOptions,
  ): Promise<T | undefined>;
  /**
   * Saves and clears the aggregate's source (ending the unit of work), also when nothing was pending (then nothing
   * is written and it resolves `undefined`).
   */
  save(aggregate: AggregateRoot, options?: SaveOptions): Promise<SaveResult | undefined>;
  /** Saves and keeps the source, so later raises in the same handler carry the same ids. */
  saveAndContinue(aggregate: AggregateRoot, options?: SaveOptions): Promise<SaveResult | undefined>;
  /** Soft-deletes the aggregate's stream (expected version = the aggregate's). */
  delete(aggregate: AggregateRoot): Promise<void>;
  /** Tombstones the aggregate's stream: it can never be written again. */
  hardDelete(aggregate: AggregateRoot): Promise<void>;
}
