import type { AggregateType } from '../../core/aggregate-root';
import { isCorrelatedMessage, type Command, type MessageType } from '../../core/message';
import { ReactiveDomainError, InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import type { Repository } from '../repository/repository';
import type { CheckpointStore } from '../subscriptions/checkpoint-store';
import { causeText } from '../subscriptions/listener.errors';
import { registerProcessManagerEvents, type ProcessManager } from './process-manager';
import {
  ReadModelBase,
  type EventContext,
  type HandlerErrorPolicy,
  type RecordedEventDeserializer,
} from '../read-models/read-model-base';
import type { ReconnectOptions } from '../subscriptions/stream-listener';

/** Sends commands; `CommandDispatcher` fits. */
export interface CommandSender {
  /** Sends one command; a rejection counts as a failed send (see {@link CommandDelivery}). */
  send(command: Command): Promise<unknown>;
}

/** A command a process manager queued could not be sent. */
export class ProcessCommandError extends ReactiveDomainError {
  readonly code = 'PROCESS_COMMAND_FAILED';
  constructor(
    /** The process manager class's registered `typeName`. */
    readonly processManager: string,
    /** Id of the process manager instance that queued the command. */
    readonly processId: string,
    /** The command that could not be sent. */
    readonly command: Command,
    options?: { cause?: unknown },
  ) {
    super(
      `Process manager ${processManager} ${JSON.stringify(processId)}: sending ${command.constructor.name} (${command.msgId}) failed: ${causeText(options?.cause)}`,
      options,
    );
  }
}

/**
 * When commands are sent relative to saving the process manager:
 * - `at-most-once` (default): save first, then send. A crash between the two loses that input's commands (they
 *   are never re-sent: the input is recorded). A failed send is reported on `errors$` and handling goes on.
 * - `at-least-once`: send first, then save. A crash or a failed save makes the input be handled again after a
 *   restart, re-sending its commands: their handlers must be idempotent. A failed send counts as a handler error.
 */
export type CommandDelivery = 'at-most-once' | 'at-least-once';

/** Options of a {@link ProcessManagerHost}. */
export interface ProcessManagerHostOptions<T extends ProcessManager> {
  /** The process manager class (a static `typeName`, a constructor taking the id). */
  readonly type: AggregateType<T>;
  /** The input event classes the process manager handles (others in its sources are stepped over). */
  readonly inputs: readonly MessageType[];
  /** Which instance an input belongs to; `undefined` ignores the input. */
  readonly correlate: (input: object, context: EventContext) => T['id'] | undefined;
  /** The event store the input sources are read from and subscribed to. */
  readonly store: StreamStore;
  /** Reads inputs; `ProcessInputReceived` is registered in its registry when it exposes one. */
  readonly serializer: RecordedEventDeserializer;
  /** Loads and saves the instances (e.g. `StreamStoreRepository` on the same store and registry). */
  readonly repository: Pick<Repository, 'tryGetById' | 'save'>;
  /** Sends the commands the instances queue. */
  readonly dispatcher: CommandSender;
  /** When commands are sent relative to saving (default `at-most-once`). */
  readonly delivery?: CommandDelivery;
  /** Lets a restart skip inputs it already saw without reloading instances (optional: recorded inputs suffice). */
  readonly checkpoints?: CheckpointStore;
  /** What to do when an input cannot be handled: `fail` (default) or `park`, as for a read model. */
  readonly onHandlerError?: HandlerErrorPolicy;
  /** Reconnection of the host's listeners after a dropped subscription. */
  readonly reconnect?: ReconnectOptions;
  /** Receives every reported error, besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
  /** Name for checkpoints and messages (default: `process:<typeName>`). */
  readonly name?: string;
}

/**
 * Runs a {@link ProcessManager}: follows input sources like a read model (same serial queue, checkpoints,
 * reconnection, error policy and `whenLive()`), and for each input loads the instance it belongs to, lets it handle
 * the input, saves it and sends the commands it queued (see {@link CommandDelivery}).
 *
 * @example
 * ```ts
 * const host = new ProcessManagerHost({
 *   type: Fulfillment, inputs: [OrderPlaced, StockReserved],
 *   correlate: (e) => (e as { orderId: string }).orderId,
 *   store, serializer, repository, dispatcher,
 * });
 * await host.start(ListenerSources.category('order'));
 * ```
 */
export class ProcessManagerHost<T extends ProcessManager> extends ReadModelBase {
  readonly #options: ProcessManagerHostOptions<T>;
  readonly #delivery: CommandDelivery;
  /** Commands sent since the host was created. */
  sentCount = 0;

  constructor(options: ProcessManagerHostOptions<T>) {
    super(options.name ?? `process:${options.type?.typeName}`, {
      store: options.store,
      serializer: options.serializer,
      ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
      ...(options.onHandlerError ? { onHandlerError: options.onHandlerError } : {}),
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    if (typeof options.type !== 'function' || typeof options.type.typeName !== 'string') {
      throw new InvalidArgumentError(
        `ProcessManagerHost: type must be a process manager class with a static typeName, got ${describeValue(options.type)}`,
      );
    }
    if (typeof options.correlate !== 'function')
      throw new InvalidArgumentError('ProcessManagerHost: correlate must be a function');
    const delivery = options.delivery ?? 'at-most-once';
    if (delivery !== 'at-most-once' && delivery !== 'at-least-once') {
      throw new InvalidArgumentError(
        `ProcessManagerHost: delivery must be 'at-most-once' or 'at-least-once', got ${describeValue(delivery)}`,
      );
    }
    const registry = options.serializer.registry;
    if (registry) registerProcessManagerEvents(registry);
    this.#options = options;
    this.#delivery = delivery;
    for (const input of options.inputs) this.on(input, (event, context) => this.#handleInput(event, context));
  }

  async #handleInput(input: object, context: EventContext): Promise<void> {
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
      this.reportError(error);
    }
  }
}
