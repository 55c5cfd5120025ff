import type { AggregateRoot, AggregateType } from '../core/aggregate-root';
import { defaultEventTypes, type EventTypeRegistry } from '../core/event-type-registry';
import { Command, type CorrelatedMessage } from '../core/message';
import { MessageBuilder } from '../messaging/message-builder';
import { EventSerializer } from '../persistence/event-serializer';
import type { RecordedEvent } from '../persistence/stream-store';
import { compareMessages, formatMessageList, formatValue, mismatchReport } from './message-diff';
import { describeError, describeMessageExpectation, messageMatches } from './spec-support';
import { SpecificationFailedError, SpecificationUsageError } from './testing.errors';

/**
 * The source message a specification gives the aggregate when the test supplies none, so `raise` works exactly as
 * it does under a `CorrelatedRepository`. It starts its own conversation (correlation id = its msgId).
 */
export class SpecificationCommand extends Command {
  constructor(
    /** What the specification was doing, for reports. */
    readonly description: string,
  ) {
    super();
  }
}

/** Any error class (`thenThrows(OrderNotPendingError)`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass<E extends Error = Error> = abstract new (...args: any[]) => E;

/** Options of {@link aggregateSpec}. */
export interface AggregateSpecOptions {
  /**
   * Registry naming the event types, for reports and the serialization round trip. Default: the aggregate class's
   * `static eventTypes`, else the process-wide registry.
   */
  readonly registry?: EventTypeRegistry;
  /**
   * Pass the given events and the raised events through the {@link EventSerializer} (serialize, then deserialize)
   * before using them, as a real repository would, so a test fails on an event that would not survive storage
   * (an unregistered class, a `Date` without a field schema...). Default `true`.
   */
  readonly roundTrip?: boolean;
}

/** What a passing aggregate specification observed; for further assertions. */
export interface AggregateOutcome<T extends AggregateRoot> {
  /** The aggregate after the `when` step (its raised events still pending). */
  readonly aggregate: T;
  /** The events raised by the `when` step (after the round trip, when enabled). */
  readonly events: readonly object[];
  /** The source message the aggregate handled (the test's, or a {@link SpecificationCommand}). */
  readonly source: CorrelatedMessage;
}

/** The `when` action: acts on the aggregate on behalf of `source`. */
export type Act<T> = (aggregate: T, source: CorrelatedMessage) => unknown;
/** The `whenCreating` action: creates the aggregate on behalf of `source`. */
export type Create<T> = (source: CorrelatedMessage) => T | Promise<T>;

/** One recorded `when` step of a specification. */
export type Step<T> =
  | {
      /** Discriminant: act on the aggregate built from the history. */
      readonly kind: 'act';
      /** The action to run. */
      readonly act: Act<T>;
    }
  | {
      /** Discriminant: create the aggregate (no history). */
      readonly kind: 'create';
      /** The factory to run. */
      readonly create: Create<T>;
    };

/**
 * Starts a given/when/then specification for an aggregate class.
 *
 * - `given(...events)`: history, restored into `new Type(id)` (the id is required then);
 * - `when(aggregate => ...)`, `when(command, (aggregate, command) => ...)`: act on it. Without a command, the
 *   aggregate's source is a fresh {@link SpecificationCommand};
 *   `whenCreating(source => Type.create(..., source))`: create it instead (no history);
 * - `then(...events)`, `thenThrows(ErrorType, message?)`, `thenNothing()`: check the outcome. Payloads are
 *   compared field by field (classes included); `msgId` never, `correlationId`/`causationId` only where the
 *   expected event sets them (build it with `MessageBuilder.from(command)` to check correlation).
 *
 * A failure throws {@link SpecificationFailedError} naming the aggregate, with expected and actual events and the
 * differences.
 *
 * @example
 * ```ts
 * await aggregateSpec(Order, orderId)
 *   .given(new OrderPlaced(orderId, customerId, lines, 30))
 *   .when((order) => order.confirm())
 *   .then(new OrderConfirmed(orderId));
 * ```
 */
export function aggregateSpec<T extends AggregateRoot>(
  type: AggregateType<T>,
  id?: T['id'],
  options: AggregateSpecOptions = {},
): AggregateSpec<T> {
  return new AggregateSpec(type, id, options);
}

/** The `given` stage of an aggregate specification; see {@link aggregateSpec}. */
export class AggregateSpec<T extends AggregateRoot> {
  private readonly history: object[] = [];
  private readonly registry: EventTypeRegistry;

  constructor(
    private readonly type: AggregateType<T>,
    private readonly id: T['id'] | undefined,
    private readonly options: AggregateSpecOptions,
  ) {
    this.registry =
      options.registry ?? (type as { eventTypes?: EventTypeRegistry }).eventTypes ?? defaultEventTypes;
  }

  /** Adds past events (oldest first); calls accumulate. */
  given(...events: object[]): this {
    this.history.push(...events);
    return this;
  }

  /** Acts on the aggregate rebuilt from the given events; its source is a fresh {@link SpecificationCommand}. */
  when(act: Act<T>): AggregateSpecWhen<T>;
  /** Acts on the aggregate rebuilt from the given events, with `source` (usually the command) as its source. */
  when<S extends CorrelatedMessage>(
    source: S,
    act: (aggregate: T, source: S) => unknown,
  ): AggregateSpecWhen<T>;
  when(first: Act<T> | CorrelatedMessage, act?: Act<T>): AggregateSpecWhen<T> {
    if (typeof first === 'function') return this.stage({ kind: 'act', act: first }, undefined);
    if (typeof act !== 'function')
      throw new SpecificationUsageError(`${this.subject()}: when(source, act) needs an act function`);
    return this.stage({ kind: 'act', act }, first);
  }

  /** Creates the aggregate (for creation behaviour); the factory receives the source to pass to the constructor. */
  whenCreating(create: Create<T>): AggregateSpecWhen<T>;
  whenCreating<S extends CorrelatedMessage>(
    source: S,
    create: (source: S) => T | Promise<T>,
  ): AggregateSpecWhen<T>;
  whenCreating(first: Create<T> | CorrelatedMessage, create?: Create<T>): AggregateSpecWhen<T> {
    if (this.history.length > 0) {
      throw new SpecificationUsageError(
        `${this.subject()}: whenCreating() creates a new aggregate, so it cannot have given events`,
      );
    }
    if (typeof first === 'function') return this.stage({ kind: 'create', create: first }, undefined);
    if (typeof create !== 'function')
      throw new SpecificationUsageError(`${this.subject()}: whenCreating(source, create) needs a factory`);
    return this.stage({ kind: 'create', create }, first);
  }

  private stage(step: Step<T>, source: CorrelatedMessage | undefined): AggregateSpecWhen<T> {
    return new AggregateSpecWhen(
      this.type,
      this.id,
      [...this.history],
      step,
      source,
      this.registry,
      this.options.roundTrip ?? true,
    );
  }

  private subject(): string {
    return `aggregateSpec(${this.type.typeName})`;
  }
}

/** The `when` stage of an aggregate specification: end it with `then`, `thenThrows` or `thenNothing`. */
export class AggregateSpecWhen<T extends AggregateRoot> {
  private readonly serializer: EventSerializer;

  constructor(
    private readonly type: AggregateType<T>,
    private readonly id: T['id'] | undefined,
    private readonly history: readonly object[],
    private readonly step: Step<T>,
    private readonly source: CorrelatedMessage | undefined,
    private readonly registry: EventTypeRegistry,
    private readonly roundTrip: boolean,
  ) {
    this.serializer = new EventSerializer({ registry });
  }

  /**
   * Expects exactly these events, in this order, to have been raised. Resolves with what was observed.
   *
   * Also a guard: awaiting the `when` stage itself (forgetting `then(...)`) calls this with two functions, which is
   * reported as a usage error instead of passing silently.
   */
  then(...expected: object[]): Promise<AggregateOutcome<T>> {
    if (expected.length === 2 && typeof expected[0] === 'function' && typeof expected[1] === 'function') {
      const reject = expected[1] as unknown as (error: unknown) => void;
      const error = new SpecificationUsageError(
        `${this.subject()}: a specification was awaited without an outcome; end it with then(...events), thenThrows(...) or thenNothing()`,
      );
      reject(error);
      return Promise.reject(error).catch(() => undefined as never);
    }
    return this.check(expected);
  }

  /** Expects no event to have been raised (and no error). */
  thenNothing(): Promise<AggregateOutcome<T>> {
    return this.check([]);
  }

  /**
   * Expects the `when` step to throw an instance of `errorType` (whose message contains `message`, or matches it
   * when a RegExp), and no event to have been recorded. Resolves with the error.
   */
  async thenThrows<E extends Error>(errorType: ErrorClass<E>, message?: string | RegExp): Promise<E> {
    const result = await this.run();
    if (result.error === undefined) {
      throw new SpecificationFailedError(
        `${this.subject(result.aggregate)}: expected ${errorType.name} to be thrown, but nothing was thrown.\n` +
          `Raised ${result.raised.length} event(s):\n${formatMessageList(result.raised, this.registry)}`,
      );
    }
    const error = result.error;
    if (!(error instanceof errorType)) {
      throw new SpecificationFailedError(
        `${this.subject(result.aggregate)}: expected ${errorType.name} to be thrown, got ${describeError(error)}`,
        { cause: error },
      );
    }
    if (message !== undefined && !messageMatches(error.message, message)) {
      throw new SpecificationFailedError(
        `${this.subject(result.aggregate)}: ${errorType.name} was thrown with message ${JSON.stringify(error.message)}, ` +
          `expected it to ${describeMessageExpectation(message)}`,
        { cause: error },
      );
    }
    if (result.aggregate && result.aggregate.pendingEvents.length > 0) {
      throw new SpecificationFailedError(
        `${this.subject(result.aggregate)}: ${errorType.name} was thrown as expected, but events were recorded before it:\n` +
          formatMessageList(result.aggregate.pendingEvents, this.registry),
      );
    }
    return error;
  }

  private async check(expected: readonly object[]): Promise<AggregateOutcome<T>> {
    const result = await this.run();
    if (result.error !== undefined) {
      throw new SpecificationFailedError(
        `${this.subject(result.aggregate)}: expected ${expected.length === 0 ? 'no event' : `${expected.length} event(s)`}, ` +
          `but the when step threw ${describeError(result.error)}`,
        { cause: result.error },
      );
    }
    const aggregate = result.aggregate!;
    const differences = compareMessages(expected, result.raised, { registry: this.registry });
    if (differences.length > 0) {
      throw new SpecificationFailedError(
        mismatchReport(
          `${this.subject(aggregate)}: the raised events differ from the expected ones`,
          expected,
          result.raised,
          differences,
          {
            registry: this.registry,
          },
        ),
      );
    }
    return { aggregate, events: result.raised, source: result.source };
  }

  private async run(): Promise<{
    aggregate: T | undefined;
    raised: object[];
    error: unknown;
    source: CorrelatedMessage;
  }> {
    const source =
      this.source ??
      MessageBuilder.new(
        () =>
          new SpecificationCommand(
            this.step.kind === 'create' ? `create ${this.type.typeName}` : `act on ${this.type.typeName}`,
          ),
      );
    let aggregate: T | undefined;
    try {
      if (this.step.kind === 'create') {
        aggregate = await this.step.create(source);
        if (!(aggregate instanceof this.type)) {
          throw new SpecificationUsageError(
            `${this.subject()}: whenCreating's factory must return a ${this.type.typeName}, got ${formatValue(aggregate)}`,
          );
        }
      } else {
        aggregate = this.restore();
        aggregate.source = source;
        await this.step.act(aggregate, source);
      }
    } catch (error) {
      if (error instanceof SpecificationUsageError || error instanceof SpecificationFailedError) throw error;
      return { aggregate, raised: aggregate ? [...aggregate.pendingEvents] : [], error, source };
    }
    const raised = this.roundTrip
      ? this.roundTripAll(aggregate.pendingEvents, `raised by ${this.subject(aggregate)}`)
      : [...aggregate.pendingEvents];
    return { aggregate, raised, error: undefined, source };
  }

  private restore(): T {
    if (this.id === undefined) {
      throw new SpecificationUsageError(
        `aggregateSpec(${this.type.typeName}): when() acts on an existing aggregate, so it needs its id: aggregateSpec(${this.type.typeName}, id)` +
          ' (use whenCreating() to test creation)',
      );
    }
    const aggregate = new this.type(this.id);
    const history = this.roundTrip
      ? this.roundTripAll(this.history, `given to ${this.subject()}`)
      : this.history;
    try {
      aggregate.restoreFromEvents(history);
    } catch (error) {
      throw new SpecificationFailedError(
        `${this.subject(aggregate)}: the given events could not be applied: ${describeError(error)}\nGiven:\n` +
          formatMessageList(this.history, this.registry),
        { cause: error },
      );
    }
    return aggregate;
  }

  /** Serializes then deserializes every event, as a store would; a failure names the event. */
  private roundTripAll(events: readonly object[], what: string): object[] {
    return events.map((event, revision) => {
      try {
        const data = this.serializer.serialize(event, { aggregateType: this.type.typeName });
        const recorded: RecordedEvent = {
          streamName: `${this.type.typeName}-spec`,
          revision,
          position: BigInt(revision),
          eventId: data.eventId,
          type: data.type,
          data: data.data,
          metadata: data.metadata,
          created: new Date(0),
        };
        return this.serializer.deserialize(recorded).event;
      } catch (error) {
        throw new SpecificationFailedError(
          `event #${revision} ${formatValue(event, { registry: this.registry })} ${what} would not survive storage: ${describeError(error)}` +
            '\n(register the class and give Date/bigint/value-object fields a schema, or pass { roundTrip: false })',
          { cause: error },
        );
      }
    });
  }

  private subject(aggregate?: T): string {
    const id = aggregate?.id ?? this.id;
    return id === undefined ? this.type.typeName : `${this.type.typeName} ${JSON.stringify(id)}`;
  }
}
