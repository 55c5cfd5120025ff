import type { Observable } from 'rxjs';
import { InvalidArgumentError, ReactiveDomainError, describeValue } from '../../core/reactive-domain.error';
import type { RecordedEvent, StreamStore } from '../../persistence/stream-store';
import { describeCheckpoint, isAfterCheckpoint, type Checkpoint } from '../subscriptions/checkpoint';
import { countSourceEvents } from '../subscriptions/count-events';
import { Deferred, ErrorChannel } from '../subscriptions/error-channel';
import {
  ListenerFailedError,
  ListenerHandlerError,
  ListenerStoppedError,
} from '../subscriptions/listener.errors';
import { assertCheckpointFits, sourceKeyOf, type ListenerSource } from '../subscriptions/listener-source';
import { SerialQueue } from '../subscriptions/serial-queue';
import { StreamListener, type ReconnectOptions } from '../subscriptions/stream-listener';
import {
  CheckpointPastEndError,
  EventParkedError,
  ReadModelFailedError,
  ReadModelHandlerError,
} from './read-model.errors';
import { endOf, isPastEnd } from './store-positions';
import { CheckpointSaver } from './checkpoint-saver';
import { processorSettings } from './processor-settings';
import { CheckpointWaiters } from './checkpoint-waiters';
import {
  EventApplyError,
  type Delivery,
  type EventProcessorHooks,
  type EventProcessorOptions,
} from './event-processor-hooks';
import type {
  HandlerErrorPolicy,
  ParkedEvent,
  ReadModelStatus,
  RebuildOptions,
  RebuildProgress,
  WaitForOptions,
} from './read-model-types';

interface SourceState {
  readonly source: ListenerSource;
  readonly key: string;
  /** The last applied event's checkpoint. */
  checkpoint: Checkpoint | undefined;
  /** The last event taken into the pending batch (ahead of `checkpoint` until the batch is applied). */
  pending: Checkpoint | undefined;
  listener: StreamListener | undefined;
}

/**
 * The event-processing machinery that read models and process-manager hosts hold (they do not inherit it): follows
 * sources with {@link StreamListener}s (catch-up, live, reconnect with backoff), handles their events on one serial
 * queue, in batches when asked, applies the `fail`/`park` policy, keeps checkpoints (idempotent re-delivery,
 * exclusive resume), tracks liveness (`whenLive`, `waitFor`), and rebuilds with progress. What an event does and
 * where state and checkpoints live is the owner's part ({@link EventProcessorHooks}).
 */
export class EventProcessor {
  readonly #name: string;
  readonly #store: StreamStore;
  readonly #hooks: EventProcessorHooks;
  readonly #batchSize: number;
  readonly #batchDelayMs: number;
  readonly #saver: CheckpointSaver;
  readonly #policy: HandlerErrorPolicy;
  readonly #reconnect: ReconnectOptions | undefined;
  readonly #errors: ErrorChannel;
  readonly #queue = new SerialQueue();
  readonly #sources = new Map<string, SourceState>();
  /** Every source ever asked for (validated), so a rebuild replays even one whose start failed. */
  readonly #requested = new Map<string, ListenerSource>();
  readonly #parked: ParkedEvent[] = [];
  #batch: Delivery[] = [];
  #batchTimer: NodeJS.Timeout | undefined;
  readonly #waiters: CheckpointWaiters;
  #failureSignal = new Deferred<never>();
  #failure: ReactiveDomainError | undefined;
  #loadedCheckpoints: Promise<ReadonlyMap<string, Checkpoint>> | undefined;
  #starting = new Set<Promise<void>>();
  #stopped = false;
  #rebuilding = false;
  #handled = 0;
  #progress:
    | { every: number; report: (p: RebuildProgress) => void; total: number | undefined; handled: number }
    | undefined;

  /** Errors as they happen: failures, parked events, subscription drops. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(options: EventProcessorOptions) {
    const settings = processorSettings(options);
    this.#name = options.name;
    this.#store = options.store;
    this.#hooks = options.hooks;
    this.#batchSize = settings.batchSize;
    this.#batchDelayMs = settings.batchDelayMs;
    this.#saver = new CheckpointSaver(
      options.hooks.saveCheckpoint?.bind(options.hooks),
      settings.checkpointEvery,
      settings.checkpointIdleMs,
      () => void this.#queue.run(() => this.#flush()).catch(() => undefined), // a failure is reported by #flush
    );
    this.#policy = settings.onHandlerError;
    this.#reconnect = options.reconnect;
    this.#errors = new ErrorChannel(`Read model ${JSON.stringify(options.name)}`, options.onError);
    this.errors$ = this.#errors.errors$;
    this.#waiters = new CheckpointWaiters({
      name: options.name,
      store: options.store,
      sources: () => this.#sources.values(),
      checkpointOf: (key) => this.#sources.get(key)?.checkpoint,
      describe: () => this.#describePosition(),
      failure: () => this.#failure,
      behind: () => {
        if (this.#stopped) return new ListenerStoppedError(`read model ${JSON.stringify(this.#name)}`);
        // Behind the target: apply the partial batch now rather than after the batch delay.
        if (this.#batch.length > 0) void this.#queue.run(() => this.#applyBatch()).catch(() => undefined);
        return undefined;
      },
    });
  }

  // ---- state -------------------------------------------------------------------------------------------------------

  /** Current lifecycle state. */
  get status(): ReadModelStatus {
    if (this.#failure) return 'failed';
    if (this.#rebuilding) return 'rebuilding';
    if (this.#stopped) return 'stopped';
    if (this.#sources.size === 0) return 'idle';
    for (const state of this.#sources.values()) if (!state.listener?.isLive) return 'catching-up';
    return 'live';
  }

  /** Why the processor failed. */
  get failure(): ReactiveDomainError | undefined {
    return this.#failure;
  }

  /** Events set aside by the `park` policy, oldest first. */
  get parked(): readonly ParkedEvent[] {
    return this.#parked;
  }

  /** Events applied (including those without a handler, and parked ones) since creation. */
  get handledCount(): number {
    return this.#handled;
  }

  /** Events received but not applied yet (the partial batch). */
  get pendingCount(): number {
    return this.#batch.length;
  }

  /** The checkpoint of every source, keyed by source key. */
  get checkpoints(): ReadonlyMap<string, Checkpoint> {
    const result = new Map<string, Checkpoint>();
    for (const [key, state] of this.#sources) if (state.checkpoint) result.set(key, state.checkpoint);
    return result;
  }

  /** The checkpoint of one source: the last event applied from it (undefined: none yet). */
  checkpointOf(source: ListenerSource): Checkpoint | undefined {
    return this.#sources.get(sourceKeyOf(source))?.checkpoint;
  }

  /** Reports an error on `errors$` / `onError` (a process warning when nobody listens) without failing. */
  report(error: ReactiveDomainError): void {
    this.#errors.report(error);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------------

  /**
   * Starts following `sources` (catch-up from each one's checkpoint, then live); resolves once the subscriptions
   * are open. A source already followed is left alone. A failed start (checkpoint load, a stored checkpoint of the
   * wrong kind or past the end of the store) rejects and leaves no trace: it does not hold back `whenLive()`.
   */
  start(sources: readonly ListenerSource[]): Promise<void> {
    if (this.#failure) return Promise.reject(new ReadModelFailedError(this.#name, { cause: this.#failure }));
    const keyed = sources.map((source) => [sourceKeyOf(source), source] as const); // validate before anything
    for (const [key, source] of keyed) if (!this.#requested.has(key)) this.#requested.set(key, source);
    this.#stopped = false;
    const starting = this.#start(keyed);
    this.#starting.add(starting);
    const settled = (): void => void this.#starting.delete(starting);
    starting.then(settled, settled);
    return starting;
  }

  async #start(sources: ReadonlyArray<readonly [string, ListenerSource]>): Promise<void> {
    const stored = await this.#loadCheckpoints();
    // Check every new source's stored checkpoint before starting any, so a bad one starts nothing.
    const checked = new Map<string, Checkpoint | undefined>();
    for (const [key, source] of sources) {
      if (this.#sources.has(key) || checked.has(key)) continue;
      const checkpoint = stored.get(key);
      assertCheckpointFits(source, checkpoint);
      if (checkpoint) await this.#assertWithinStore(key, source, checkpoint);
      checked.set(key, checkpoint);
    }
    // Synchronous from here: a concurrent start of the same source sees this one's listener.
    for (const [key, source] of sources) {
      let state = this.#sources.get(key);
      if (state?.listener && state.listener.status !== 'stopped') continue;
      if (!state) {
        const checkpoint = checked.get(key);
        state = { source, key, checkpoint, pending: undefined, listener: undefined };
        this.#sources.set(key, state);
      }
      this.#listen(state);
    }
  }

  async #assertWithinStore(key: string, source: ListenerSource, checkpoint: Checkpoint): Promise<void> {
    const end = await endOf(this.#store, source);
    if (!isPastEnd(checkpoint, end)) return;
    const error = new CheckpointPastEndError(this.#name, key, checkpoint, end);
    this.#errors.report(error);
    throw error;
  }

  #listen(state: SourceState): void {
    const listener = new StreamListener(
      this.#store,
      state.source,
      (event, checkpoint) => this.#queue.run(() => this.#receive(state, event, checkpoint)),
      {
        after: state.checkpoint,
        reconnect: this.#reconnect,
        onError: (error) => this.#onListenerError(error),
      },
    );
    state.listener = listener;
    state.pending = undefined;
    listener.start();
    // Apply the partial batch and save pending checkpoints when the source goes live; failures surface through
    // whenLive()/failure.
    listener.whenLive().then(
      () => this.#queue.run(() => this.#flush()).catch(() => undefined),
      () => undefined,
    );
  }

  #onListenerError(error: ReactiveDomainError): void {
    // The processor already reported its own failure; the listener's echo of it would be noise.
    if (
      error instanceof ListenerHandlerError &&
      (error.cause instanceof ReadModelHandlerError ||
        error.cause instanceof ReadModelFailedError ||
        error.cause === this.#failure)
    )
      return;
    if (error instanceof ListenerFailedError) {
      this.#fail(error);
      return;
    }
    this.#errors.report(error);
  }

  /**
   * Resolves when every started source has handled the history that existed when it started (not later appends);
   * at once when nothing is started. Rejects with the failure if the processor fails first.
   */
  whenLive(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const pending = [...this.#starting];
    const all = (async () => {
      await Promise.all(pending);
      const listeners = [...this.#sources.values()]
        .map((s) => s.listener)
        .filter((l): l is StreamListener => l !== undefined);
      try {
        await Promise.all(listeners.map((l) => l.whenLive()));
        await this.#queue.run(() => this.#applyBatch()); // "live" means applied, not just received
      } catch (error) {
        throw this.#failure ?? error;
      }
    })();
    const result = Promise.race([all, this.#failureSignal.promise]);
    all.catch(() => undefined);
    return result;
  }

  /**
   * `waitFor(source, checkpoint, options?)`: resolves once `source` has been handled up to `checkpoint`;
   * `waitFor(position, options?)`: once every followed source has handled all its events at or before the global
   * `position` (see `ReadModelBase.waitFor`). Rejects on failure, stop, deadline or abort.
   */
  waitFor(
    target: ListenerSource | bigint | Checkpoint,
    checkpointOrOptions?: Checkpoint | WaitForOptions,
    options?: WaitForOptions,
  ): Promise<void> {
    return this.#waiters.waitFor(target, checkpointOrOptions, options);
  }

  #describePosition(): string {
    const parts = [...this.#sources.values()].map((s) => `${s.key} ${describeCheckpoint(s.checkpoint)}`);
    return parts.length > 0 ? parts.join(', ') : 'no source';
  }

  /** Stops every source. Resolves when nothing runs any more and pending work is applied and saved. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#stopListeners();
    this.#saver.stop();
    await this.#queue.run(() => this.#flush()).catch(() => undefined);
    this.#waiters.rejectAll(new ListenerStoppedError(`read model ${JSON.stringify(this.#name)}`));
  }

  async #stopListeners(): Promise<void> {
    await Promise.allSettled([...this.#starting]);
    await Promise.all([...this.#sources.values()].map((s) => s.listener?.stop()));
    await this.#queue.idle();
  }

  /**
   * Rebuilds from scratch: stops the sources, drops state and checkpoints (`hooks.reset`), clears a failure and
   * the parked events, then replays every source from the start and resolves when live again.
   */
  async rebuild(options: RebuildOptions = {}): Promise<RebuildProgress> {
    const every = options.progressEvery ?? 1000;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new InvalidArgumentError(
        `rebuild: progressEvery must be a positive integer, got ${describeValue(every)}`,
      );
    }
    const sources = [...this.#requested.values()];
    this.#rebuilding = true;
    try {
      await this.#stopListeners();
      this.#dropBatch();
      this.#saver.clear(); // no idle save may write an old checkpoint back after the reset deleted it
      await this.#hooks.reset();
      this.#sources.clear();
      this.#loadedCheckpoints = Promise.resolve(new Map());
      this.#failure = undefined;
      this.#failureSignal = new Deferred<never>();
      this.#parked.length = 0;
      let total: number | undefined;
      if (options.countTotal ?? true) {
        total = 0;
        for (const source of sources) total += await countSourceEvents(this.#store, source);
      }
      const report = options.onProgress ?? (() => undefined);
      const progress = { every, report, total, handled: 0 };
      this.#progress = progress;
      this.#stopped = false;
      await this.start(sources);
      await this.whenLive();
      this.#progress = undefined;
      const result = { handled: progress.handled, total };
      report(result);
      return result;
    } finally {
      this.#progress = undefined;
      this.#rebuilding = false;
    }
  }

  // ---- handling ----------------------------------------------------------------------------------------------------

  // The hot path (#receive, #applyBatch, #apply, #applied) stays synchronous unless a hook returns a promise:
  // catch-up of an in-memory model then costs no promise per event beyond the serial queue's.

  #receive(state: SourceState, recorded: RecordedEvent, checkpoint: Checkpoint): void | Promise<void> {
    if (this.#failure) throw new ReadModelFailedError(this.#name, { cause: this.#failure });
    // Already applied or already in the batch: idempotent re-delivery.
    if (!isAfterCheckpoint(recorded, state.pending ?? state.checkpoint)) return;
    this.#batch.push({ recorded, source: state.key, checkpoint });
    state.pending = checkpoint;
    // Someone waits to read their write on a live source: do not make them wait for the batch to fill. (During
    // catch-up batches stay full; going live applies the rest.)
    const waited = this.#waiters.size > 0 && state.listener?.isLive === true;
    if (this.#batch.length >= this.#batchSize || waited) return this.#applyBatch();
    this.#scheduleBatch();
  }

  #scheduleBatch(): void {
    if (this.#batchTimer) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      void this.#queue.run(() => this.#applyBatch()).catch(() => undefined); // a failure is reported by #apply
    }, this.#batchDelayMs);
    this.#batchTimer.unref(); // an unapplied batch is re-read after a restart; stop() applies it anyway
  }

  #dropBatch(): void {
    if (this.#batchTimer) clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    this.#batch = [];
    for (const state of this.#sources.values()) state.pending = undefined;
  }

  #applyBatch(): void | Promise<void> {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#dropBatch();
    if (!this.#failure) return this.#apply(batch);
  }

  #apply(batch: readonly Delivery[]): void | Promise<void> {
    let pending: void | Promise<void>;
    try {
      pending = this.#hooks.apply(batch, lastCheckpoints(batch));
    } catch (error) {
      return this.#applyFailed(batch, error);
    }
    if (pending)
      return pending.then(
        () => this.#applied(batch),
        (error: unknown) => this.#applyFailed(batch, error),
      );
    return this.#applied(batch);
  }

  #applied(batch: readonly Delivery[]): void | Promise<void> {
    for (const delivery of batch) this.#advance(delivery);
    if (this.#saver.active) return this.#saveCheckpoints(batch);
  }

  /** Applies the error policy to the event `error` names (or fails on a storage error). */
  async #applyFailed(batch: readonly Delivery[], error: unknown): Promise<void> {
    if (!(error instanceof EventApplyError) || batch[error.index] === undefined) throw this.#failWith(error);
    const failed = batch[error.index]!;
    const handlerError = new ReadModelHandlerError(this.#name, failed.source, failed.recorded, {
      cause: error.cause,
    });
    if (this.#policy === 'fail') {
      this.#fail(handlerError);
      throw handlerError;
    }
    if (batch.length > 1) {
      // The whole batch was undone: apply it again one event at a time, so exactly the failing one is parked.
      for (const delivery of batch) await this.#apply([delivery]);
      return;
    }
    this.#parked.push({ source: failed.source, event: failed.recorded, error: handlerError });
    this.#errors.report(new EventParkedError(this.#name, failed.recorded, { cause: error.cause }));
    try {
      await this.#hooks.apply([], lastCheckpoints(batch)); // moves a stored checkpoint past the parked event
    } catch (storeError) {
      throw this.#failWith(storeError);
    }
    await this.#applied([failed]);
  }

  #advance(delivery: Delivery): void {
    const state = this.#sources.get(delivery.source);
    if (!state) return;
    state.checkpoint = delivery.checkpoint;
    this.#handled++;
    const progress = this.#progress;
    if (progress && ++progress.handled % progress.every === 0)
      progress.report({ handled: progress.handled, total: progress.total });
    if (this.#waiters.size > 0) this.#waiters.release();
  }

  /** Hands the checkpoints `batch` moved to the saver (which saves them by policy). */
  async #saveCheckpoints(batch: readonly Delivery[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const delivery of batch) counts.set(delivery.source, (counts.get(delivery.source) ?? 0) + 1);
    for (const [key, count] of counts) {
      const checkpoint = this.#sources.get(key)?.checkpoint;
      if (!checkpoint) continue;
      try {
        await this.#saver.applied(key, checkpoint, count);
      } catch (error) {
        throw this.#failWith(error);
      }
    }
  }

  /** Applies the partial batch, then saves every pending checkpoint. */
  async #flush(): Promise<void> {
    await this.#applyBatch();
    try {
      await this.#saver.flush();
    } catch (error) {
      throw this.#failWith(error);
    }
  }

  async #loadCheckpoints(): Promise<ReadonlyMap<string, Checkpoint>> {
    this.#loadedCheckpoints ??= this.#hooks.loadCheckpoints().catch((error: unknown) => {
      this.#loadedCheckpoints = undefined; // a later start tries again
      throw error;
    });
    return this.#loadedCheckpoints;
  }

  /** Fails with a storage error from a hook (kept when typed), returning it for the caller to throw. */
  #failWith(error: unknown): ReactiveDomainError {
    const failure =
      error instanceof ReactiveDomainError ? error : new ReadModelFailedError(this.#name, { cause: error });
    this.#fail(failure);
    return failure;
  }

  #fail(error: ReactiveDomainError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#errors.report(error);
    this.#failureSignal.reject(error);
    this.#waiters.rejectAll(error);
    this.#dropBatch();
    // Not awaited: this may run inside a handler, and a listener's stop waits for its running handler.
    for (const state of this.#sources.values()) void state.listener?.stop();
  }
}

/** Where each source of `batch` stands after it: its last delivery's checkpoint. */
function lastCheckpoints(batch: readonly Delivery[]): ReadonlyMap<string, Checkpoint> {
  const result = new Map<string, Checkpoint>();
  for (const delivery of batch) result.set(delivery.source, delivery.checkpoint);
  return result;
}
