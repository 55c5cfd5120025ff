import type { AggregateRoot, AggregateType } from '../../core/aggregate-root';
import type { CorrelatedMessage } from '../../core/message';
import { recordWrittenPosition } from '../../messaging/written-positions';
import { isSnapshotSource } from '../../core/event-source';
import { newId } from '../../core/id';
import { logSafely } from '../../core/logger';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { EventSerializer } from '../../persistence/event-serializer';
import { ExpectedVersion } from '../../persistence/expected-version';
import type { StreamStore } from '../../persistence/stream-store';
import { WrongExpectedVersionError } from '../../persistence/stream-store.errors';
import {
  PrefixedCamelCaseStreamNameBuilder,
  type StreamNameBuilder,
} from '../../persistence/stream-name-builder';
import type { SnapshotPolicy, SnapshotStore, StoredSnapshot } from '../snapshots/snapshot-store';
import { AggregateCache } from './aggregate-cache';
import type { LoadOptions, Repository, SaveOptions, SaveResult } from './repository';
import {
  AggregateDeletedError,
  AggregateNotFoundError,
  AggregateVersionError,
  ConcurrencyRetriesExhaustedError,
  InvalidHeadersError,
} from './repository.errors';

/** Snapshot settings of a repository. */
export interface SnapshotSettings {
  /** Where snapshots are loaded from and saved to. */
  readonly store: SnapshotStore;
  /** Decides after each save whether to write a snapshot. */
  readonly policy: SnapshotPolicy;
}

/** Something went wrong that must not fail the caller's operation (a snapshot write after a committed save). */
export type RepositoryWarning = {
  /**
   * `snapshot-save-failed`: writing a snapshot after a committed save failed; `snapshot-ignored`: a stored snapshot
   * could not be loaded or restored, so the aggregate was rebuilt from its events.
   */
  readonly kind: 'snapshot-save-failed' | 'snapshot-ignored';
  /** The aggregate's stream. */
  readonly streamName: string;
  /** The error that was caught. */
  readonly error: unknown;
};

/** Options of {@link StreamStoreRepository}. */
export interface StreamStoreRepositoryOptions {
  /** The event store the aggregates' streams are read from and appended to. */
  readonly store: StreamStore;
  /** Default: a serializer over the process-wide event-type registry. */
  readonly serializer?: EventSerializer;
  /** Default: `PrefixedCamelCaseStreamNameBuilder` without prefix (`order-<id>`). */
  readonly streamNames?: StreamNameBuilder;
  /** Events read per page on load (default 500). Loads never buffer a whole stream. */
  readonly pageSize?: number;
  /** Snapshots for aggregates that implement `SnapshotSource`. */
  readonly snapshots?: SnapshotSettings;
  /**
   * Keep up to `maxAggregates` saved aggregates in memory, so a load reads only the events appended since instead of
   * replaying the stream (see {@link AggregateCache}: instances are checked out by a load and back in by a successful
   * save, never shared). Off by default. After `save`, load the aggregate again rather than reusing the instance.
   */
  readonly cache?: {
    /** Most aggregates kept (a positive integer); the least recently saved are evicted first. */
    readonly maxAggregates: number;
  };
  /**
   * Headers written into the metadata of every saved event (e.g. the acting user). Called once per save; it must
   * return a plain object (anything else fails the save with an `InvalidHeadersError`, nothing is written).
   */
  readonly headers?: () => Readonly<Record<string, string>>;
  /**
   * Receives failures that must not fail the operation: a snapshot that could not be written after the events were
   * committed, or a snapshot that could not be used (the aggregate is then rebuilt from events). Default:
   * a warning on the process-wide logger (`setLogger`; by default `process.emitWarning`). Never silent.
   */
  readonly onWarning?: (warning: RepositoryWarning) => void;
}

/** Options of {@link StreamStoreRepository.update}. */
export interface UpdateOptions extends SaveOptions {
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /**
   * The message being handled (usually the command): set as the aggregate's correlation source on every attempt,
   * so `act` can raise events. Needed for aggregates that raise (an `AggregateRoot` without a source cannot).
   */
  readonly source?: CorrelatedMessage;
}

const DEFAULT_PAGE_SIZE = 500;

/** What {@link StreamStoreRepository} replay returns when it must start again from a fresh instance. */
const STALE = Symbol('stale');

/**
 * Loads aggregates by replaying their stream (after the latest compatible snapshot) and saves their pending events
 * with optimistic concurrency (Reactive Domain's StreamStoreRepository, with commit-on-success).
 */
export class StreamStoreRepository implements Repository {
  /** The event store, as given in the options. */
  readonly store: StreamStore;
  /** Serializer used for saving and loading events (the given one, or one over the default registry). */
  readonly serializer: EventSerializer;
  /** Names aggregate streams (the given builder, or `PrefixedCamelCaseStreamNameBuilder` without prefix). */
  readonly streamNames: StreamNameBuilder;
  private readonly pageSize: number;
  private readonly snapshots: SnapshotSettings | undefined;
  private readonly cache: AggregateCache | undefined;
  private readonly headers: (() => Readonly<Record<string, string>>) | undefined;
  private readonly onWarning: (warning: RepositoryWarning) => void;

  constructor(options: StreamStoreRepositoryOptions) {
    this.store = options.store;
    this.serializer = options.serializer ?? new EventSerializer();
    this.streamNames = options.streamNames ?? new PrefixedCamelCaseStreamNameBuilder();
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 1) {
      throw new InvalidArgumentError(
        `StreamStoreRepository: pageSize must be a positive integer, got ${describeValue(this.pageSize)}`,
      );
    }
    this.snapshots = options.snapshots;
    this.cache = options.cache ? new AggregateCache(options.cache.maxAggregates) : undefined;
    this.headers = options.headers;
    this.onWarning = options.onWarning ?? defaultWarning;
  }

  /** The stream an aggregate lives in. */
  streamNameOf(type: Pick<AggregateType, 'typeName'>, id: string): string {
    return this.streamNames.forAggregate(type.typeName, id);
  }

  getById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    options: LoadOptions = {},
  ): Promise<T> {
    // Not `async`: each async layer over the load costs promise turns on every command (`load` is async, so a bad
    // argument still rejects).
    return this.load(type, id, options, true) as Promise<T>;
  }

  tryGetById<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    options: LoadOptions = {},
  ): Promise<T | undefined> {
    return this.load(type, id, options, false);
  }

  async save(aggregate: AggregateRoot, options: SaveOptions = {}): Promise<SaveResult | undefined> {
    return this.commit(aggregate, options, false);
  }

  /**
   * Load, act, save — retried on a concurrency conflict (a fresh load each time), at most `maxAttempts` times.
   * `act` must be free of side effects other than raising events, since it may run more than once. Pass the command
   * being handled as `options.source` (or use `CorrelatedRepository.update`): raising needs a correlation source.
   * Resolves the saved aggregate.
   */
  async update<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    act: (aggregate: T) => void | Promise<void>,
    options: UpdateOptions = {},
  ): Promise<T> {
    const maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidArgumentError(
        `update: maxAttempts must be a positive integer, got ${describeValue(maxAttempts)}`,
      );
    }
    let lastConflict: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const aggregate = await this.getById(type, id);
      if (options.source !== undefined) aggregate.source = options.source;
      await act(aggregate);
      try {
        await this.save(aggregate, options);
        return aggregate;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        lastConflict = error;
      }
    }
    throw new ConcurrencyRetriesExhaustedError(this.ref(type, id), maxAttempts, lastConflict);
  }

  async delete(aggregate: AggregateRoot): Promise<void> {
    const streamName = this.streamOfInstance(aggregate);
    this.cache?.evict(streamName);
    await this.store.deleteStream(streamName, this.expectedVersionOf(aggregate));
  }

  async hardDelete(aggregate: AggregateRoot): Promise<void> {
    const streamName = this.streamOfInstance(aggregate);
    this.cache?.evict(streamName);
    await this.store.tombstoneStream(streamName, this.expectedVersionOf(aggregate));
  }

  /**
   * Appends pending events; only after success are they taken from the aggregate (and, when `keepSource`, its
   * correlation source kept for the next unit of work).
   * @internal shared with `CorrelatedRepository`
   */
  async commit(
    aggregate: AggregateRoot,
    options: SaveOptions,
    keepSource: boolean,
  ): Promise<SaveResult | undefined> {
    const pending = aggregate.pendingEvents;
    if (pending.length === 0) {
      // Nothing to write, but the unit of work still ends: a kept source would stamp later raises with this command.
      if (!keepSource) aggregate.source = undefined;
      return undefined;
    }
    const type = aggregateTypeOf(aggregate);
    const streamName = this.streamNames.forAggregate(type.typeName, aggregate.id);
    const commitId = newId();
    const headers =
      this.headers || options.headers
        ? { ...(this.headers ? headersFrom(this.headers) : undefined), ...options.headers }
        : undefined;
    const source = aggregate.source;
    const context = { aggregateType: type.typeName, commitId, headers };
    const data = pending.map((event) => this.serializer.serialize(event, context));
    const result = await this.store.appendToStream(streamName, this.expectedVersionOf(aggregate), data);
    if (keepSource) aggregate.keepSourceForNextTake();
    aggregate.takeEvents();
    if (source !== undefined) recordWrittenPosition(source, result.position);
    const firstRevision = result.nextExpectedVersion - data.length + 1;
    // A new aggregate written to a soft-deleted stream continues its numbering: the store's revision is the truth.
    if (aggregate.expectedVersion !== result.nextExpectedVersion)
      aggregate.skipToVersion(result.nextExpectedVersion);
    // Checked here, not only inside: an awaited call costs a promise turn on every save.
    if (this.snapshots) await this.maybeSnapshot(aggregate, type, streamName, firstRevision - 1);
    // saveAndContinue keeps the unit of work open on this instance: it must not be handed to another load.
    if (this.cache && !keepSource) this.cache.put(streamName, aggregate);
    return {
      streamName,
      firstRevision,
      lastRevision: result.nextExpectedVersion,
      position: result.position,
      commitId,
    };
  }

  /** Loads the aggregate; when it does not exist: undefined, or an AggregateNotFoundError when `required`. */
  private async load<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    options: LoadOptions,
    required: boolean,
  ): Promise<T | undefined> {
    const target = options.version;
    if (target !== undefined && (!Number.isSafeInteger(target) || target < 0)) {
      throw new InvalidArgumentError(
        `${type.typeName} ${JSON.stringify(id)}: version must be a revision (integer >= 0), got ${describeValue(target)}`,
      );
    }
    const streamName = this.streamNames.forAggregate(type.typeName, id);
    const cached = target === undefined ? this.cache?.take<T>(streamName, type) : undefined;
    if (cached) {
      // Catches up with whatever was appended since; STALE when the stream was deleted or recreated meanwhile.
      const loaded = await this.replay(type, id, streamName, undefined, cached);
      if (loaded !== STALE) return this.found(loaded, type, id, required);
    }
    // Checked here, not only inside: an awaited call costs a promise turn on every load.
    const snapshot = this.snapshots ? await this.fromSnapshot(type, id, streamName, target) : undefined;
    if (snapshot) {
      const loaded = await this.replay(type, id, streamName, target, snapshot);
      if (loaded !== STALE) return this.found(loaded, type, id, required);
    }
    for (;;) {
      const loaded = await this.replay(type, id, streamName, target, new type(id));
      if (loaded !== STALE) return this.found(loaded, type, id, required);
    }
  }

  /** `loaded`, unless it is missing and `required`. @throws AggregateNotFoundError */
  private found<T extends AggregateRoot>(
    loaded: T | undefined,
    type: AggregateType<T>,
    id: T['id'],
    required: boolean,
  ): T | undefined {
    if (loaded === undefined && required) throw new AggregateNotFoundError(this.ref(type, id));
    return loaded;
  }

  /**
   * Applies the stream's events after the instance's version, page by page. An instance restored from a snapshot
   * re-reads the event the snapshot was taken at: if that revision is no longer visible, the stream was soft-deleted
   * (and maybe recreated) since, and the snapshot describes history that is gone.
   * @returns the instance, undefined when the stream does not exist (or not at `target`), or STALE when the revisions
   *   read do not follow the instance's version (a stale snapshot, or a soft delete while paging): replay afresh.
   */
  private async replay<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    streamName: string,
    target: number | undefined,
    instance: T,
  ): Promise<T | undefined | typeof STALE> {
    let from = Math.max(instance.expectedVersion, 0);
    for (;;) {
      const maxCount = target === undefined ? this.pageSize : Math.min(this.pageSize, target - from + 1);
      if (maxCount <= 0) break;
      const result = await this.store.readStream(streamName, { fromRevision: from, maxCount });
      if (result.status === 'not_found') return undefined;
      if (result.status === 'deleted') throw new AggregateDeletedError(this.ref(type, id));
      if (target !== undefined && target > result.lastRevision) {
        throw new AggregateVersionError(this.ref(type, id), target, result.lastRevision);
      }
      const events = result.events;
      const rereading = from === instance.expectedVersion; // a snapshot's own event: it must still be there
      if (events.length === 0) {
        if (rereading) return STALE;
        break;
      }
      const first = events[0]!.revision;
      if (first !== from) {
        // Revisions before `first` were soft-deleted: the stream was recreated after them.
        if (instance.expectedVersion >= 0) return STALE;
        if (target !== undefined && first > target) return undefined; // the requested version was deleted
        instance.skipToVersion(first - 1);
      }
      let end = events.length;
      if (target !== undefined) while (end > 0 && events[end - 1]!.revision > target) end--;
      const start = rereading ? 1 : 0;
      if (end > start) {
        const applied = start === 0 && end === events.length ? events : events.slice(start, end);
        // A plain loop and the event alone (no closure, no result wrapper per event): this runs for every event loaded.
        const restored = new Array<object>(applied.length);
        for (let i = 0; i < applied.length; i++) restored[i] = this.serializer.deserializeEvent(applied[i]!);
        instance.restoreFromEvents(restored);
      }
      from = events[events.length - 1]!.revision + 1;
      if (result.isEndOfStream || end < events.length) break;
    }
    return instance.expectedVersion < 0 ? undefined : instance;
  }

  private async fromSnapshot<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    streamName: string,
    target: number | undefined,
  ): Promise<T | undefined> {
    if (!this.snapshots || !isSnapshotSource(type.prototype)) return undefined;
    let snapshot: StoredSnapshot | undefined;
    try {
      snapshot = await this.snapshots.store.load(streamName);
    } catch (error) {
      this.onWarning({ kind: 'snapshot-ignored', streamName, error });
      return undefined;
    }
    if (!snapshot) return undefined;
    if (
      snapshot.schemaVersion !== (type.snapshotVersion ?? 1) ||
      (target !== undefined && snapshot.version > target)
    ) {
      return undefined; // incompatible or too new for the requested version: replay from events instead
    }
    const instance = new type(id);
    try {
      instance.restoreSnapshotAt(snapshot.version, () => {
        if (isSnapshotSource(instance)) instance.restoreFromSnapshot(snapshot.state);
      });
      return instance;
    } catch (error) {
      this.onWarning({ kind: 'snapshot-ignored', streamName, error });
      return undefined;
    }
  }

  private async maybeSnapshot(
    aggregate: AggregateRoot,
    type: AggregateType,
    streamName: string,
    previousVersion: number,
  ): Promise<void> {
    if (!this.snapshots || !isSnapshotSource(aggregate)) return;
    if (!this.snapshots.policy.shouldSnapshot(previousVersion, aggregate.expectedVersion)) return;
    try {
      await this.snapshots.store.save(streamName, {
        aggregateType: type.typeName,
        aggregateId: aggregate.id,
        version: aggregate.expectedVersion,
        schemaVersion: type.snapshotVersion ?? 1,
        state: aggregate.takeSnapshot(),
        takenAt: new Date(),
      });
    } catch (error) {
      // The events are committed; a missing snapshot only costs replay time. Report, do not fail the save.
      this.onWarning({ kind: 'snapshot-save-failed', streamName, error });
    }
  }

  private expectedVersionOf(aggregate: AggregateRoot): ExpectedVersion {
    return aggregate.expectedVersion < 0 ? ExpectedVersion.NoStream : aggregate.expectedVersion;
  }

  private streamOfInstance(aggregate: AggregateRoot): string {
    return this.streamNames.forAggregate(aggregateTypeOf(aggregate).typeName, aggregate.id);
  }

  private ref(type: Pick<AggregateType, 'typeName'>, id: string) {
    return {
      aggregateType: type.typeName,
      aggregateId: id,
      streamName: this.streamNames.forAggregate(type.typeName, id),
    };
  }
}

function aggregateTypeOf(aggregate: AggregateRoot): AggregateType {
  const type = aggregate.constructor as Partial<AggregateType>;
  if (typeof type.typeName !== 'string' || type.typeName.length === 0) {
    throw new InvalidArgumentError(
      `${aggregate.constructor.name}: aggregate classes need a static typeName (the stable name used for stream names)`,
    );
  }
  return type as AggregateType;
}

/** Calls the repository's headers callback; anything but a plain object is an error, never coerced. */
function headersFrom(callback: () => Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const headers: unknown = callback();
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
    throw new InvalidHeadersError(headers);
  const proto: unknown = Object.getPrototypeOf(headers);
  if (proto !== Object.prototype && proto !== null) throw new InvalidHeadersError(headers);
  return headers as Readonly<Record<string, string>>;
}

function defaultWarning(warning: RepositoryWarning): void {
  logSafely(
    'warn',
    { type: 'ReactiveDomainWarning', err: warning.error, kind: warning.kind, stream: warning.streamName },
    `${warning.kind} for stream ${warning.streamName}: ${String(warning.error)}`,
  );
}
