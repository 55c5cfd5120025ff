import type { AggregateRoot, AggregateType } from '../core/aggregate-root';
import { defaultEventTypes, type EventTypeRegistry } from '../core/event-type-registry';
import type { Message, MessageType } from '../core/message';
import { CorrelatedRepository } from '../foundation/repository/correlated-repository';
import { StreamStoreRepository } from '../foundation/repository/stream-store-repository';
import { CommandDispatcher } from '../messaging/command-dispatcher';
import { InMemoryBus } from '../messaging/in-memory-bus';
import { QueryBus } from '../messaging/query-bus';
import { ExpectedVersion } from '../persistence/expected-version';
import { EventSerializer, type DeserializedEvent } from '../persistence/event-serializer';
import { InMemoryStreamStore } from '../persistence/in-memory-stream-store';
import { readAllEvents, readStreamEvents } from '../persistence/stream-readers';
import type { AppendResult, RecordedEvent, StoreSubscription } from '../persistence/stream-store';
import { StreamDeletedError } from '../persistence/stream-store.errors';
import {
  PrefixedCamelCaseStreamNameBuilder,
  type StreamNameBuilder,
} from '../persistence/stream-name-builder';
import { TestQueue } from './test-queue';
import { SpecificationUsageError, TestQueueTimeoutError } from './testing.errors';

/** Options of {@link createTestEnvironment}. */
export interface TestEnvironmentOptions {
  /** Event types of the code under test (default: the process-wide registry). */
  readonly registry?: EventTypeRegistry;
  /** Prefix of every stream name (default none: `order-<id>`). */
  readonly streamNamePrefix?: string;
  /** Default timeout of `dispatcher.send` (default: the dispatcher's own, 30 s). */
  readonly commandTimeoutMs?: number;
  /** Default wait of the test queues (default 5 s). */
  readonly queueTimeoutMs?: number;
  /** Message classes the bus queue does not capture (e.g. `AckCommand`), subclasses included. */
  readonly ignore?: readonly MessageType[];
  /**
   * Publish every event appended to the store on the bus, in `$all` order, once it is stored (what a process
   * manager or saga listens to in production via a listener). Default `false`.
   */
  readonly publishStoredEvents?: boolean;
  /**
   * Run command handlers in a `CorrelationScope` of their command, as `new CommandDispatcher({ correlationScope: true })`
   * does (for code under test that uses `MessageBuilder.fromScope()` or a `CorrelatedRepository` without a source).
   * Default `false`.
   */
  readonly correlationScope?: boolean;
}

/** Anything the environment stops on {@link TestEnvironment.dispose}: read models, listeners, subscriptions. */
export type TrackedResource =
  | {
      /** Called (and awaited) on dispose; preferred when the resource has several of these methods. */
      stop(): unknown;
    }
  | {
      /** Called (and awaited) on dispose when the resource has no `stop` or `dispose`. */
      close(): unknown;
    }
  | {
      /** Called on dispose when the resource has none of the other methods. */
      unsubscribe(): unknown;
    }
  | {
      /** Called (and awaited) on dispose when the resource has no `stop`. */
      dispose(): unknown;
    };

/** What naming an aggregate's stream needs: its class's stable `typeName`. */
export type AggregateRef = {
  /** The aggregate class's stable type name (its static `typeName`). */
  readonly typeName: string;
};

/** A stream to write to or read from: its name, or an aggregate class and id (`[Order, orderId]`). */
export type StreamRef = string | readonly [AggregateRef, string];

/**
 * A complete in-memory wiring, created in one call and disposed in one call (Reactive Domain's
 * `MockRepositorySpecification` + `DispatcherSpecification`):
 *
 * - `store` ({@link InMemoryStreamStore}), `serializer`, `streamNames`, `repository`, `correlated` (repository);
 * - `bus`, `dispatcher` (publishing on `bus`), `queries`;
 * - `queue`: a {@link TestQueue} capturing every command sent through the dispatcher and every message published
 *   on the bus (acks, responses, your events), in order;
 * - `events`: a {@link TestQueue} of every event stored in the store (deserialized), in `$all` order.
 *
 * @example
 * ```ts
 * const env = createTestEnvironment({ registry });
 * registerOrderHandlers(env.dispatcher, env.correlated);
 * await env.dispatcher.send(new PlaceOrder(orderId, customerId, lines));
 * await env.events.waitFor(OrderPlaced);
 * await env.dispose();
 * ```
 */
export class TestEnvironment {
  /** Event types of the code under test: the one given in the options, else the process-wide registry. */
  readonly registry: EventTypeRegistry;
  /** A fresh in-memory event store, closed on dispose. */
  readonly store: InMemoryStreamStore;
  /** Serializer over `registry`, used by the repository and to read `events`. */
  readonly serializer: EventSerializer;
  /** Stream names: `PrefixedCamelCaseStreamNameBuilder` with the options' `streamNamePrefix` (none by default). */
  readonly streamNames: StreamNameBuilder;
  /** Repository over `store`, `serializer` and `streamNames`. */
  readonly repository: StreamStoreRepository;
  /** Correlated repository over `repository`, for command handlers. */
  readonly correlated: CorrelatedRepository;
  /** The bus the dispatcher publishes acks and responses on (named `test-bus`); recorded in `queue`. */
  readonly bus: InMemoryBus;
  /** Command dispatcher publishing on `bus`; every command sent is recorded in `queue`. */
  readonly dispatcher: CommandDispatcher;
  /** Query bus for registering and sending queries. */
  readonly queries: QueryBus;
  /** Commands sent and messages published on the bus, in order. */
  readonly queue: TestQueue<Message>;
  /** Events stored, deserialized, in `$all` order (fed by a store subscription: await them, do not count on timing). */
  readonly events: TestQueue<object>;
  private readonly disposables: TrackedResource[] = [];
  private readonly subscription: StoreSubscription;
  private lastDelivered = -1n;
  private deliveryError: unknown;
  private disposed = false;

  constructor(options: TestEnvironmentOptions = {}) {
    this.registry = options.registry ?? defaultEventTypes;
    this.store = new InMemoryStreamStore();
    this.serializer = new EventSerializer({ registry: this.registry });
    this.streamNames = new PrefixedCamelCaseStreamNameBuilder(options.streamNamePrefix);
    this.repository = new StreamStoreRepository({
      store: this.store,
      serializer: this.serializer,
      streamNames: this.streamNames,
    });
    this.correlated = new CorrelatedRepository(this.repository);
    this.bus = new InMemoryBus('test-bus');
    this.dispatcher = new CommandDispatcher({
      bus: this.bus,
      ...(options.commandTimeoutMs !== undefined ? { defaultTimeoutMs: options.commandTimeoutMs } : {}),
      correlationScope: options.correlationScope === true,
    });
    this.queries = new QueryBus();
    const queueOptions = {
      ...(options.queueTimeoutMs !== undefined ? { timeoutMs: options.queueTimeoutMs } : {}),
    };
    this.queue = new TestQueue<Message>({
      ...queueOptions,
      name: 'env.queue',
      ...(options.ignore ? { ignore: options.ignore } : {}),
    });
    this.queue.attachToObservable(this.dispatcher.commands$).attachTo(this.bus);
    this.events = new TestQueue<object>({ ...queueOptions, name: 'env.events' });
    const publish = options.publishStoredEvents ?? false;
    this.subscription = this.store.subscribeToAll(
      { after: 'start' },
      {
        onEvent: async (recorded) => {
          try {
            const { event } = this.serializer.deserialize(recorded);
            this.events.push(event);
            if (publish) await this.bus.publish(event as Message);
          } catch (error) {
            // Surfaced by settle() and dispose(): a stored event the registry cannot read is a test failure.
            this.deliveryError ??= error;
          } finally {
            this.lastDelivered = recorded.position;
          }
        },
        onDropped: (error) => {
          this.deliveryError ??= error;
        },
      },
    );
  }

  /** The stream of an aggregate. */
  streamOf(type: AggregateRef, id: string): string {
    return this.streamNames.forAggregate(type.typeName, id);
  }

  /** Appends past events to an aggregate's stream (expected version: any), as history for a test. */
  given<T extends AggregateRoot>(
    type: AggregateType<T>,
    id: T['id'],
    ...events: object[]
  ): Promise<AppendResult> {
    return this.append(this.streamOf(type, id), events, type.typeName);
  }

  /** Appends past events to a stream by name. */
  givenStream(streamName: string, ...events: object[]): Promise<AppendResult> {
    return this.append(streamName, events, undefined);
  }

  /** The events of a stream, deserialized, oldest first; `[]` when it does not exist. */
  async readEvents(stream: StreamRef): Promise<object[]> {
    return (await this.readStored(stream)).map((d) => d.event);
  }

  /** The events of a stream with their metadata and stored record; `[]` when it does not exist. */
  async readStored(stream: StreamRef): Promise<DeserializedEvent[]> {
    const out: DeserializedEvent[] = [];
    try {
      for await (const recorded of readStreamEvents(this.store, this.nameOf(stream), { ifMissing: 'empty' }))
        out.push(this.serializer.deserialize(recorded));
    } catch (error) {
      if (!(error instanceof StreamDeletedError)) throw error; // a tombstoned stream has no events to show
      return [];
    }
    return out;
  }

  /** Every stored event after `position` (exclusive; default: all), in `$all` order. */
  async readAllStored(after: bigint | 'start' = 'start'): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for await (const recorded of readAllEvents(this.store, { after })) out.push(recorded);
    return out;
  }

  /** The current end of `$all` (0n when empty): pass it to {@link readAllStored} later to see what was appended since. */
  async endPosition(): Promise<bigint> {
    const slice = await this.store.readAll({ direction: 'backwards', after: 'end', maxCount: 1 });
    return slice.events[0]?.position ?? 0n;
  }

  /**
   * Resolves once every stored event has been delivered to {@link events} (and, with `publishStoredEvents`, its
   * bus handlers have finished), repeating until no handler appends anything more — i.e. the system is quiet.
   * Rejects if a stored event could not be read, or it does not settle within `timeoutMs` (default 5 s).
   */
  async settle(timeoutMs = this.events.timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.throwDeliveryError();
      const end = await this.endPosition();
      if (this.lastDelivered >= end || end === 0n) {
        // Let the macrotask that may follow a handler's append run before declaring quiet.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if ((await this.endPosition()) === end) {
          this.throwDeliveryError();
          return;
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new TestQueueTimeoutError(
          `TestEnvironment.settle: stored events were not all delivered within ${timeoutMs} ms (delivered up to position ${this.lastDelivered}, end ${end})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Registers something to stop on {@link dispose} (read models, listeners, subscriptions); returns it. */
  track<T extends TrackedResource>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  /**
   * Stops everything: tracked objects (last first), the queues and the store. Idempotent. Rejects with the first
   * error met while delivering stored events, if any, so a broken event never goes unnoticed.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const failures: unknown[] = [];
    for (const disposable of this.disposables.splice(0).reverse()) {
      try {
        await stopOne(disposable);
      } catch (error) {
        failures.push(error);
      }
    }
    this.queue.detach();
    this.events.detach();
    // A handler that never finishes would make close() wait forever: bound it, and say so.
    const limit = this.events.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      this.subscription.close().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limit))),
    ]);
    clearTimeout(timer);
    if (closed) {
      await this.store.close();
    } else {
      failures.push(
        new TestQueueTimeoutError(
          `TestEnvironment.dispose: a handler of a stored event was still running after ${limit} ms (a bus handler that never settles?)`,
        ),
      );
      // close() waits for that same handler: not awaited, so dispose itself does not hang; its outcome is moot.
      this.store.close().catch(() => undefined);
    }
    if (this.deliveryError !== undefined) failures.unshift(this.deliveryError);
    if (failures.length > 0) throw failures[0];
  }

  private throwDeliveryError(): void {
    if (this.deliveryError !== undefined) throw this.deliveryError;
  }

  private nameOf(stream: StreamRef): string {
    if (typeof stream === 'string') return stream;
    return this.streamOf(stream[0], stream[1]);
  }

  private async append(
    streamName: string,
    events: readonly object[],
    aggregateType: string | undefined,
  ): Promise<AppendResult> {
    if (events.length === 0)
      throw new SpecificationUsageError(`given(${JSON.stringify(streamName)}): give at least one event`);
    const context = aggregateType === undefined ? {} : { aggregateType };
    return this.store.appendToStream(
      streamName,
      ExpectedVersion.Any,
      events.map((event) => this.serializer.serialize(event, context)),
    );
  }
}

async function stopOne(disposable: TrackedResource): Promise<void> {
  if ('stop' in disposable && typeof disposable.stop === 'function') await disposable.stop();
  else if ('dispose' in disposable && typeof disposable.dispose === 'function') await disposable.dispose();
  else if ('close' in disposable && typeof disposable.close === 'function') await disposable.close();
  else if ('unsubscribe' in disposable && typeof disposable.unsubscribe === 'function')
    disposable.unsubscribe();
}

/** Creates a {@link TestEnvironment}: the whole in-memory wiring in one call; `await env.dispose()` in `afterEach`. */
export function createTestEnvironment(options: TestEnvironmentOptions = {}): TestEnvironment {
  return new TestEnvironment(options);
}
