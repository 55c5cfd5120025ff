import { AggregateRoot } from '../../core/aggregate-root';
import type { EventTypeRegistry } from '../../core/event-type-registry';
import { Event, type Command, type CorrelatedMessage } from '../../core/message';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { MessageBuilder } from '../../messaging/message-builder';
import type { RecordedEvent } from '../../persistence/stream-store';

/** Registered type name of {@link ProcessInputReceived}. */
export const PROCESS_INPUT_RECEIVED = 'ProcessManager.InputReceived';

/**
 * Recorded in a process manager's own stream for every input event it handled, keyed by the input's event id. On
 * load these records rebuild the set of handled inputs, so a restart or a replay never handles an input — and never
 * sends its commands — twice.
 */
export class ProcessInputReceived extends Event {
  constructor(
    /** Event id (`msgId`) of the input. */
    readonly inputEventId: string,
    /** Registered type name of the input. */
    readonly inputType: string,
    /** Where the input was read. */
    readonly inputStream: string,
    /** 0-based revision of the input in `inputStream`. */
    readonly inputRevision: number,
  ) {
    super();
  }
}

/** Registers {@link ProcessInputReceived} in `registry` unless it is registered already. Returns the registry. */
export function registerProcessManagerEvents(registry: EventTypeRegistry): EventTypeRegistry {
  if (!registry.has(PROCESS_INPUT_RECEIVED)) registry.register(ProcessInputReceived, PROCESS_INPUT_RECEIVED);
  return registry;
}

/** What a process manager knows about the input it handles. */
export interface ProcessInputContext {
  /** The stored input event (stream, revision, position, raw metadata...). */
  readonly recorded: RecordedEvent;
  /** Registered type name of the input. */
  readonly type: string;
}

/**
 * A long-running process: state kept as an aggregate (its own event stream), driven by input events, sending
 * commands. Run it with a {@link ProcessManagerHost}, which loads the instance an input belongs to, calls
 * {@link handle}, saves the instance and then sends the commands it queued with {@link send}.
 *
 * Durable across restarts: every handled input is recorded as a {@link ProcessInputReceived} event in the
 * instance's stream, in the same append as the state changes it caused. An input already recorded is skipped, so
 * a restarted host that replays its sources never sends a command twice for the same input.
 *
 * Correlation is carried forward: commands are built with `MessageBuilder.from(input)` (correlation = the input's
 * correlation, causation = the input's id), and events raised while handling an input are correlated with it.
 *
 * @example
 * ```ts
 * class Fulfillment extends ProcessManager<string, OrderPlaced | StockReserved> {
 *   static readonly typeName = 'Fulfillment';
 *   protected handle(input: OrderPlaced | StockReserved): void {
 *     if (input instanceof OrderPlaced) this.send(() => new ReserveStock(input.orderId));
 *     else if (input instanceof StockReserved) this.raise(new ShippingRequested(input.orderId));
 *   }
 * }
 * ```
 */
export abstract class ProcessManager<
  TId extends string = string,
  TInput extends object = object,
> extends AggregateRoot<TId> {
  readonly #handledInputs = new Set<string>();
  #outbox: Command[] = [];
  #input: CorrelatedMessage | undefined;

  constructor(id: TId, source?: CorrelatedMessage) {
    super(id, source);
    this.register(ProcessInputReceived, (event) => void this.#handledInputs.add(event.inputEventId));
  }

  /** True when the input with this event id was handled (recorded) already. */
  hasHandled(inputEventId: string): boolean {
    return this.#handledInputs.has(inputEventId);
  }

  /** Number of inputs recorded as handled. */
  get handledInputCount(): number {
    return this.#handledInputs.size;
  }

  /**
   * Reacts to one input: change state with `this.raise(...)`, queue commands with {@link send}. Throwing leaves
   * nothing recorded and nothing sent (the host then applies its error policy). `TInput` is the union of the input
   * classes the host passes (its `inputs`), so `instanceof` narrows each case.
   */
  protected abstract handle(input: TInput, context: ProcessInputContext): void;

  /** Queues a command built from the current input (correlation carried forward); sent after the save. */
  protected send<C extends Command>(factory: () => C): C {
    const input = this.#input;
    if (!input) {
      throw new InvalidArgumentError(
        `${this.label().aggregateType}: send() is only allowed while handling an input`,
      );
    }
    const command = MessageBuilder.from(input).build(factory);
    this.#outbox.push(command);
    return command;
  }

  /**
   * Records and handles `input` (for the host). Returns false, doing nothing, when the input was handled already.
   * The input becomes the aggregate's correlation source.
   * @internal
   */
  acceptInput(input: CorrelatedMessage, context: ProcessInputContext): boolean {
    if (typeof input !== 'object' || input === null || typeof input.msgId !== 'string') {
      throw new InvalidArgumentError(
        `${this.label().aggregateType}: an input must be a message, got ${describeValue(input)}`,
      );
    }
    if (this.#handledInputs.has(input.msgId)) return false;
    this.source = input;
    this.#input = input;
    const queued = this.#outbox.length;
    try {
      this.raise(
        new ProcessInputReceived(
          input.msgId,
          context.type,
          context.recorded.streamName,
          context.recorded.revision,
        ),
      );
      this.handle(input as CorrelatedMessage & TInput, context);
    } catch (error) {
      this.#outbox.length = queued;
      throw error;
    } finally {
      this.#input = undefined;
    }
    return true;
  }

  /** Returns and clears the queued commands (for the host, after a successful save). @internal */
  takeCommands(): Command[] {
    const commands = this.#outbox;
    this.#outbox = [];
    return commands;
  }
}
