import type { AggregateType } from '../../core/aggregate-root';
import { isCorrelatedMessage, type Command, type MessageType } from '../../core/message';
import {
  InvalidArgumentError,
  describeValue,
  type ReactiveDomainError,
} from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import type { Repository } from '../repository/repository';
import type { CheckpointStore } from '../subscriptions/checkpoint-store';
import { registerProcessManagerEvents, type ProcessManager } from './process-manager';
import { ProcessCommandError } from './process-manager.errors';
import { EventRouter } from '../read-models/event-router';
import { EventProcessor } from '../read-models/event-processor';
import { checkpointStoreHooks } from '../read-models/checkpoint-store-hooks';
import { assertOwnerName } from '../read-models/processor-settings';
import type {
  EventContext,
  HandlerErrorPolicy,
  ParkedEvent,
  ReadModelStatus,
  WaitForOptions,
} from '../read-models/read-model-types';
import { RebuildNotSupportedError } from '../read-models/read-model.errors';
import type { Checkpoint } from '../subscriptions/checkpoint';
import type { ListenerSource } from '../subscriptions/listener-source';
import type { RecordedEventDeserializer } from '../subscriptions/recorded-event-deserializer';
import type { ReconnectOptions } from '../subscriptions/stream-listener';
import type { Observable } from 'rxjs';

/** Sends commands; `CommandDispatcher` fits. */
export interface CommandSender {
  /** Sends one command; a rejection counts as a failed send (see {@link CommandDelivery}). */
  send(command: Command): Promise<unknown>;
}

/**
 * When commands are sent relative to saving the process manager:
 * - `at-most-once` (default): save first, then send. A crash between the two loses that input's commands (they
 *   are never re-sent: the input is recorded). A failed send is reported on `errors$` and handling goes on.
 * - `at-least-once`: send first, then save. A crash or a failed save makes the input be handled again after a
 *   restart, re-sending its commands: their handlers must be idempotent. A failed send counts as a handler error.
 */
export type CommandDelivery = 'at-most-once' | 'at-least-once';

/** The input union a process manager class handles: the `TInput` of `ProcessManager<TId, TInput>`. */
export type ProcessInputOf<T extends ProcessManager> = T extends ProcessManager<string, infer I> ? I : object;

/**
 * Options of a {@link ProcessManagerHost}. Required: `type`, `inputs`, `correlate`, `store`, `serializer`,
 * `repository`, `dispatcher`; the rest tune delivery, checkpoints and error handling.
 */
export interface ProcessManagerHostOptions<T extends ProcessManager> {
  /** The process manager class: a static `typeName` (its stream category) and a constructor taking the id. */
  readonly type: AggregateType<T>;
  /**
   * The input event classes the process manager handles, each registered in the serializer's registry. Events of
   * other registered types in the sources are stepped over; unregistered stored types fail the host (see
   * `onHandlerError`).
   */
  readonly inputs: readonly MessageType<ProcessInputOf<T>>[];
  /**
   * Which instance an input belongs to (e.g. `(e) => e.orderId`); `undefined` ignores the input. Called once per
   * input, before the instance is loaded (or created when it has no stream yet).
   */
  readonly correlate: (input: ProcessInputOf<T>, context: EventContext) => T['id'] | undefined;
  /** The event store the input sources are read from and subscribed to. */
  readonly store: StreamStore;
  /** Reads inputs; `ProcessInputReceived` is registered in its registry when it exposes one. */
  readonly serializer: RecordedEventDeserializer;
  /** Loads and saves the instances (e.g. `StreamStoreRepository` on the same store and registry). */
  readonly repository: Pick<Repository, 'tryGetById' | 'save'>;
  /** Sends the commands the instances queue (e.g. a `CommandDispatcher`). */
  readonly dispatcher: CommandSender;
  /** When commands are sent relative to saving (default `at-most-once`; see {@link CommandDelivery}). */
  readonly delivery?: CommandDelivery;
  /**
   * Lets a restart skip inputs it already saw without reloading instances (default: none — the inputs recorded in
   * each instance's stream already make re-handling a no-op, so this only saves work).
   */
  readonly checkpoints?: CheckpointStore;
  /**
   * What to do when an input cannot be handled (`handle` throws, a save or an at-least-once send fails, the input
   * cannot be deserialised): `fail` (default) stops the host in the `failed` state; `park` sets the input aside in
   * `parked`, reports it on `errors$` and goes on.
   */
  readonly onHandlerError?: HandlerErrorPolicy;
  /** Reconnection after a dropped subscription (default: 10 attempts, backoff from 100 ms up to 10 s). */
  readonly reconnect?: ReconnectOptions;
  /** Receives every reported error (drops, parked inputs, failed at-most-once sends), besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
  /** Name for checkpoints and messages (default: `process:<typeName>`). */
  readonly name?: string;
}

/**
 * Runs a {@link ProcessManager}: follows input sources like a read model (it holds the same event processor:
 * serial queue, checkpoints, reconnection, error policy and `whenLive()`), and for each input loads the instance it
 * belongs to, lets it handle the input, saves it and sends the commands it queued (see {@link CommandDelivery}).
 *
 * @example
 * ```ts
 * class Fulfillment extends ProcessManager<string, OrderPlaced | StockReserved> { ... }
 * const host = new ProcessManagerHost({
 *   type: Fulfillment, inputs: [OrderPlaced, StockReserved],
 *   correlate: (e) => e.orderId, // typed: OrderPlaced | StockReserved
 *   store, serializer, repository, dispatcher,
 * });
 * await host.start(ListenerSources.category('order'));
 * await host.whenLive();
 * ```
 */
export class ProcessManagerHost<T extends ProcessManager> {
  /** Name for checkpoints and messages. */
  readonly name: string;
  readonly #options: ProcessManagerHostOptions<T>;
  readonly #delivery: CommandDelivery;
  readonly #processor: EventProcessor;
  /** Commands sent since the host was created. */
  sentCount = 0;
  /** Errors as they happen: failures, parked inputs, failed sends, subscription drops. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(options: ProcessManagerHostOptions<T>) {
    if (!options || typeof options.type !== 'function' || typeof options.type.typeName !== 'string') {
      throw new InvalidArgumentError(
        `ProcessManagerHost: type must be a process manager class with a static typeName, got ${describeValue(options?.type)}`,
      );
    }
    const name = options.name ?? `process:${options.type.typeName}`;
    assertOwnerName('ProcessManagerHost', name);
    if (typeof options.store !== 'object' || typeof options.serializer?.deserialize !== 'function') {
      throw new InvalidArgumentError(
        `Process manager host ${JSON.stringify(name)}: options need a store and a serializer`,
      );
    }
    if (typeof options.correlate !== 'function')
      throw new InvalidArgumentError('ProcessManagerHost: correlate must be a function');
    if (!Array.isArray(options.inputs))
      throw new InvalidArgumentError('ProcessManagerHost: inputs must be an array of event classes');
    const delivery = options.delivery ?? 'at-most-once';
    if (delivery !== 'at-most-once' && delivery !== 'at-least-once') {
      throw new InvalidArgumentError(
        `ProcessManagerHost: delivery must be 'at-most-once' or 'at-least-once', got ${describeValue(delivery)}`,
      );
    }
    const registry = options.serializer.registry;
    if (registry) registerProcessManagerEvents(registry);
    this.name = name;
    this.#options = options;
    this.#delivery = delivery;
    const router = new EventRouter({
      name,
      target: this,
      ctor: ProcessManagerHost,
      stopAt: ProcessManagerHost.prototype,
      serializer: options.serializer,
      unknownEventTypes: 'error',
    });
    for (const input of options.inputs)
      router.on(input, (event: ProcessInputOf<T>, context: EventContext) =>
        this.#handleInput(event, context),
      );
    this.#processor = new EventProcessor({
      name,
      store: options.store,
      hooks: checkpointStoreHooks({
        name,
        checkpoints: options.checkpoints,
        router,
        reset: () => {
          throw new RebuildNotSupportedError(name);
        },
      }),
      onHandlerError: options.onHandlerError,
      reconnect: options.reconnect,
      onError: options.onError,
    });
    this.errors$ = this.#processor.errors$;
  }

  /** Current lifecycle state (as a read model's). */
  get status(): ReadModelStatus {
    return this.#processor.status;
  }

  /** True when every started source has handled its history. */
  get isLive(): boolean {
    return this.status === 'live';
  }

  /** Why the host failed (a `ReadModelHandlerError` naming the input, or a listener/checkpoint failure). */
  get failure(): ReactiveDomainError | undefined {
    return this.#processor.failure;
  }

  /** Inputs set aside by the `park` policy, oldest first. */
  get parked(): readonly ParkedEvent[] {
    return this.#processor.parked;
  }

  /** Input-source events handled (including those it steps over) since the host was created. */
  get handledCount(): number {
    return this.#processor.handledCount;
  }

  /** The checkpoint of every source, keyed by source key. */
  get checkpoints(): ReadonlyMap<string, Checkpoint> {
    return this.#processor.checkpoints;
  }

  /** The checkpoint of one source (undefined: nothing handled from it yet). */
  checkpointOf(source: ListenerSource): Checkpoint | undefined {
    return this.#processor.checkpointOf(source);
  }

  /** Starts following input sources (see `ReadModelBase.start`). */
  start(...sources: ListenerSource[]): Promise<void> {
    return this.#processor.start(sources);
  }

  /** Resolves when every started source has handled its history; rejects if the host fails first. */
  whenLive(): Promise<void> {
    return this.#processor.whenLive();
  }

  /**
   * Resolves once every input at or before the global `position` has been handled (see `ReadModelBase.waitFor`).
   */
  waitFor(position: bigint, options?: WaitForOptions): Promise<void> {
    return this.#processor.waitFor(position, options);
  }

  /** Stops every source; resolves when no input is being handled any more. Idempotent. */
  stop(): Promise<void> {
    return this.#processor.stop();
  }

  async #handleInput(input: ProcessInputOf<T>, context: EventContext): Promise<void> {
    const { type, repository, correlate } = this.#options;
    const id = correlate(input, context);
    if (id === undefined) return;
    if (!isCorrelatedMessage(input)) {
      throw new InvalidArgumentError(
        `${type.typeName}: input ${context.recorded.type} is not a correlated message`,
      );
    }
    const instance = (await repository.tryGetById(type, id)) ?? new type(id);
    if (!instance.acceptInput(input, { recorded: context.recorded, type: context.recorded.type })) return;
    const commands = instance.takeCommands();
    if (this.#delivery === 'at-least-once') {
      for (const command of commands) await this.#send(instance, command, true);
      await repository.save(instance);
    } else {
      await repository.save(instance);
      for (const command of commands) await this.#send(instance, command, false);
    }
  }

  async #send(instance: T, command: Command, rethrow: boolean): Promise<void> {
    try {
      await this.#options.dispatcher.send(command);
      this.sentCount++;
    } catch (cause) {
      const error = new ProcessCommandError(this.#options.type.typeName, instance.id, command, { cause });
      if (rethrow) throw error;
      this.#processor.report(error);
    }
  }
}
