import { type Observable, Subject } from 'rxjs';
import { InvalidArgumentError } from '../core/reactive-domain.error';
import { QueueFullError, QueueStopInsideHandlerError, QueueStoppedError } from './queued-handler.errors';
import { reportUnobserved } from './report-unobserved';

/** Options for {@link QueuedHandler}. */
export interface QueuedHandlerOptions<T> {
  /** Name used in errors and failure reports. Default `'queue'`. */
  readonly name?: string;
  /** Most messages that may wait (the one being handled not counted). Positive integer; default unbounded. */
  readonly capacity?: number;
  /**
   * What `enqueue` does when the queue is full: `'wait'` (default) returns a promise that resolves once the
   * message is admitted (producers are admitted in arrival order); `'reject'` rejects with {@link QueueFullError}.
   */
  readonly whenFull?: 'wait' | 'reject';
  /** Called for each handler failure (in addition to {@link QueuedHandler.errors$}). */
  readonly onError?: (failure: QueueFailure<T>) => void;
}

/** A handler failed on a message; the queue went on with the next one. */
export interface QueueFailure<T> {
  /** Name of the queue whose handler failed. */
  readonly queue: string;
  /** The message the handler failed on. */
  readonly message: T;
  /** What the handler threw or rejected with. */
  readonly error: unknown;
}

/** Options for {@link QueuedHandler.stop}. */
export interface StopOptions {
  /**
   * `true` (default): accept nothing more, handle everything already queued, then stop.
   * `false`: accept nothing more, let the message being handled finish, drop the rest (counted in the result).
   * Either way, producers still waiting for room are rejected with {@link QueueStoppedError}.
   */
  readonly drain?: boolean;
}

/** Result of {@link QueuedHandler.stop}. */
export interface StopResult {
  /** Queued messages discarded without being handled (always 0 when draining). */
  readonly dropped: number;
}

interface Waiter<T> {
  readonly message: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A serial async mailbox: messages are handled one at a time, in arrival order (FIFO); an async handler finishes
 * one message before the next starts. Handling never runs on the producer's call stack.
 *
 * A failing handler does not stop the queue: the failure goes to {@link errors$} and `onError` (or, when neither
 * listens, to a process warning) and the next message is handled. Unlike Reactive Domain's `QueuedHandler`, errors
 * are never swallowed and {@link stop} can drain.
 *
 * @example
 * ```ts
 * const queue = new QueuedHandler<AccountOpened>(async (e) => projection.apply(e), { capacity: 1000 });
 * bus.subscribe(AccountOpened, (e) => queue.enqueue(e)); // publish waits while the queue is full
 * await queue.idle();
 * ```
 */
export class QueuedHandler<T> {
  /** The queue's name, used in errors and failure reports (default `'queue'`). */
  readonly name: string;
  private readonly capacity: number;
  private readonly whenFull: 'wait' | 'reject';
  private readonly onError: ((failure: QueueFailure<T>) => void) | undefined;
  private items: T[] = [];
  private head = 0;
  private readonly waiters: Array<Waiter<T>> = [];
  private idleWaiters: Array<() => void> = [];
  private stopWaiters: Array<() => void> = [];
  private pumping = false;
  private handling = false;
  /** True during the synchronous part of a handler call: a `stop()` then comes from the handler itself. */
  private inHandlerCall = false;
  private state: 'open' | 'draining' | 'stopped' = 'open';
  private readonly errorsSubject = new Subject<QueueFailure<T>>();

  /** Every handler failure. */
  readonly errors$: Observable<QueueFailure<T>> = this.errorsSubject.asObservable();

  constructor(
    private readonly handler: (message: T) => void | PromiseLike<void>,
    options: QueuedHandlerOptions<T> = {},
  ) {
    this.name = options.name ?? 'queue';
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (capacity !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(capacity) || capacity <= 0)) {
      throw new InvalidArgumentError(
        `Queue ${JSON.stringify(this.name)}: capacity must be a positive integer, got ${String(capacity)}`,
      );
    }
    this.capacity = capacity;
    this.whenFull = options.whenFull ?? 'wait';
    this.onError = options.onError;
  }

  /** Messages waiting to be handled (not counting the one being handled). */
  get size(): number {
    return this.items.length - this.head;
  }

  /** True while a message is being handled. */
  get busy(): boolean {
    return this.handling;
  }

  /** True once `stop` was called: nothing more is accepted. */
  get stopped(): boolean {
    return this.state !== 'open';
  }

  /**
   * Queues a message. Resolves once it is admitted (at once when there is room), not when it is handled.
   * @throws QueueFullError (rejection) when full and `whenFull` is `'reject'`.
   * @throws QueueStoppedError (rejection) after `stop`, or when `stop` is called while this producer waits for room.
   */
  enqueue(message: T): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new QueueStoppedError(this.name));
    if (this.waiters.length === 0 && this.size < this.capacity) {
      this.admit(message);
      return Promise.resolve();
    }
    if (this.whenFull === 'reject') return Promise.reject(new QueueFullError(this.name, this.capacity));
    return new Promise<void>((resolve, reject) => this.waiters.push({ message, resolve, reject }));
  }

  /** Queues a message if there is room and the queue is open; returns whether it was admitted. Never waits. */
  tryEnqueue(message: T): boolean {
    if (this.state !== 'open' || this.waiters.length > 0 || this.size >= this.capacity) return false;
    this.admit(message);
    return true;
  }

  /** Resolves when nothing is queued and nothing is being handled (at once if that is already so). */
  idle(): Promise<void> {
    if (this.size === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops the queue; see {@link StopOptions} for `drain`. Resolves when the queue has stopped. Calling it again
   * after a draining stop with `drain: false` turns it into an immediate stop.
   *
   * From inside the queue's own handler, awaiting the stop would wait for the handler that awaits it. Called from
   * the handler's synchronous part, this is detected: the stop takes effect all the same, and `stop({ drain: false })`
   * resolves at once (nothing runs after the current message), while a draining stop rejects with
   * {@link QueueStopInsideHandlerError} (already marked handled, so `void queue.stop()` stays quiet). After an
   * `await` inside the handler it cannot be detected: there, never await `stop()` — call `void queue.stop()`.
   */
  stop(options: StopOptions = {}): Promise<StopResult> {
    const drain = options.drain ?? true;
    const insideHandler = this.inHandlerCall;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new QueueStoppedError(this.name));
    let dropped = 0;
    if (drain) {
      if (this.state === 'open') this.state = 'draining';
    } else {
      dropped = this.size;
      this.items = [];
      this.head = 0;
      this.state = 'stopped';
    }
    if (!this.pumping) {
      this.state = 'stopped';
      this.settleIdle();
      return Promise.resolve({ dropped });
    }
    if (insideHandler) {
      if (!drain) return Promise.resolve({ dropped });
      const refused = Promise.reject(new QueueStopInsideHandlerError(this.name));
      refused.catch(() => undefined); // reported to whoever awaits it; not an unhandled rejection otherwise
      return refused;
    }
    return new Promise((resolve) => this.stopWaiters.push(() => resolve({ dropped })));
  }

  private admit(message: T): void {
    this.items.push(message);
    if (!this.pumping) {
      this.pumping = true;
      // Never on the producer's stack: the producer may hold state the handler must not see half-updated.
      queueMicrotask(() => void this.pump());
    }
  }

  private take(): T {
    const message = this.items[this.head] as T;
    (this.items as Array<T | undefined>)[this.head] = undefined; // let it be collected
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.items.push(waiter.message);
      waiter.resolve();
    }
    return message;
  }

  private async pump(): Promise<void> {
    while (this.size > 0 && this.state !== 'stopped') {
      const message = this.take();
      this.handling = true;
      try {
        this.inHandlerCall = true;
        let returned: void | PromiseLike<void>;
        try {
          returned = this.handler(message);
        } finally {
          this.inHandlerCall = false;
        }
        // Sync handlers are handled in one loop; only real promises cost an await.
        if (returned !== undefined && typeof (returned as PromiseLike<void>).then === 'function')
          await returned;
      } catch (error) {
        this.failed(message, error);
      } finally {
        this.handling = false;
      }
    }
    this.pumping = false;
    if (this.state === 'draining') this.state = 'stopped';
    if (this.state === 'stopped') {
      for (const resolve of this.stopWaiters.splice(0)) resolve();
    }
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.size !== 0 || this.pumping) return;
    const waiting = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiting) resolve();
  }

  private failed(message: T, error: unknown): void {
    const failure: QueueFailure<T> = { queue: this.name, message, error };
    let observed = this.errorsSubject.observed;
    if (observed) this.errorsSubject.next(failure);
    if (this.onError) {
      observed = true;
      try {
        this.onError(failure);
      } catch (callbackError) {
        reportUnobserved(`${this.name}: onError threw`, callbackError);
      }
    }
    if (!observed) reportUnobserved(`${this.name}: handler failed`, error);
  }
}
