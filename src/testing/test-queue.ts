import type { Observable, Subscription } from 'rxjs';
import type { Message, MessageType } from '../core/message';
import { isCorrelatedMessage } from '../core/message';
import type { InMemoryBus } from '../messaging/in-memory-bus';
import { formatMessage, typeNameOf } from './message-diff';
import { TestQueueAssertionError, TestQueueTimeoutError } from './testing.errors';

/** Default wait of {@link TestQueue} methods: generous, because a slow CI machine must not fail a correct test. */
export const DEFAULT_TEST_QUEUE_TIMEOUT_MS = 5_000;

/** Options of {@link TestQueue}. */
export interface TestQueueOptions {
  /** Name used in failure messages (default `TestQueue`). */
  readonly name?: string;
  /** Default wait of `waitFor`, `waitForMany` and `next` (default {@link DEFAULT_TEST_QUEUE_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Message classes never captured (e.g. the dispatcher's `AckCommand`), subclasses included. */
  readonly ignore?: readonly MessageType[];
}

/** What {@link TestQueue.assertNext} checks besides the type: a predicate, or the correlation id the message must carry. */
export type NextExpectation<T> =
  | ((message: T) => boolean)
  | {
      /** The `correlationId` the next message must carry. */
      readonly correlationId: string;
    }
  | undefined;

/** Options of the waiting methods. */
export interface WaitOptions<T> {
  /** Only messages for which this returns true count. */
  readonly where?: (message: T) => boolean;
  /** Overrides the queue's default wait. */
  readonly timeoutMs?: number;
}

interface Waiter {
  check(): boolean;
}

/**
 * Captures messages (everything published on a bus, every command sent, every stored event — whatever it is
 * attached to) so a test can wait for them and assert their order (Reactive Domain's TestQueue, async).
 *
 * Two views of the same capture:
 * - {@link messages}: everything captured since the last {@link clear}, in arrival order;
 * - the pending list consumed by {@link assertNext} / {@link next} and checked by {@link assertEmpty}.
 *
 * The waiting methods ({@link waitFor}, {@link waitForMany}) look at every message captured since the last clear,
 * the ones already there included, and do not consume. Every failure names what was awaited and lists what was seen.
 *
 * @example
 * ```ts
 * const queue = TestQueue.capture(bus);
 * await dispatcher.send(new PlaceOrder(orderId, items));
 * const placed = await queue.waitFor(OrderPlaced, { where: (e) => e.orderId === orderId });
 * queue.assertNext(PlaceOrder).assertNext(AckCommand).assertNext(Success, { correlationId: placed.correlationId! });
 * ```
 */
export class TestQueue<M extends object = Message> {
  /** Name used in failure messages (default `TestQueue`). */
  readonly name: string;
  /** Default wait of `waitFor`, `waitForMany` and `next`, in milliseconds. */
  readonly timeoutMs: number;
  private readonly ignored: readonly MessageType[];
  private captured: M[] = [];
  private cursor = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly detachers: Array<() => void> = [];

  constructor(options: TestQueueOptions = {}) {
    this.name = options.name ?? 'TestQueue';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TEST_QUEUE_TIMEOUT_MS;
    this.ignored = options.ignore ?? [];
  }

  /** A queue capturing every message published on `bus` from now on. */
  static capture(bus: InMemoryBus, options?: TestQueueOptions): TestQueue {
    const queue = new TestQueue(options);
    queue.attachTo(bus);
    return queue;
  }

  /** Captures every message published on `bus` from now on (until {@link detach}). */
  attachTo(bus: InMemoryBus): this {
    const subscription = bus.subscribeToAll((message) => this.push(message as unknown as M));
    this.detachers.push(() => subscription.unsubscribe());
    return this;
  }

  /** Captures every value `source` emits from now on (e.g. a dispatcher's `commands$`). */
  attachToObservable(source: Observable<M>): this {
    const subscription: Subscription = source.subscribe((message) => this.push(message));
    this.detachers.push(() => subscription.unsubscribe());
    return this;
  }

  /** Stops capturing from every attached source. Captured messages stay. */
  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  /** Adds a message (what the attached sources call). Ignored classes are dropped. */
  push(message: M): void {
    for (const type of this.ignored) if (message instanceof type) return;
    this.captured.push(message);
    for (const waiter of [...this.waiters]) waiter.check();
  }

  /** Everything captured since the last {@link clear}, oldest first. */
  get messages(): readonly M[] {
    return this.captured;
  }

  /** Messages not yet consumed by {@link assertNext} / {@link next}, oldest first. */
  get pending(): readonly M[] {
    return this.captured.slice(this.cursor);
  }

  /** Every captured message of `type` (subclasses included), oldest first. */
  ofType<T extends M>(type: MessageType<T>): T[] {
    return this.captured.filter((m): m is T => m instanceof type);
  }

  /** Forgets everything captured (both views). Pending waits keep waiting for new messages. */
  clear(): void {
    this.captured = [];
    this.cursor = 0;
  }

  /**
   * Resolves with the first captured message of `type` (subclasses included) that satisfies `where`, waiting for it
   * if it has not arrived. Does not consume.
   * @throws TestQueueTimeoutError naming the type and listing what was seen.
   */
  async waitFor<T extends M>(type: MessageType<T>, options: WaitOptions<T> = {}): Promise<T> {
    const [found] = await this.waitForMany(type, 1, options);
    return found!;
  }

  /** Resolves with the first `count` captured messages of `type` satisfying `where`, waiting for them. Does not consume. */
  waitForMany<T extends M>(type: MessageType<T>, count: number, options: WaitOptions<T> = {}): Promise<T[]> {
    if (!Number.isSafeInteger(count) || count < 1) {
      return Promise.reject(
        new TestQueueAssertionError(
          `${this.name}.waitForMany: count must be a positive integer, got ${count}`,
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const matching = (): T[] => {
      const found: T[] = [];
      for (const message of this.captured) {
        if (message instanceof type && (!options.where || options.where(message))) {
          found.push(message);
          if (found.length === count) break;
        }
      }
      return found;
    };
    const describe = `${count === 1 ? '' : `${count} x `}${type.name}${options.where ? ' matching the predicate' : ''}`;
    return this.until(
      matching,
      (found) => found.length >= count,
      timeoutMs,
      () => {
        const got = matching().length;
        return (
          `${this.name}: no ${describe} arrived within ${timeoutMs} ms` + (count > 1 ? ` (got ${got})` : '')
        );
      },
    );
  }

  /**
   * Consumes the next pending message, waiting for one if none is pending, and checks it is a `type`.
   * @throws TestQueueTimeoutError when nothing arrives; TestQueueAssertionError when it is something else.
   */
  async next<T extends M>(
    type: MessageType<T>,
    expectation?: NextExpectation<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    await this.until(
      () => this.captured.length > this.cursor,
      (ok) => ok,
      timeoutMs,
      () => `${this.name}: expected a next message ${type.name}, but nothing arrived within ${timeoutMs} ms`,
    );
    return this.dequeueChecked(type, expectation);
  }

  /**
   * Consumes the next pending message (without waiting) and checks it is a `type` and, when given, satisfies the
   * predicate or carries the correlation id. Returns the queue, so calls chain.
   * @throws TestQueueAssertionError naming what was expected and what is there.
   */
  assertNext<T extends M>(type: MessageType<T>, expectation?: NextExpectation<T>): this {
    this.dequeueChecked(type, expectation);
    return this;
  }

  /** Like {@link assertNext} but returns the message. */
  dequeueNext<T extends M>(type: MessageType<T>, expectation?: NextExpectation<T>): T {
    return this.dequeueChecked(type, expectation);
  }

  /** Throws unless every captured message has been consumed. */
  assertEmpty(): this {
    const pending = this.pending;
    if (pending.length > 0) {
      throw new TestQueueAssertionError(
        `${this.name}: expected no pending message, found ${pending.length}:\n${this.list(pending)}`,
      );
    }
    return this;
  }

  private dequeueChecked<T extends M>(type: MessageType<T>, expectation: NextExpectation<T>): T {
    const message = this.captured[this.cursor];
    if (message === undefined) {
      throw new TestQueueAssertionError(
        `${this.name}: expected next message ${type.name}, but no message is pending (${this.captured.length} consumed)`,
      );
    }
    if (!(message instanceof type)) {
      throw new TestQueueAssertionError(
        `${this.name}: expected next message ${type.name}, got ${formatMessage(message)}\nPending:\n${this.list(this.pending)}`,
      );
    }
    if (typeof expectation === 'function' && !expectation(message)) {
      throw new TestQueueAssertionError(
        `${this.name}: next message ${formatMessage(message)} does not satisfy the predicate`,
      );
    }
    if (typeof expectation === 'object' && expectation !== null) {
      const actual = isCorrelatedMessage(message) ? message.correlationId : undefined;
      if (actual !== expectation.correlationId) {
        throw new TestQueueAssertionError(
          `${this.name}: next message ${typeNameOf(message)} has correlationId ${JSON.stringify(actual)}, ` +
            `expected ${JSON.stringify(expectation.correlationId)}`,
        );
      }
    }
    this.cursor++;
    return message;
  }

  /** Resolves when `done(probe())` holds, checking now and after every captured message; rejects on timeout. */
  private until<R>(
    probe: () => R,
    done: (result: R) => boolean,
    timeoutMs: number,
    failure: () => string,
  ): Promise<R> {
    const first = probe();
    if (done(first)) return Promise.resolve(first);
    return new Promise<R>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          const result = probe();
          if (!done(result)) return false;
          this.waiters.delete(waiter);
          clearTimeout(timer);
          resolve(result);
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new TestQueueTimeoutError(
            `${failure()}. Seen ${this.captured.length} message(s):\n${this.list(this.captured)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private list(messages: readonly M[]): string {
    if (messages.length === 0) return '  (none)';
    return messages.map((m) => `  ${formatMessage(m)}`).join('\n');
  }
}
