import type { Observable } from 'rxjs';
import { ClassRoutes, classRoutesOf } from '../../core/class-routes';
import {
  UnknownEventTypeError,
  defaultEventTypes,
  type EventTypeRegistry,
} from '../../core/event-type-registry';
import type { MessageType } from '../../core/message';
import {
  InvalidArgumentError,
  describeValue,
  type ReactiveDomainError,
} from '../../core/reactive-domain.error';
import type { RecordedEvent, StreamStore } from '../../persistence/stream-store';
import { isAfterCheckpoint, type Checkpoint } from '../subscriptions/checkpoint';
import type { CheckpointStore } from '../subscriptions/checkpoint-store';
import { countSourceEvents } from '../subscriptions/count-events';
import { Deferred, ErrorChannel } from '../subscriptions/error-channel';
import {
  CheckpointStoreError,
  EventParkedError,
  ListenerFailedError,
  ListenerHandlerError,
  ListenerStoppedError,
  ReadModelFailedError,
  ReadModelHandlerError,
  ReadModelRouteError,
  RebuildNotSupportedError,
} from '../subscriptions/listener.errors';
import { assertCheckpointFits, sourceKeyOf, type ListenerSource } from '../subscriptions/listener-source';
import { SerialQueue } from '../subscriptions/serial-queue';
import { StreamListener, type ReconnectOptions } from '../subscriptions/stream-listener';

/**
 * Turns a stored event back into an event instance. `EventSerializer` (persistence) implements it; reading a type
 * name that is not registered must throw `UnknownEventTypeError`.
 */
export interface RecordedEventDeserializer {
  /** Restores one stored event; throws for a type name that is not registered. */
  deserialize(recorded: RecordedEvent): {
    /** The restored event instance. */
    readonly event: object;
  };
  /** The registry it resolves type names with, when it exposes one (checked against the model's). */
  readonly registry?: EventTypeRegistry;
}

/** What a handler knows about the event it handles, besides the event itself. */
export interface EventContext {
  /** The stored event (stream, revision, position, raw metadata...). */
  readonly recorded: RecordedEvent;
  /** Key of the source that delivered it (see `sourceKeyOf`). */
  readonly source: string;
  /**
   * The source's checkpoint once this event is handled. A durable model writes it in the same transaction as the
   * state change (see {@link CheckpointStore}).
   */
  readonly checkpoint: Checkpoint;
}

/** A read-model event handler; may be async (the next event waits for it). */
export type ReadModelHandler<E> = (event: E, context: EventContext) => void | Promise<void>;

/** What to do when an event cannot be handled (handler error, undeserialisable payload, unknown type). */
export type HandlerErrorPolicy = 'fail' | 'park';

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
 * Lifecycle of a read model: `idle` (nothing started), `catching-up`, `live` (every started source has handled its
 * history), `stopped`, `rebuilding`, `failed` (see `failure`).
 */
export type ReadModelStatus = 'idle' | 'catching-up' | 'live' | 'stopped' | 'rebuilding' | 'failed';

/** An event set aside by the `park` policy. */
export interface ParkedEvent {
  /** Key of the source that delivered the event (see `sourceKeyOf`). */
  readonly source: string;
  /** The stored event that could not be handled. */
  readonly event: RecordedEvent;
  /** Why it could not be handled (its `cause` is the original error). */
  readonly error: ReadModelHandlerError;
}

/** Progress of a rebuild. `total` is the number of events the sources held when the rebuild started. */
export interface RebuildProgress {
  /** Events handled so far in this rebuild. */
  readonly handled: number;
  /** Events the sources held when the rebuild started; undefined when counting was turned off. */
  readonly total: number | undefined;
}

/** Options of {@link ReadModelBase.rebuild}. */
export interface RebuildOptions {
  /** Called every `progressEvery` events and once at the end. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Default 1000. */
  readonly progressEvery?: number;
  /** Count the events first so progress has a `total` (costs one extra read pass). Default true. */
  readonly countTotal?: boolean;
}

type Route = (this: object, event: object, context: EventContext) => unknown;

interface SourceState {
  readonly source: ListenerSource;
  readonly key: string;
  checkpoint: Checkpoint | undefined;
  /** Handled events whose checkpoint is not saved yet. */
  unsaved: number;
  listener: StreamListener | undefined;
}

interface Waiter {
  readonly key: string;
  readonly checkpoint: Checkpoint;
  readonly deferred: Deferred<void>;
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

  readonly #store: StreamStore;
  readonly #serializer: RecordedEventDeserializer;
  readonly #checkpointStore: CheckpointStore | undefined;
  readonly #checkpointEvery: number;
  readonly #checkpointIdleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #policy: HandlerErrorPolicy;
  readonly #skipUnknown: boolean;
  readonly #reconnect: ReconnectOptions | undefined;
  readonly #errors: ErrorChannel;
  readonly #queue = new SerialQueue();
  readonly #classRoutes: ClassRoutes;
  readonly #registry: EventTypeRegistry;
  readonly #explicit = new Map<Function, Route>();
  /** Route per stored type name; null = registered but not handled; undefined entry = not resolved yet. */
  readonly #routes = new Map<string, Route | null | 'unknown'>();
  readonly #sources = new Map<string, SourceState>();
  readonly #parked: ParkedEvent[] = [];
  #waiters: Waiter[] = [];
  #failureSignal = new Deferred<never>();
  #failure: ReactiveDomainError | undefined;
  #loadedCheckpoints: Promise<ReadonlyMap<string, Checkpoint>> | undefined;
  #starting: Promise<void>[] = [];
  #stopped = false;
  #rebuilding = false;
  #handled = 0;
  #progress:
    | { every: number; report: (p: RebuildProgress) => void; total: number | undefined; handled: number }
    | undefined;

  /** Errors as they happen: failures, parked events, subscription drops. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(
    /** Non-blank name: the key its checkpoints are stored under, and used in errors and messages. */
    readonly name: string,
    options: ReadModelOptions,
  ) {
    if (typeof name !== 'string' || name.trim().length === 0) {
      throw new InvalidArgumentError(
        `ReadModelBase: name must be a non-blank string, got ${describeValue(name)}`,
      );
    }
    if (
      !options ||
      typeof options.store !== 'object' ||
      typeof options.serializer?.deserialize !== 'function'
    ) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: options need a store and a serializer`,
      );
    }
    const every = options.checkpointEvery ?? 1;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: checkpointEvery must be a positive integer, got ${describeValue(every)}`,
      );
    }
    const idleMs = options.checkpointIdleMs ?? 50;
    if (!Number.isFinite(idleMs) || idleMs < 0) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: checkpointIdleMs must be >= 0, got ${describeValue(idleMs)}`,
      );
    }
    const policy = options.onHandlerError ?? 'fail';
    if (policy !== 'fail' && policy !== 'park') {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: onHandlerError must be 'fail' or 'park', got ${describeValue(policy)}`,
      );
    }
    const unknown = options.unknownEventTypes ?? 'error';
    if (unknown !== 'error' && unknown !== 'skip') {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: unknownEventTypes must be 'error' or 'skip', got ${describeValue(unknown)}`,
      );
    }
    this.#store = options.store;
    this.#serializer = options.serializer;
    this.#checkpointStore = options.checkpoints;
    this.#checkpointEvery = every;
    this.#checkpointIdleMs = idleMs;
    this.#policy = policy;
    this.#skipUnknown = unknown === 'skip';
    this.#reconnect = options.reconnect;
    this.#errors = new ErrorChannel(`Read model ${JSON.stringify(name)}`, options.onError);
    this.errors$ = this.#errors.errors$;
    const declared = (new.target as { eventTypes?: EventTypeRegistry }).eventTypes;
    const fromSerializer = options.serializer.registry;
    if (declared !== undefined && fromSerializer !== undefined && declared !== fromSerializer) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: the serializer uses another event-type registry than the model ` +
          `(static eventTypes); set ${new.target.name}.eventTypes to the serializer's registry`,
      );
    }
    this.#registry = declared ?? fromSerializer ?? defaultEventTypes;
    this.#classRoutes = routesOf(new.target, this.#registry);
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

  /** True when every started source has handled its history (and the model has not failed or stopped). */
  get isLive(): boolean {
    return this.status === 'live';
  }

  /** Why the model failed (a {@link ReadModelHandlerError} naming the event, or a listener/checkpoint failure). */
  get failure(): ReactiveDomainError | undefined {
    return this.#failure;
  }

  /** Events set aside by the `park` policy, oldest first. */
  get parked(): readonly ParkedEvent[] {
    return this.#parked;
  }

  /** Events handled (including those without a handler) since the model was created. */
  get handledCount(): number {
    return this.#handled;
  }

  /** The checkpoint of every source the model knows, keyed by source key. */
  get checkpoints(): ReadonlyMap<string, Checkpoint> {
    const result = new Map<string, Checkpoint>();
    for (const [key, state] of this.#sources) if (state.checkpoint) result.set(key, state.checkpoint);
    return result;
  }

  /** The checkpoint of one source: the last event handled from it (undefined: none yet). */
  checkpointOf(source: ListenerSource): Checkpoint | undefined {
    return this.#sources.get(sourceKeyOf(source))?.checkpoint;
  }

  // ---- handlers ----------------------------------------------------------------------------------------------------

  /** Registers the handler for events of exactly `type`. Call it in the constructor. */
  protected on<E extends object>(type: MessageType<E>, handler: ReadModelHandler<E>): void {
    if (typeof type !== 'function' || typeof handler !== 'function') {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(this.name)}: on(type, handler) needs a class and a function`,
      );
    }
    const label = this.#registry.nameOfType(type) ?? type.name;
    if (this.#explicit.has(type)) {
      throw new ReadModelRouteError(
        `Read model ${JSON.stringify(this.name)}: a handler for ${label} is already registered`,
      );
    }
    const convention = this.#classRoutes.conventionMethodFor(type);
    if (convention) {
      throw new ReadModelRouteError(
        `Read model ${JSON.stringify(this.name)}: ${label} has both a convention method ${convention}() and an on() handler; keep one`,
      );
    }
    this.#explicit.set(type, (event, context) => (handler as ReadModelHandler<object>)(event, context));
    this.#routes.clear();
  }

  /** Reports an error on `errors$` / `onError` (a process warning when nobody listens) without failing the model. */
  protected reportError(error: ReactiveDomainError): void {
    this.#errors.report(error);
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
   */
  start(...sources: ListenerSource[]): Promise<void> {
    if (this.#failure) return Promise.reject(new ReadModelFailedError(this.name, { cause: this.#failure }));
    for (const source of sources) sourceKeyOf(source); // validate shape before anything starts
    this.#stopped = false;
    const starting = this.#start(sources);
    this.#starting.push(starting);
    starting.catch(() => undefined);
    return starting;
  }

  async #start(sources: readonly ListenerSource[]): Promise<void> {
    const stored = await this.#loadCheckpoints();
    for (const source of sources) {
      const key = sourceKeyOf(source);
      let state = this.#sources.get(key);
      if (state?.listener && state.listener.status !== 'stopped') continue;
      if (!state) {
        const checkpoint = stored.get(key);
        assertCheckpointFits(source, checkpoint);
        state = { source, key, checkpoint, unsaved: 0, listener: undefined };
        this.#sources.set(key, state);
      }
      this.#listen(state);
    }
  }

  #listen(state: SourceState): void {
    const listener = new StreamListener(
      this.#store,
      state.source,
      (event, checkpoint) => this.#enqueue(state, event, checkpoint),
      {
        ...(state.checkpoint ? { after: state.checkpoint } : {}),
        ...(this.#reconnect ? { reconnect: this.#reconnect } : {}),
        onError: (error) => this.#onListenerError(error),
      },
    );
    state.listener = listener;
    listener.start();
    // Save pending checkpoints when the source goes live; failures surface through whenLive()/failure.
    listener.whenLive().then(
      () => this.#queue.run(() => this.#flush()).catch(() => undefined),
      () => undefined,
    );
  }

  #onListenerError(error: ReactiveDomainError): void {
    // The model already reported its own failure; the listener's echo of it would be noise.
    if (
      error instanceof ListenerHandlerError &&
      (error.cause instanceof ReadModelHandlerError || error.cause instanceof ReadModelFailedError)
    )
      return;
    if (error instanceof ListenerHandlerError && error.cause === this.#failure) return;
    if (error instanceof ListenerFailedError) {
      this.#fail(error);
      return;
    }
    this.#errors.report(error);
  }

  /**
   * Resolves when every started source has handled the history that existed when it started (not later appends);
   * at once when nothing is started. Rejects with the failure if the model fails first.
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
      } catch (error) {
        throw this.#failure ?? error;
      }
    })();
    const result = Promise.race([all, this.#failureSignal.promise]);
    all.catch(() => undefined);
    return result;
  }

  /**
   * Resolves once the model has handled `source` up to `checkpoint` (inclusive) — e.g. after appending, to read your
   * own write. Rejects if the model fails first.
   */
  waitFor(source: ListenerSource, checkpoint: Checkpoint): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    assertCheckpointFits(source, checkpoint);
    const key = sourceKeyOf(source);
    if (reached(this.#sources.get(key)?.checkpoint, checkpoint)) return Promise.resolve();
    const deferred = new Deferred<void>();
    this.#waiters.push({ key, checkpoint, deferred });
    return deferred.promise;
  }

  /** Stops every source. Resolves when no handler runs any more and pending checkpoints are saved. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#stopListeners();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    await this.#queue.run(() => this.#flush()).catch(() => undefined);
    for (const waiter of this.#waiters)
      waiter.deferred.reject(new ListenerStoppedError(`read model ${JSON.stringify(this.name)}`));
    this.#waiters = [];
  }

  async #stopListeners(): Promise<void> {
    await Promise.allSettled(this.#starting);
    this.#starting = [];
    await Promise.all([...this.#sources.values()].map((s) => s.listener?.stop()));
    await this.#queue.idle();
  }

  /**
   * Rebuilds the model from scratch: stops its sources, calls `reset()`, forgets its checkpoints (in memory and in
   * the checkpoint store), clears a failure and the parked events, then replays every source from the start and
   * resolves when it is live again. Progress counts events handled; `total` (when counted) is the number of events
   * the sources held when the rebuild began, so later appends can push `handled` past it.
   */
  async rebuild(options: RebuildOptions = {}): Promise<RebuildProgress> {
    const every = options.progressEvery ?? 1000;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new InvalidArgumentError(
        `rebuild: progressEvery must be a positive integer, got ${describeValue(every)}`,
      );
    }
    const sources = [...this.#sources.values()].map((s) => s.source);
    this.#rebuilding = true;
    try {
      await this.#stopListeners();
      await this.reset();
      this.#sources.clear();
      if (this.#checkpointStore) {
        try {
          await this.#checkpointStore.delete(this.name);
        } catch (error) {
          throw new CheckpointStoreError(this.name, 'delete', { cause: error });
        }
      }
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
      await this.start(...sources);
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

  #enqueue(state: SourceState, event: RecordedEvent, checkpoint: Checkpoint): Promise<void> {
    return this.#queue.run(() => this.#handle(state, event, checkpoint));
  }

  async #handle(state: SourceState, recorded: RecordedEvent, checkpoint: Checkpoint): Promise<void> {
    if (this.#failure) throw new ReadModelFailedError(this.name, { cause: this.#failure });
    if (!isAfterCheckpoint(recorded, state.checkpoint)) return; // already handled: idempotent re-delivery
    const route = this.#routeOf(recorded.type);
    if (route !== null && !(route === 'unknown' && this.#skipUnknown)) {
      try {
        if (route === 'unknown')
          throw new UnknownEventTypeError(recorded.type, recorded.streamName, recorded.revision);
        const { event } = this.#serializer.deserialize(recorded);
        const result = route.call(this, event, { recorded, source: state.key, checkpoint });
        if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function') await result;
      } catch (error) {
        if (error instanceof UnknownEventTypeError && this.#skipUnknown) {
          // The serializer's registry did not know the type either: skipped, by option.
        } else {
          const failure = new ReadModelHandlerError(this.name, state.key, recorded, { cause: error });
          if (this.#policy === 'fail') {
            this.#fail(failure);
            throw failure;
          }
          this.#parked.push({ source: state.key, event: recorded, error: failure });
          this.#errors.report(new EventParkedError(this.name, recorded, { cause: error }));
        }
      }
    }
    state.checkpoint = checkpoint;
    state.unsaved++;
    this.#handled++;
    const progress = this.#progress;
    if (progress && ++progress.handled % progress.every === 0)
      progress.report({ handled: progress.handled, total: progress.total });
    if (state.unsaved >= this.#checkpointEvery) await this.#save(state);
    else this.#scheduleIdleSave();
    if (this.#waiters.length > 0) this.#release(state);
  }

  /** Saves pending checkpoints once no event has been handled for `checkpointIdleMs`. */
  #scheduleIdleSave(): void {
    if (this.#idleTimer || !this.#checkpointStore) return;
    const handledAtSchedule = this.#handled;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#handled !== handledAtSchedule) this.#scheduleIdleSave();
      else void this.#queue.run(() => this.#flush()).catch(() => undefined); // a failure is reported by #save
    }, this.#checkpointIdleMs);
    this.#idleTimer.unref(); // a pending checkpoint save must not keep the process alive; stop() flushes anyway
  }

  /** The route for a stored type name, resolved once per name. */
  #routeOf(typeName: string): Route | null | 'unknown' {
    let route = this.#routes.get(typeName);
    if (route === undefined) {
      const entry = this.#registry.entryOfName(typeName);
      if (!entry) route = 'unknown';
      else
        route =
          this.#explicit.get(entry.type) ??
          (this.#classRoutes.routeFor(entry.type) as Route | undefined) ??
          null;
      this.#routes.set(typeName, route);
    }
    return route;
  }

  async #save(state: SourceState): Promise<void> {
    if (state.unsaved === 0 || !state.checkpoint) return;
    if (!this.#checkpointStore) {
      state.unsaved = 0;
      return;
    }
    try {
      await this.#checkpointStore.save(this.name, state.key, state.checkpoint);
      state.unsaved = 0;
    } catch (error) {
      const failure = new CheckpointStoreError(this.name, 'save', { cause: error });
      this.#fail(failure);
      throw failure;
    }
  }

  async #flush(): Promise<void> {
    for (const state of this.#sources.values()) await this.#save(state);
  }

  async #loadCheckpoints(): Promise<ReadonlyMap<string, Checkpoint>> {
    if (!this.#checkpointStore) return new Map();
    const store = this.#checkpointStore;
    this.#loadedCheckpoints ??= store.load(this.name).catch((error: unknown) => {
      this.#loadedCheckpoints = undefined;
      throw new CheckpointStoreError(this.name, 'load', { cause: error });
    });
    return this.#loadedCheckpoints;
  }

  #release(state: SourceState): void {
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.key === state.key && reached(state.checkpoint, waiter.checkpoint)) waiter.deferred.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  #fail(error: ReactiveDomainError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#errors.report(error);
    this.#failureSignal.reject(error);
    for (const waiter of this.#waiters) waiter.deferred.reject(error);
    this.#waiters = [];
    // Not awaited: this may run inside a handler, and a listener's stop waits for its running handler.
    for (const state of this.#sources.values()) void state.listener?.stop();
  }
}

const foreignRoutes = new WeakMap<Function, WeakMap<EventTypeRegistry, ClassRoutes>>();

/** Convention routes of a model class under `registry`, discovered once per (class, registry). */
function routesOf(ctor: Function, registry: EventTypeRegistry): ClassRoutes {
  const declared = classRoutesOf(ctor, ReadModelBase.prototype);
  if (declared.registry === registry) return declared;
  let byRegistry = foreignRoutes.get(ctor);
  if (!byRegistry) foreignRoutes.set(ctor, (byRegistry = new WeakMap()));
  let routes = byRegistry.get(registry);
  if (!routes)
    byRegistry.set(
      registry,
      (routes = new ClassRoutes(ctor.prototype as object, ReadModelBase.prototype, registry, false)),
    );
  return routes;
}

function reached(current: Checkpoint | undefined, target: Checkpoint): boolean {
  if (!current || current.kind !== target.kind) return false;
  return current.kind === 'stream'
    ? current.revision >= (target as { revision: number }).revision
    : current.position >= (target as { position: bigint }).position;
}
