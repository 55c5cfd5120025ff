import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { Checkpoint } from '../subscriptions/checkpoint';
import { Deferred } from '../subscriptions/error-channel';
import { ReadModelWaitAbortedError, ReadModelWaitTimeoutError } from './read-model.errors';
import { DEFAULT_WAIT_TIMEOUT_MS, type WaitForOptions } from './read-model-types';

interface Waiter {
  /** Checkpoint to reach per source key; undefined while the targets are being computed. */
  targets: ReadonlyMap<string, Checkpoint> | undefined;
  readonly deferred: Deferred<void>;
}

/**
 * The pending `waitFor` calls of one model: each resolves once every source it names has reached its target
 * checkpoint, and rejects at its deadline, on abort, or when the model fails or stops.
 * @internal
 */
export class CheckpointWaiters {
  #waiters: Waiter[] = [];

  constructor(
    private readonly name: string,
    /** Where a source (by key) stands now. */
    private readonly positionOf: (sourceKey: string) => Checkpoint | undefined,
    /** Where the model stands, for a timeout's message. */
    private readonly describePosition: () => string,
  ) {}

  /** Number of pending waits. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Waits until the targets `targetsOf` computes are reached; `onBehind` runs when they are not reached yet (so
   * the model can apply what it holds back) and may return an error to reject with at once (e.g. the model is
   * stopped, so they never will be). `what` describes the target for messages.
   */
  wait(
    what: string,
    options: WaitForOptions | undefined,
    targetsOf: () => Promise<ReadonlyMap<string, Checkpoint>>,
    onBehind: () => unknown,
  ): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new InvalidArgumentError(`waitFor: timeoutMs must be >= 0, got ${describeValue(timeoutMs)}`),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted)
      return Promise.reject(new ReadModelWaitAbortedError(this.name, what, { cause: signal.reason }));
    const waiter: Waiter = { targets: undefined, deferred: new Deferred<void>() };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          waiter.deferred.reject(
            new ReadModelWaitTimeoutError(this.name, what, timeoutMs, this.describePosition()),
          );
        }, timeoutMs)
      : undefined;
    const onAbort = (): void =>
      waiter.deferred.reject(new ReadModelWaitAbortedError(this.name, what, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#waiters.push(waiter);
    targetsOf().then(
      (targets) => {
        waiter.targets = targets;
        if (this.#reached(targets)) waiter.deferred.resolve();
        else {
          const error = onBehind();
          if (error !== undefined) waiter.deferred.reject(error);
        }
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

  #reached(targets: ReadonlyMap<string, Checkpoint>): boolean {
    for (const [key, target] of targets) if (!reached(this.positionOf(key), target)) return false;
    return true;
  }
}

function reached(current: Checkpoint | undefined, target: Checkpoint): boolean {
  if (!current || current.kind !== target.kind) return false;
  return current.kind === 'stream'
    ? current.revision >= (target as { revision: number }).revision
    : current.position >= (target as { position: bigint }).position;
}
