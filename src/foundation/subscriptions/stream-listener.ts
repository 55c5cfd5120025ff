import {
  InvalidArgumentError,
  describeValue,
  type ReactiveDomainError,
} from '../../core/reactive-domain.error';
import { SubscriptionDroppedError } from '../../persistence/stream-store.errors';
import type {
  RecordedEvent,
  StoreSubscription,
  StreamStore,
  SubscriptionHandlers,
} from '../../persistence/stream-store';
import { checkpointOf, isAfterCheckpoint, type Checkpoint } from './checkpoint';
import { Deferred, ErrorChannel } from './error-channel';
import {
  ListenerAlreadyStartedError,
  ListenerFailedError,
  ListenerHandlerError,
  ListenerStoppedError,
} from './listener.errors';
import {
  allFilterOf,
  assertCheckpointFits,
  checkpointKindOf,
  describeSource,
  type ListenerSource,
} from './listener-source';
import type { Observable } from 'rxjs';

/**
 * Handles one event. Events arrive one at a time, in order: the next is delivered only after the returned promise
 * settles. `checkpoint` is where the listener will stand once this handler succeeds.
 */
export type ListenerEventHandler = (event: RecordedEvent, checkpoint: Checkpoint) => void | Promise<void>;

/** Reconnection after a dropped subscription: exponential backoff, bounded in attempts and delay. */
export interface ReconnectOptions {
  /**
   * Consecutive reconnect attempts (without progress in between) before the listener gives up and fails.
   * Default 10. 0 disables reconnection: the first drop fails the listener.
   */
  readonly maxAttempts?: number;
  /** Delay before the first attempt, in ms. Default 100. */
  readonly initialDelayMs?: number;
  /** Upper bound of any delay, in ms. Default 10,000. */
  readonly maxDelayMs?: number;
  /** Multiplier between attempts. Default 2. */
  readonly factor?: number;
}

/** Options of a {@link StreamListener}. */
export interface StreamListenerOptions {
  /** Resume after this checkpoint (exclusive). Default: from the start. Must fit the source's checkpoint kind. */
  readonly after?: Checkpoint;
  /** Reconnection after a dropped subscription (each field defaults as documented on {@link ReconnectOptions}). */
  readonly reconnect?: ReconnectOptions;
  /** Called with every reported error (drops, reconnect failures, handler failures), besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
}

/**
 * Lifecycle of a listener:
 * `idle` → `catching-up` → `live`; a drop goes through `reconnecting` back to `catching-up`/`live`;
 * `failed` (handler error or reconnects exhausted) and `stopped` are final.
 */
export type ListenerStatus = 'idle' | 'catching-up' | 'live' | 'reconnecting' | 'failed' | 'stopped';

const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  maxAttempts: 10,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
};

/**
 * Follows one source (a stream, a category, an event type or `$all`) of a {@link StreamStore}: catch-up from a
 * checkpoint (exclusive), then live.
 *
 * Reliability rules (where Reactive Domain's listener was silent):
 * - {@link whenLive} resolves once every event that existed when the listener started has been handled, and does
 *   not wait for later appends. It rejects if the listener fails or is stopped first.
 * - A dropped subscription is reported on {@link errors$} (and `onError`) and re-established from the last
 *   handled event with exponential backoff. After `reconnect.maxAttempts` consecutive drops without progress the
 *   listener enters the `failed` state ({@link failure}) and `whenLive()` rejects.
 * - A handler error is not retried: the listener fails with a {@link ListenerHandlerError} naming the event.
 * - The checkpoint advances only after the handler succeeded, and an event at or before it is never delivered
 *   again, so a reconnect neither loses nor repeats events.
 * - {@link stop} resolves when no handler runs any more; none runs afterwards.
 *
 * A listener runs once: to restart, create a new one from {@link checkpoint}.
 *
 * @example
 * ```ts
 * const listener = new StreamListener(store, ListenerSources.category('account'), async (event, checkpoint) => {
 *   await project(event);
 *   await saveCheckpoint(checkpoint);
 * }, { after: loadedCheckpoint });
 * listener.start();
 * await listener.whenLive();
 * ```
 */
export class StreamListener {
  private readonly store: StreamStore;
  private readonly handler: ListenerEventHandler;
  private readonly reconnect: Required<ReconnectOptions>;
  private readonly errors: ErrorChannel;
  private readonly live = new Deferred<void>();
  private readonly kind: Checkpoint['kind'];
  private readonly typeFilter: ReadonlySet<string> | undefined;
  private readonly description: string;
  private state: ListenerStatus = 'idle';
  private lastCheckpoint: Checkpoint | undefined;
  private subscription: StoreSubscription | undefined;
  private generation = 0;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failedWith: ReactiveDomainError | undefined;
  private stopping: Promise<void> | undefined;
  private handled = 0;
  private wentLive = false;

  /** Errors as they happen: drops (`SubscriptionDroppedError`), then `ListenerFailedError` or `ListenerHandlerError`. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(
    store: StreamStore,
    /** What the listener follows. */
    readonly source: ListenerSource,
    handler: ListenerEventHandler,
    options: StreamListenerOptions = {},
  ) {
    if (typeof handler !== 'function')
      throw new InvalidArgumentError(
        `StreamListener: handler must be a function, got ${describeValue(handler)}`,
      );
    assertCheckpointFits(source, options.after);
    this.store = store;
    this.handler = handler;
    this.reconnect = validReconnect(options.reconnect);
    this.description = describeSource(source);
    this.errors = new ErrorChannel(`StreamListener(${this.description})`, options.onError);
    this.errors$ = this.errors.errors$;
    this.kind = checkpointKindOf(source);
    this.lastCheckpoint = options.after;
    this.typeFilter = source.kind === 'eventType' ? new Set(source.types) : undefined;
  }

  /** Current lifecycle state. */
  get status(): ListenerStatus {
    return this.state;
  }

  /** True once the history that existed at start has been handled (stays true through later reconnects). */
  get isLive(): boolean {
    return this.wentLive && this.state !== 'failed' && this.state !== 'stopped';
  }

  /** The last handled event's checkpoint (or the one passed as `after`); undefined when nothing was handled. */
  get checkpoint(): Checkpoint | undefined {
    return this.lastCheckpoint;
  }

  /** Events handled by this listener since it started. */
  get handledCount(): number {
    return this.handled;
  }

  /** Why the listener failed, when `status` is `failed`. */
  get failure(): ReactiveDomainError | undefined {
    return this.failedWith;
  }

  /** Subscribes (catch-up from the checkpoint, then live). Throws when called twice. */
  start(): this {
    if (this.state !== 'idle') throw new ListenerAlreadyStartedError(this.description);
    this.subscribe();
    return this;
  }

  /**
   * Resolves when the history that existed at start has been handled. Rejects with the failure when the listener
   * fails first, or with {@link ListenerStoppedError} when stopped first.
   */
  whenLive(): Promise<void> {
    return this.live.promise;
  }

  /** Stops delivery and reconnection. Resolves when no handler runs any more. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.halt();
    return this.stopping;
  }

  private async halt(): Promise<void> {
    const wasFailed = this.state === 'failed';
    if (!wasFailed) this.state = 'stopped';
    this.generation++; // late callbacks of the current subscription become stale
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    this.live.reject(new ListenerStoppedError(this.description));
    if (subscription) await subscription.close();
    await this.inFlight;
    this.errors.complete();
  }

  private subscribe(): void {
    const generation = ++this.generation;
    this.state = 'catching-up';
    const handlers: SubscriptionHandlers = {
      onEvent: (event) => this.onEvent(generation, event),
      onLive: () => this.onLive(generation),
      onDropped: (error) => this.onDropped(generation, error),
    };
    const source = this.source;
    const checkpoint = this.lastCheckpoint;
    try {
      if (source.kind === 'stream') {
        const after = checkpoint?.kind === 'stream' ? checkpoint.revision : 'start';
        this.subscription = this.store.subscribeToStream(source.streamName, { after }, handlers);
      } else {
        const after = checkpoint?.kind === 'all' ? checkpoint.position : 'start';
        const filter = allFilterOf(source);
        this.subscription = this.store.subscribeToAll(filter ? { after, filter } : { after }, handlers);
      }
    } catch (error) {
      // A store that throws on subscribe (e.g. connection refused) is treated like a drop: retried with backoff.
      this.onDropped(
        generation,
        new SubscriptionDroppedError(this.description, 'server_error', { cause: error }),
      );
    }
  }

  private onEvent(generation: number, event: RecordedEvent): Promise<void> | void {
    if (generation !== this.generation) return; // a stale or stopped subscription: never run the handler
    if (!isAfterCheckpoint(event, this.lastCheckpoint)) return; // re-delivery after a reconnect: already handled
    if (this.typeFilter && !this.typeFilter.has(event.type)) return; // type prefix matched, exact name did not
    const checkpoint = checkpointOf(event, this.kind);
    const run = this.run(event, checkpoint);
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  private async run(event: RecordedEvent, checkpoint: Checkpoint): Promise<void> {
    try {
      await this.handler(event, checkpoint);
    } catch (error) {
      this.fail(new ListenerHandlerError(this.description, event, { cause: error }));
      throw error; // makes the store drop this subscription (reason handler_error), which is now stale
    }
    this.lastCheckpoint = checkpoint;
    this.handled++;
    this.attempts = 0; // progress: the next drop starts a fresh backoff
  }

  private onLive(generation: number): void {
    if (generation !== this.generation) return;
    this.state = 'live';
    this.wentLive = true;
    this.attempts = 0;
    this.live.resolve();
  }

  private onDropped(generation: number, error: SubscriptionDroppedError): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.subscription = undefined;
    this.errors.report(error);
    if (error.reason === 'handler_error') {
      // Our own handler failure was already reported by run; anything else is unexpected but fails the same way.
      if (this.failedWith === undefined) this.fail(error);
      return;
    }
    this.attempts++;
    if (this.attempts > this.reconnect.maxAttempts) {
      this.fail(new ListenerFailedError(this.description, this.attempts - 1, { cause: error }));
      return;
    }
    this.state = 'reconnecting';
    const delay = Math.min(
      this.reconnect.maxDelayMs,
      this.reconnect.initialDelayMs * this.reconnect.factor ** (this.attempts - 1),
    );
    const reconnectGeneration = this.generation;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Wait for a handler of the dropped subscription to finish, so two never overlap and the checkpoint is final.
      void Promise.resolve(this.inFlight).then(() => {
        if (reconnectGeneration === this.generation && this.state === 'reconnecting') this.subscribe();
      });
    }, delay);
  }

  private fail(error: ReactiveDomainError): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = 'failed';
    this.failedWith = error;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.errors.report(error);
    this.live.reject(error);
  }
}

function validReconnect(options: ReconnectOptions | undefined): Required<ReconnectOptions> {
  const merged = { ...DEFAULT_RECONNECT, ...stripUndefined(options) };
  const check = (name: keyof ReconnectOptions, min: number, integer: boolean): void => {
    const value = merged[name];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      (integer && !Number.isSafeInteger(value))
    ) {
      throw new InvalidArgumentError(
        `reconnect.${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${describeValue(value)}`,
      );
    }
  };
  check('maxAttempts', 0, true);
  check('initialDelayMs', 0, false);
  check('maxDelayMs', 0, false);
  check('factor', 1, false);
  return merged;
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
