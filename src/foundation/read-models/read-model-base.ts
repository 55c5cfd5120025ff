import type { Observable } from 'rxjs';
import type { EventTypeRegistry } from '../../core/event-type-registry';
import type { MessageType } from '../../core/message';
import { InvalidArgumentError, type ReactiveDomainError } from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import type { Checkpoint } from '../subscriptions/checkpoint';
import type { CheckpointStore } from '../subscriptions/checkpoint-store';
import type { ListenerSource } from '../subscriptions/listener-source';
import type { RecordedEventDeserializer } from '../subscriptions/recorded-event-deserializer';
import type { ReconnectOptions } from '../subscriptions/stream-listener';
import { EventRouter } from './event-router';
import { EventProcessor } from './event-processor';
import { checkpointStoreHooks } from './checkpoint-store-hooks';
import { assertOwnerName } from './processor-settings';
import type {
  EventContext,
  HandlerErrorPolicy,
  ParkedEvent,
  ReadModelStatus,
  RebuildOptions,
  RebuildProgress,
  WaitForOptions,
} from './read-model-types';
import { RebuildNotSupportedError } from './read-model.errors';

/** A read-model event handler; may be async (the next event waits for it). */
export type ReadModelHandler<E> = (event: E, context: EventContext) => void | Promise<void>;

/** Options of a {@link ReadModelBase}. */
export interface ReadModelOptions {
  /** The event store the model's sources are read from and subscribed to. */
  readonly store: StreamStore;
  /** Restores events from their stored form (its registry, when exposed, is the model's default registry). */
  readonly serializer: RecordedEventDeserializer;
  /** Where checkpoints are loaded from at start and saved to after handling. Default: none (memory only). */
  readonly checkpoints?: CheckpointStore;
  /**
   * Save a source's checkpoint after this many handled events (default 1: after every event). Whatever the
   * value, pending checkpoints are also saved when the model has been idle for `checkpointIdleMs`, when a source
   * goes live and on `stop()`.
   */
  readonly checkpointEvery?: number;
  /** Quiet period after which pending checkpoints are saved (default 50 ms; only matters with `checkpointEvery` > 1). */
  readonly checkpointIdleMs?: number;
  /**
   * `fail` (default): the model stops on the event — `status` becomes `failed`, `failure` names the event,
   * `whenLive()` rejects and nothing more is handled. `park`: the event is recorded in `parked`, reported on
   * `errors$` as an {@link EventParkedError}, and handling goes on with the next event.
   */
  readonly onHandlerError?: HandlerErrorPolicy;
  /**
   * Stored event types that are not registered: `error` (default) treats them like a handler error (see
   * `onHandlerError`); `skip` steps over them. Registered types the model has no handler for are always skipped:
   * a model follows only the events it routes.
   */
  readonly unknownEventTypes?: 'error' | 'skip';
  /** Reconnection of the model's listeners after a dropped subscription. */
  readonly reconnect?: ReconnectOptions;
  /** Receives every reported error, besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
}

/**
 * Base class of read models: state built by handling events from one or more sources, on the model's own serial
 * queue (one event at a time, in order, whichever source it came from).
 *
 * Handlers, by event type:
 * - by convention, a method `apply<TypeName>(event, context)` named after the registered type (found once per class);
 * - explicitly, `this.on(Type, (event, context) => ...)` in the constructor.
 * Both for one type is a {@link ReadModelRouteError}.
 *
 * Guarantees:
 * - **Idempotent**: each source has a checkpoint (last handled event, exclusive resume); an event at or before it is
 *   ignored, so starting twice, reconnecting or replaying never doubles state.
 * - **Resumable**: with a {@link CheckpointStore}, `start()` resumes each source after its stored checkpoint.
 * - **Never silent**: a handler error fails the model (`status`, `failure`, `errors$`, `whenLive()` rejects) or
 *   parks the event, by policy; dropped subscriptions are reported on `errors$` and reconnected with backoff.
 * - **Rebuildable**: {@link rebuild} drops state (`reset()`) and checkpoints, and replays from the start.
 *
 * @example
 * ```ts
 * class Balances extends ReadModelBase {
 *   static override eventTypes = registry;
 *   readonly balances = new Map<string, number>();
 *   constructor(options: ReadModelOptions) { super('balances', options); }
 *   protected applyDeposited(e: Deposited): void {
 *     this.balances.set(e.accountId, (this.balances.get(e.accountId) ?? 0) + e.amount);
 *   }
 *   protected override reset(): void { this.balances.clear(); }
 * }
 * const model = new Balances({ store, serializer });
 * await model.start(ListenerSources.category('account'));
 * await model.whenLive();
 * ```
 */
export abstract class ReadModelBase {
  /**
   * Registry naming event types for convention routing and unknown-type detection. Default: the serializer's
   * registry when it exposes one, else the process-wide registry. When both are set they must be the same.
   */
  static eventTypes?: EventTypeRegistry;

  readonly #router: EventRouter;
  readonly #processor: EventProcessor;

  /** Errors as they happen: failures, parked events, subscription drops. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(
    /** Non-blank name: the key its checkpoints are stored under, and used in errors and messages. */
    readonly name: string,
    options: ReadModelOptions,
  ) {
    assertOwnerName('ReadModelBase', name);
    if (
      !options ||
      typeof options.store !== 'object' ||
      typeof options.serializer?.deserialize !== 'function'
    ) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: options need a store and a serializer`,
      );
    }
    this.#router = new EventRouter({
      name,
      target: this,
      ctor: new.target,
      stopAt: ReadModelBase.prototype,
      serializer: options.serializer,
      unknownEventTypes: options.unknownEventTypes,
    });
    this.#processor = new EventProcessor({
      name,
      store: options.store,
      hooks: checkpointStoreHooks({
        name,
        checkpoints: options.checkpoints,
        router: this.#router,
        reset: () => this.reset(),
      }),
      checkpointEvery: options.checkpointEvery,
      checkpointIdleMs: options.checkpointIdleMs,
      onHandlerError: options.onHandlerError,
      reconnect: options.reconnect,
      onError: options.onError,
    });
    this.errors$ = this.#processor.errors$;
  }

  // ---- state -------------------------------------------------------------------------------------------------------

  /** Current lifecycle state. */
  get status(): ReadModelStatus {
    return this.#processor.status;
  }

  /** True when every started source has handled its history (and the model has not failed or stopped). */
  get isLive(): boolean {
    return this.status === 'live';
  }

  /** Why the model failed (a {@link ReadModelHandlerError} naming the event, or a listener/checkpoint failure). */
  get failure(): ReactiveDomainError | undefined {
    return this.#processor.failure;
  }

  /** Events set aside by the `park` policy, oldest first. */
  get parked(): readonly ParkedEvent[] {
    return this.#processor.parked;
  }

  /** Events handled (including those without a handler) since the model was created. */
  get handledCount(): number {
    return this.#processor.handledCount;
  }

  /** The checkpoint of every source the model knows, keyed by source key. */
  get checkpoints(): ReadonlyMap<string, Checkpoint> {
    return this.#processor.checkpoints;
  }

  /** The checkpoint of one source: the last event handled from it (undefined: none yet). */
  checkpointOf(source: ListenerSource): Checkpoint | undefined {
    return this.#processor.checkpointOf(source);
  }

  // ---- handlers ----------------------------------------------------------------------------------------------------

  /** Registers the handler for events of exactly `type`. Call it in the constructor. */
  protected on<E extends object>(type: MessageType<E>, handler: ReadModelHandler<E>): void {
    this.#router.on(type, handler);
  }

  /** Reports an error on `errors$` / `onError` (a process warning when nobody listens) without failing the model. */
  protected reportError(error: ReactiveDomainError): void {
    this.#processor.report(error);
  }

  /**
   * Drops the model's state, for {@link rebuild}. Override it: the default throws {@link RebuildNotSupportedError}.
   * A durable model deletes its rows here (checkpoints are dropped by the base class).
   */
  protected reset(): void | Promise<void> {
    throw new RebuildNotSupportedError(this.name);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------------

  /**
   * Starts following `sources` (catch-up from each source's checkpoint, then live). Resolves once the
   * subscriptions are open — await {@link whenLive} for the history. A source that is already being followed is
   * left alone (starting twice never doubles anything). Can be called again later to add sources or after `stop()`.
   *
   * Rejects, starting none of `sources`, when the checkpoints cannot be loaded, when a stored checkpoint does not
   * fit its source, or when one lies past the end of the store ({@link CheckpointPastEndError}: the store was wiped
   * or replaced; `rebuild()` starts over). A failed start does not hold back {@link whenLive}: start again.
   */
  start(...sources: ListenerSource[]): Promise<void> {
    return this.#processor.start(sources);
  }

  /**
   * Resolves when every started source has handled the history that existed when it started (not later appends);
   * at once when nothing is started. Rejects with the failure if the model fails first, or with the error of a
   * `start()` still pending when it was called (a start that already failed is forgotten: start again).
   */
  whenLive(): Promise<void> {
    return this.#processor.whenLive();
  }

  /**
   * Resolves once the model has handled `source` up to `checkpoint` (inclusive). Rejects if the model fails or
   * stops first, or after `options.timeoutMs` (default 30 s) with {@link ReadModelWaitTimeoutError}.
   */
  waitFor(source: ListenerSource, checkpoint: Checkpoint, options?: WaitForOptions): Promise<void>;
  /**
   * Read your own write: resolves once the model has handled every event of its sources at or before the global
   * `position` (e.g. the position an append or a command's outcome reports). A filtered source whose own events
   * end before `position` counts as there. A `stream` checkpoint is accepted when the model follows exactly one
   * stream. Rejects when nothing is started ({@link ReadModelNotStartedError}), if the model fails or stops first,
   * after `options.timeoutMs` (default 30 s) with {@link ReadModelWaitTimeoutError}, or when `options.signal`
   * aborts.
   */
  waitFor(position: bigint | Checkpoint, options?: WaitForOptions): Promise<void>;
  waitFor(
    target: ListenerSource | bigint | Checkpoint,
    checkpointOrOptions?: Checkpoint | WaitForOptions,
    options?: WaitForOptions,
  ): Promise<void> {
    return this.#processor.waitFor(target, checkpointOrOptions, options);
  }

  /** Stops every source. Resolves when no handler runs any more and pending checkpoints are saved. Idempotent. */
  stop(): Promise<void> {
    return this.#processor.stop();
  }

  /**
   * Rebuilds the model from scratch: stops its sources, calls `reset()`, forgets its checkpoints (in memory and in
   * the checkpoint store), clears a failure and the parked events, then replays every source from the start and
   * resolves when it is live again. Progress counts events handled; `total` (when counted) is the number of events
   * the sources held when the rebuild began, so later appends can push `handled` past it.
   */
  rebuild(options: RebuildOptions = {}): Promise<RebuildProgress> {
    return this.#processor.rebuild(options);
  }
}
