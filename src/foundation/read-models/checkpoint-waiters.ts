import {
  InvalidArgumentError,
  describeValue,
  type ReactiveDomainError,
} from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import { describeCheckpoint, type Checkpoint } from '../subscriptions/checkpoint';
import { Deferred } from '../subscriptions/error-channel';
import { assertCheckpointFits, sourceKeyOf, type ListenerSource } from '../subscriptions/listener-source';
import {
  ReadModelNotStartedError,
  ReadModelWaitAbortedError,
  ReadModelWaitTimeoutError,
} from './read-model.errors';
import { DEFAULT_WAIT_TIMEOUT_MS, type WaitForOptions } from './read-model-types';
import { targetAtOrBefore } from './store-positions';

/** What the waiters see of their model. @internal */
export interface WaitedModel {
  readonly name: string;
  readonly store: StreamStore;
  /** The followed sources. */
  sources(): Iterable<{ readonly key: string; readonly source: ListenerSource }>;
  /** Where a source (by key) stands now. */
  checkpointOf(sourceKey: string): Checkpoint | undefined;
  /** Where the model stands, for a timeout's message. */
  describe(): string;
  /** The model's failure: a wait then rejects with it at once. */
  failure(): ReactiveDomainError | undefined;
  /**
   * Called when a wait starts behind its target, so the model can apply what it holds back; returns an error to
   * reject with at once (e.g. the model is stopped, so the target will never be reached), else undefined.
   */
  behind(): unknown;
}

interface Waiter {
  /** Checkpoint to reach per source key; undefined while the targets are being computed. */
  targets: ReadonlyMap<string, Checkpoint> | undefined;
  readonly deferred: Deferred<void>;
}

/**
 * The `waitFor` calls of one model (read your own writes): each resolves once every source it names has reached
 * its target checkpoint, and rejects at its deadline, on abort, or when the model fails or stops.
 * @internal
 */
export class CheckpointWaiters {
  #waiters: Waiter[] = [];

  constructor(private readonly model: WaitedModel) {}

  /** Number of pending waits. */
  get size(): number {
    return this.#waiters.length;
  }

  /** `waitFor(source, checkpoint, options?)` or `waitFor(position, options?)`, as the models expose it. */
  waitFor(
    target: ListenerSource | bigint | Checkpoint,
    checkpointOrOptions?: Checkpoint | WaitForOptions,
    options?: WaitForOptions,
  ): Promise<void> {
    if (isCheckpoint(checkpointOrOptions))
      return this.waitForCheckpoint(target as ListenerSource, checkpointOrOptions, options);
    return this.waitForPosition(target as bigint | Checkpoint, checkpointOrOptions);
  }

  /** Resolves once `source` has been handled up to `checkpoint` (inclusive). */
  waitForCheckpoint(source: ListenerSource, checkpoint: Checkpoint, options?: WaitForOptions): Promise<void> {
    assertCheckpointFits(source, checkpoint);
    const target = new Map([[sourceKeyOf(source), checkpoint]]);
    return this.#wait(describeCheckpoint(checkpoint), options, async () => target);
  }

  /**
   * Resolves once every followed source has handled every event of it at or before the global `position` (a
   * filtered source's target is its own last event at or before it). A `stream` checkpoint is accepted when the
   * model follows exactly one source, a stream.
   */
  waitForPosition(position: bigint | Checkpoint, options?: WaitForOptions): Promise<void> {
    const { name, store } = this.model;
    const sources = [...this.model.sources()];
    if (typeof position === 'object' && position !== null && position.kind === 'stream') {
      const only = sources.length === 1 ? sources[0]! : undefined;
      if (only?.source.kind !== 'stream') {
        return Promise.reject(
          new InvalidArgumentError(
            `Read model ${JSON.stringify(name)}: waitFor(stream checkpoint) needs exactly one stream source; ` +
              `use waitFor(source, checkpoint) or a global position`,
          ),
        );
      }
      return this.waitForCheckpoint(only.source, position, options);
    }
    const at = typeof position === 'object' && position !== null ? position.position : position;
    if (typeof at !== 'bigint' || at < 0n) {
      return Promise.reject(
        new InvalidArgumentError(
          `Read model ${JSON.stringify(name)}: waitFor needs a position (bigint >= 0) or a checkpoint, got ${describeValue(position)}`,
        ),
      );
    }
    if (sources.length === 0) return Promise.reject(new ReadModelNotStartedError(name));
    return this.#wait(`position ${at}`, options, async () => {
      const targets = new Map<string, Checkpoint>();
      for (const { key, source } of sources) {
        const target = await targetAtOrBefore(store, source, at);
        if (target) targets.set(key, target);
      }
      return targets;
    });
  }

  /** Resolves every wait whose targets are reached now. */
  release(): void {
    for (const waiter of this.#waiters)
      if (waiter.targets && this.#reached(waiter.targets)) waiter.deferred.resolve();
  }

  /** Rejects every pending wait with `error`. */
  rejectAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.deferred.reject(error);
  }

  #wait(
    what: string,
    options: WaitForOptions | undefined,
    targetsOf: () => Promise<ReadonlyMap<string, Checkpoint>>,
  ): Promise<void> {
    const { name } = this.model;
    const failure = this.model.failure();
    if (failure) return Promise.reject(failure);
    const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new InvalidArgumentError(`waitFor: timeoutMs must be >= 0, got ${describeValue(timeoutMs)}`),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted)
      return Promise.reject(new ReadModelWaitAbortedError(name, what, { cause: signal.reason }));
    const waiter: Waiter = { targets: undefined, deferred: new Deferred<void>() };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          waiter.deferred.reject(new ReadModelWaitTimeoutError(name, what, timeoutMs, this.model.describe()));
        }, timeoutMs)
      : undefined;
    const onAbort = (): void =>
      waiter.deferred.reject(new ReadModelWaitAbortedError(name, what, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#waiters.push(waiter);
    targetsOf().then(
      (targets) => {
        waiter.targets = targets;
        if (this.#reached(targets)) return waiter.deferred.resolve();
        const error = this.model.behind();
        if (error !== undefined) waiter.deferred.reject(error);
      },
      (error: unknown) => waiter.deferred.reject(error),
    );
    const cleanUp = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    };
    waiter.deferred.promise.then(cleanUp, cleanUp);
    return waiter.deferred.promise;
  }

  #reached(targets: ReadonlyMap<string, Checkpoint>): boolean {
    for (const [key, target] of targets) if (!reached(this.model.checkpointOf(key), target)) return false;
    return true;
  }
}

/** True for a {@link Checkpoint} (as opposed to wait options or nothing). */
function isCheckpoint(value: unknown): value is Checkpoint {
  if (typeof value !== 'object' || value === null) return false;
  const { kind } = value as { kind?: unknown };
  return (kind === 'stream' && 'revision' in value) || (kind === 'all' && 'position' in value);
}

function reached(current: Checkpoint | undefined, target: Checkpoint): boolean {
  if (!current || current.kind !== target.kind) return false;
  return current.kind === 'stream'
    ? current.revision >= (target as { revision: number }).revision
    : current.position >= (target as { position: bigint }).position;
}
