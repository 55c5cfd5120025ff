import { Observable, Subject } from 'rxjs';
import type { Message, MessageType } from '../core/message';
import { ConflictingSubscriptionError } from './bus.errors';
import { describeMessage } from './describe-type';
import { reportUnobserved } from './report-unobserved';

/**
 * Handles one message. It may be async: `publish` waits for the returned promise. A throw or rejection is isolated
 * (the other handlers still run) and reported on {@link InMemoryBus.errors$} and in the {@link PublishResult}.
 */
export type MessageHandler<T> = (message: T) => void | PromiseLike<void>;

/** Options for {@link InMemoryBus.subscribe}. */
export interface SubscribeOptions {
  /**
   * Deliver only messages whose class is exactly the subscribed one, not its subclasses (Reactive Domain's
   * `includeDerived: false`). Default `false`: a subscription to a class also receives its subclasses.
   */
  readonly exactType?: boolean;
}

/** Handle returned by a subscription; `unsubscribe()` is idempotent. */
export interface BusSubscription {
  /** Stops delivery to the handler (or removes the registration); calling it again does nothing. */
  unsubscribe(): void;
  /** True once unsubscribed. */
  readonly closed: boolean;
}

/** A handler failed on a message. Emitted on {@link InMemoryBus.errors$} and listed in the {@link PublishResult}. */
export interface HandlerFailure {
  /** The message the handler failed on. */
  readonly message: Message;
  /** The handler that failed (the function passed to `subscribe`/`subscribeToAll`). */
  readonly handler: MessageHandler<never>;
  /** The type it was subscribed to; `undefined` for a `subscribeToAll` handler. */
  readonly subscribedType: MessageType | undefined;
  /** What the handler threw or rejected with. */
  readonly error: unknown;
}

/** What happened to one published message, once every handler has finished. */
export interface PublishResult {
  /** The published message. */
  readonly message: Message;
  /** Number of handlers the message was delivered to. */
  readonly delivered: number;
  /** The handlers that failed, in the order they failed (an async handler fails when it settles); empty when all succeeded. */
  readonly errors: readonly HandlerFailure[];
}

/** One subscription record. `sequence` orders delivery across types (subscription order, as in Reactive Domain). */
interface Entry {
  readonly handler: MessageHandler<Message>;
  readonly type: MessageType | undefined;
  readonly exactType: boolean;
  readonly sequence: number;
  active: boolean;
}

const EMPTY: readonly Entry[] = [];

/**
 * In-process publish/subscribe bus built on RxJS.
 *
 * Delivery:
 * - A subscription to a class receives instances of that class and of its subclasses (found by walking the
 *   constructor's prototype chain once per concrete class; the result is cached until the next subscribe or
 *   unsubscribe — no per-publish reflection), unless subscribed with `exactType: true`.
 * - Handlers are invoked in subscription order. Messages are delivered in publish order to every subscriber
 *   (FIFO): a message published from inside a handler is queued and delivered after the current message has been
 *   handed to all its handlers, never depth-first. The synchronous part of each handler runs in that order; the
 *   awaited parts of async handlers may overlap with later messages — wrap a handler in a `QueuedHandler` when it
 *   must finish one message before starting the next.
 * - `publish` resolves (never rejects) once every handler has finished, with the failures listed. A failing handler
 *   does not stop the others; its error is also emitted on {@link errors$} (or, when nobody observes `errors$`,
 *   reported as a process warning). No unhandled promise rejection escapes the bus.
 *
 * Unlike Reactive Domain's bus, the same handler subscribed to a class and to its subclass is two subscriptions and
 * receives a subclass message twice; subscribing it twice to the same class is idempotent.
 */
export class InMemoryBus {
  private readonly byType = new Map<MessageType, Entry[]>();
  private allEntries: Entry[] = [];
  /** Resolved, ordered handler list per concrete constructor; cleared on every subscription change. */
  private readonly resolved = new Map<unknown, readonly Entry[]>();
  private sequence = 0;
  private readonly errorsSubject = new Subject<HandlerFailure>();
  /** Messages published while a dispatch is running (re-entrant publish), delivered in order after it. */
  private readonly pending: Array<{ message: Message; done: (result: PublishResult) => void }> = [];
  private dispatching = false;

  /** Every handler failure, with the message and the handler. */
  readonly errors$: Observable<HandlerFailure> = this.errorsSubject.asObservable();

  /** Every message published on this bus, as it is delivered. */
  readonly all$: Observable<Message> = new Observable<Message>((subscriber) => {
    const subscription = this.subscribeToAll((message) => subscriber.next(message));
    return () => subscription.unsubscribe();
  });

  /** Optional name, used in failure reports. */
  constructor(
    /** Names the bus in warnings about unobserved handler failures (default `'bus'`). */
    readonly name = 'bus',
  ) {}

  /**
   * Publishes a message to every matching handler. Resolves when all of them have finished (async ones included);
   * never rejects — failures are in the result and on {@link errors$}.
   */
  publish(message: Message): Promise<PublishResult> {
    if (this.dispatching) {
      return new Promise((done) => this.pending.push({ message, done }));
    }
    this.dispatching = true;
    try {
      const result = this.dispatch(message);
      this.drain();
      return result;
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * Subscribes `handler` to messages of `type` (and its subclasses unless `exactType`). Subscribing the same
   * handler to the same type again returns a handle to the existing subscription.
   * @throws ConflictingSubscriptionError when it is already subscribed to that type with a different `exactType`.
   */
  subscribe<T extends Message>(
    type: MessageType<T>,
    handler: MessageHandler<T>,
    options?: SubscribeOptions,
  ): BusSubscription {
    const exactType = options?.exactType ?? false;
    const entries = this.byType.get(type) ?? [];
    const existing = entries.find((e) => e.handler === handler);
    if (existing) {
      if (existing.exactType !== exactType) throw new ConflictingSubscriptionError(type);
      return this.handle(existing);
    }
    const entry: Entry = {
      handler: handler as MessageHandler<Message>,
      type,
      exactType,
      sequence: this.sequence++,
      active: true,
    };
    // Copy-on-write: a dispatch in progress keeps iterating the list it resolved.
    this.byType.set(type, [...entries, entry]);
    this.resolved.clear();
    return this.handle(entry);
  }

  /** Subscribes `handler` to every message published on this bus (idempotent for the same handler). */
  subscribeToAll(handler: MessageHandler<Message>): BusSubscription {
    const existing = this.allEntries.find((e) => e.handler === handler);
    if (existing) return this.handle(existing);
    const entry: Entry = {
      handler,
      type: undefined,
      exactType: false,
      sequence: this.sequence++,
      active: true,
    };
    this.allEntries = [...this.allEntries, entry];
    this.resolved.clear();
    return this.handle(entry);
  }

  /** Messages of `type` (and its subclasses unless `exactType`) as an Observable; each subscriber is one handler. */
  observe<T extends Message>(type: MessageType<T>, options?: SubscribeOptions): Observable<T> {
    return new Observable<T>((subscriber) => {
      const subscription = this.subscribe(type, (message: T) => subscriber.next(message), options);
      return () => subscription.unsubscribe();
    });
  }

  /** True when a published instance of `type` would reach at least one handler (all-message handlers included). */
  hasSubscriberFor(type: MessageType): boolean {
    return this.handlersFor(type).length > 0;
  }

  private handle(entry: Entry): BusSubscription {
    return {
      unsubscribe: () => this.remove(entry),
      get closed() {
        return !entry.active;
      },
    };
  }

  private remove(entry: Entry): void {
    if (!entry.active) return;
    entry.active = false; // stops delivery at once, even within a dispatch that already resolved its list
    if (entry.type === undefined) {
      this.allEntries = this.allEntries.filter((e) => e !== entry);
    } else {
      const remaining = (this.byType.get(entry.type) ?? EMPTY).filter((e) => e !== entry);
      if (remaining.length === 0) this.byType.delete(entry.type);
      else this.byType.set(entry.type, remaining);
    }
    this.resolved.clear();
  }

  private drain(): void {
    // `shift` on a short array is cheap; re-entrant publishes are rare compared to plain ones.
    for (let next = this.pending.shift(); next; next = this.pending.shift()) {
      const { done } = next;
      void this.dispatch(next.message).then(done);
    }
  }

  private handlersFor(ctor: unknown): readonly Entry[] {
    let list = this.resolved.get(ctor);
    if (list === undefined) {
      list = this.resolve(ctor);
      this.resolved.set(ctor, list);
    }
    return list;
  }

  /** Walks the constructor's prototype chain once; the caller caches the result per constructor. */
  private resolve(ctor: unknown): readonly Entry[] {
    const found: Entry[] = [...this.allEntries];
    for (let type = ctor; typeof type === 'function'; type = Object.getPrototypeOf(type)) {
      const entries = this.byType.get(type as MessageType);
      if (!entries) continue;
      for (const entry of entries) {
        if (!entry.exactType || type === ctor) found.push(entry);
      }
    }
    if (found.length === 0) return EMPTY;
    found.sort((a, b) => a.sequence - b.sequence);
    return found;
  }

  private dispatch(message: Message): Promise<PublishResult> {
    const entries = this.handlersFor((message as object).constructor);
    let delivered = 0;
    let errors: HandlerFailure[] | undefined;
    let waits: Array<PromiseLike<void>> | undefined;
    for (const entry of entries) {
      if (!entry.active) continue;
      delivered++;
      try {
        const returned = entry.handler(message);
        if (returned !== undefined && typeof (returned as PromiseLike<void>).then === 'function') {
          (waits ??= []).push(
            Promise.resolve(returned).then(undefined, (error: unknown) => {
              (errors ??= []).push(this.failed(message, entry, error));
            }),
          );
        }
      } catch (error) {
        (errors ??= []).push(this.failed(message, entry, error));
      }
    }
    if (waits === undefined) {
      return Promise.resolve({ message, delivered, errors: errors ?? [] });
    }
    return Promise.all(waits).then(() => ({ message, delivered, errors: errors ?? [] }));
  }

  private failed(message: Message, entry: Entry, error: unknown): HandlerFailure {
    const failure: HandlerFailure = { message, handler: entry.handler, subscribedType: entry.type, error };
    if (this.errorsSubject.observed) this.errorsSubject.next(failure);
    else reportUnobserved(`${this.name}: handler failed on ${describeMessage(message)}`, error);
    return failure;
  }
}
