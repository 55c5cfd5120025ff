import {
  AlreadyCorrelatedError,
  InvalidEventError,
  MissingSourceError,
  SourceChangeError,
} from './aggregate.errors';
import { EventDrivenStateMachine } from './event-driven-state-machine';
import type { CorrelatedEventSource, EventSource } from './event-source';
import { isCorrelatedMessage, type CorrelatedMessage } from './message';
import { InvalidArgumentError, describeValue } from './reactive-domain.error';

/**
 * A consistency boundary whose raised events are correlated with the message being handled (Reactive Domain's
 * AggregateRoot). Subclasses declare `static readonly typeName` (the stable name used for stream names; never
 * `constructor.name`) and a constructor taking the id (plus optionally the source), which repositories call.
 *
 * Correlation: while a *source* message is set, every raised event gets
 * `correlationId = source.correlationId ?? source.msgId` and `causationId = source.msgId`. Raising without a source,
 * raising an event that already has ids, or changing the source while events are pending is an error. Taking the
 * events (i.e. a successful save) clears the source, ending the unit of work.
 *
 * Routing (see {@link EventDrivenStateMachine}): `apply<TypeName>` methods are matched against the registry in
 * `static eventTypes` (default: the process-wide `defaultEventTypes`); one that matches no registered type refuses
 * the class at its first use. Aggregates are built by your code as well as by repositories, so unlike read models they
 * cannot take the registry from a serializer: set `static eventTypes` whenever your events are registered elsewhere.
 *
 * @example
 * ```ts
 * const events = new EventTypeRegistry({ name: 'accounts' })
 *   .register(AccountOpened, 'AccountOpened')
 *   .register(Deposited, 'Deposited');
 *
 * class Account extends AggregateRoot<AccountId> {
 *   static readonly typeName = 'Account';
 *   static override eventTypes = events; // the registry the repository's serializer uses too
 *   private balance = 0;
 *   static open(id: AccountId, command: OpenAccount): Account {
 *     const account = new Account(id, command); // the command is the source: raise() needs one
 *     account.raise(new AccountOpened(id));
 *     return account;
 *   }
 *   deposit(amount: number): void { this.raise(new Deposited(this.id, amount)); }
 *   private applyDeposited(e: Deposited): void { this.balance += e.amount; }
 * }
 * ```
 */
export abstract class AggregateRoot<TId extends string = string>
  extends EventDrivenStateMachine
  implements EventSource<TId>, CorrelatedEventSource
{
  /** The aggregate's id (a non-empty string, checked by the constructor); together with `typeName` it names the stream. */
  readonly id: TId;
  #source: CorrelatedMessage | undefined;
  #keepSourceOnce = false;

  constructor(id: TId, source?: CorrelatedMessage) {
    super();
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError(
        `${new.target.name}: id must be a non-empty string, got ${describeValue(id)}`,
      );
    }
    this.id = id;
    if (source !== undefined) this.source = source;
  }

  /** The message being handled (usually a command); see the class documentation. */
  get source(): CorrelatedMessage | undefined {
    return this.#source;
  }

  set source(source: CorrelatedMessage | undefined) {
    if (source !== undefined && !isCorrelatedMessage(source)) {
      throw new InvalidEventError(
        this.label(),
        `source must be a correlated message, got ${describeValue(source)}`,
      );
    }
    if (source !== this.#source && this.hasRecordedEvents) {
      throw new SourceChangeError(this.label(), 'the source cannot change while raised events are not saved');
    }
    this.#source = source;
    this.#keepSourceOnce = false;
  }

  /**
   * Keeps the source through the next `takeEvents()` (used by `CorrelatedRepository.saveAndContinue`, so every
   * write of one handler carries the same ids).
   */
  keepSourceForNextTake(): void {
    this.#keepSourceOnce = true;
  }

  override takeEvents(): object[] {
    const taken = super.takeEvents();
    if (this.#keepSourceOnce) this.#keepSourceOnce = false;
    else this.#source = undefined;
    return taken;
  }

  protected override onRaising(event: object): void {
    if (!isCorrelatedMessage(event)) {
      throw new InvalidEventError(
        this.label(),
        `raise() expects a correlated event (with msgId, correlationId and causationId), got ${describeValue(event)}`,
      );
    }
    const source = this.#source;
    if (!source) {
      throw new MissingSourceError(
        this.label(),
        `cannot raise ${event.constructor.name} without a source message; load the aggregate through a ` +
          'CorrelatedRepository or pass the command as source',
      );
    }
    if (event.correlationId || event.causationId) {
      throw new AlreadyCorrelatedError(
        this.label(),
        `event ${event.constructor.name} (${event.msgId}) already has correlation ids; raise a fresh event`,
      );
    }
    event.correlationId = source.correlationId || source.msgId;
    event.causationId = source.msgId;
  }

  protected override onRaiseFailed(event: object): void {
    // The event was not recorded: leave it as it was given, so the caller may raise it again.
    const correlated = event as CorrelatedMessage;
    correlated.correlationId = undefined;
    correlated.causationId = undefined;
  }
}

/** A class whose instances are aggregates: constructible from an id, with a stable registered type name. */
export interface AggregateType<T extends AggregateRoot = AggregateRoot> {
  new (id: T['id']): T;
  /** Stable name used for stream names (camel-cased by the default stream name builder). */
  readonly typeName: string;
  /** Snapshot schema version for snapshot sources (default 1). */
  readonly snapshotVersion?: number;
}
