import type { Observable } from 'rxjs';
import type { EventTypeRegistry } from '../../core/event-type-registry';
import type { MessageType } from '../../core/message';
import { InvalidArgumentError, type ReactiveDomainError } from '../../core/reactive-domain.error';
import type { StreamStore } from '../../persistence/stream-store';
import type { Checkpoint } from '../subscriptions/checkpoint';
import { sourceKeyOf, type ListenerSource } from '../subscriptions/listener-source';
import type { RecordedEventDeserializer } from '../subscriptions/recorded-event-deserializer';
import type { ReconnectOptions } from '../subscriptions/stream-listener';
import { EventRouter } from './event-router';
import { EventProcessor } from './event-processor';
import { EventApplyError, type Delivery } from './event-processor-hooks';
import { assertOwnerName } from './processor-settings';
import type {
  EventContext,
  HandlerErrorPolicy,
  ParkedEvent,
  ReadModelStatus,
  RebuildOptions,
  RebuildProgress,
  WaitForOptions,
} from './read-model-types';
import type { ProjectionTransactions } from './projection-transactions';
import {
  ProjectionCheckpointConflictError,
  ProjectionTransactionError,
  RebuildNotSupportedError,
} from './read-model.errors';

/** What a durable handler knows: the event's context plus the open transaction to write with. */
export interface DurableEventContext<TTx> extends EventContext {
  /** The transaction of the current batch: write the model's state through it (never keep it). */
  readonly tx: TTx;
}

/** A durable read-model event handler; may be async (the next event waits for it). */
export type DurableReadModelHandler<E, TTx> = (
  event: E,
  context: DurableEventContext<TTx>,
) => void | Promise<void>;

/** Options of a {@link DurableReadModel}. */
export interface DurableReadModelOptions<TTx> {
  /** The event store the source is read from and subscribed to. */
  readonly store: StreamStore;
  /** Restores events from their stored form (its registry, when exposed, is the model's default registry). */
  readonly serializer: RecordedEventDeserializer;
  /** The database the state and the checkpoint live in (see {@link ProjectionTransactions}). */
  readonly transactions: ProjectionTransactions<TTx>;
  /** What the model follows; its checkpoint is stored under the model's name. */
  readonly source: ListenerSource;
  /**
   * Events per transaction (default 100). Larger batches mean fewer commits during catch-up; a partial batch is
   * committed after `batchDelayMs`, when the source goes live and on `stop()`.
   */
  readonly batchSize?: number;
  /** Longest wait of a partial batch before it is committed, in ms (default 10): the bound on live latency. */
  readonly batchDelayMs?: number;
  /**
   * `fail` (default): a handler error rolls its batch back and stops the model (`status` `failed`, `failure`
   * names the event; state and checkpoint stay at the last committed batch). `park`: the batch is rolled back and
   * replayed one event per transaction, so exactly the failing event is parked (its checkpoint is still saved).
   */
  readonly onHandlerError?: HandlerErrorPolicy;
  /** Stored types that are not registered: `error` (default, like a handler error) or `skip`. */
  readonly unknownEventTypes?: 'error' | 'skip';
  /** Reconnection after a dropped subscription. */
  readonly reconnect?: ReconnectOptions;
  /** Receives every reported error, besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
}

/**
 * A read model whose state lives in a database, written in the same transaction as its checkpoint: each batch of
 * events (`batchSize`) is handled in one transaction that also saves the checkpoint, so after any crash state and
 * checkpoint agree and every event's effect happens exactly once. Each transaction first reads the stored
 * checkpoint back: if another instance of the model moved it, the batch is rolled back and the model fails with
 * {@link ProjectionCheckpointConflictError} instead of applying events twice.
 *
 * Handlers are routed like {@link ReadModelBase}'s (convention `apply<TypeName>(event, context)` methods or
 * `this.on(Type, handler)`), and receive the transaction as `context.tx`. The machinery (serial handling,
 * liveness, `waitFor`, reconnection, park policy, rebuild with progress) is the same {@link EventProcessor}.
 *
 * Rebuild: `reset(tx)` and the checkpoint delete run in one transaction, then the source is replayed.
 *
 * @example
 * ```ts
 * class OrderTotals extends DurableReadModel<PoolClient> {
 *   static override eventTypes = registry;
 *   constructor(options: DurableReadModelOptions<PoolClient>) { super('order-totals', options); }
 *   protected async applyOrderPlaced(e: OrderPlaced, { tx }: DurableEventContext<PoolClient>) {
 *     await tx.query('insert into order_totals(id, total) values ($1, $2)', [e.orderId, e.total]);
 *   }
 *   protected override async reset(tx: PoolClient) { await tx.query('delete from order_totals'); }
 * }
 * const model = new OrderTotals({ store, serializer, transactions, source: ListenerSources.category('order') });
 * await model.start();
 * await model.whenLive();
 * ```
 */
export abstract class DurableReadModel<TTx> {
  /** Registry naming event types for routing (as `ReadModelBase.eventTypes`). */
  static eventTypes?: EventTypeRegistry;

  /** What the model follows. */
  readonly source: ListenerSource;
  readonly #router: EventRouter;
  readonly #processor: EventProcessor;

  /** Errors as they happen: failures, parked events, subscription drops. */
  readonly errors$: Observable<ReactiveDomainError>;

  constructor(
    /** Non-blank name: the key its checkpoint is stored under, and used in errors and messages. */
    readonly name: string,
    options: DurableReadModelOptions<TTx>,
  ) {
    assertOwnerName('DurableReadModel', name);
    const transactions = options?.transactions;
    if (
      typeof options?.store !== 'object' ||
      typeof options.serializer?.deserialize !== 'function' ||
      typeof transactions?.transaction !== 'function'
    ) {
      throw new InvalidArgumentError(
        `Read model ${JSON.stringify(name)}: options need a store, a serializer and transactions`,
      );
    }
    const key = sourceKeyOf(options.source); // validates the source
    this.source = options.source;
    this.#router = new EventRouter({
      name,
      target: this,
      ctor: new.target,
      stopAt: DurableReadModel.prototype,
      serializer: options.serializer,
      unknownEventTypes: options.unknownEventTypes,
    });
    this.#processor = new EventProcessor({
      name,
      store: options.store,
      batchSize: options.batchSize ?? 100,
      batchDelayMs: options.batchDelayMs,
      onHandlerError: options.onHandlerError,
      reconnect: options.reconnect,
      onError: options.onError,
      hooks: {
        loadCheckpoints: async () => {
          const checkpoint = await inTransaction(name, 'load', transactions, (tx) =>
            transactions.loadCheckpoint(tx, name),
          );
          return checkpoint ? new Map([[key, checkpoint]]) : new Map<string, Checkpoint>();
        },
        apply: (events, checkpoints) => this.#apply(transactions, events, checkpoints.get(key)),
        reset: () =>
          inTransaction(name, 'reset', transactions, async (tx) => {
            await this.reset(tx);
            await transactions.deleteCheckpoint(tx, name);
          }),
      },
    });
    this.errors$ = this.#processor.errors$;
  }

  async #apply(
    transactions: ProjectionTransactions<TTx>,
    events: readonly Delivery[],
    checkpoint: Checkpoint | undefined,
  ): Promise<void> {
    let failed: EventApplyError | ProjectionCheckpointConflictError | undefined;
    const expected = this.#processor.checkpointOf(this.source);
    try {
      await transactions.transaction(async (tx) => {
        // Exactly once also across processes: a checkpoint moved by another writer means these events are done.
        const stored = await transactions.loadCheckpoint(tx, this.name);
        if (!sameCheckpoint(stored, expected))
          throw (failed = new ProjectionCheckpointConflictError(this.name, expected, stored));
        for (let i = 0; i < events.length; i++) {
          const { recorded, source, checkpoint: at } = events[i]!;
          try {
            await this.#router.dispatch(recorded, { recorded, source, checkpoint: at, tx });
          } catch (cause) {
            throw (failed = new EventApplyError(i, { cause }));
          }
        }
        if (checkpoint) await transactions.saveCheckpoint(tx, this.name, checkpoint);
      });
    } catch (error) {
      // Whatever the port rethrows, a handler failure or a conflict stays one (the batch was rolled back).
      if (failed) throw failed;
      throw new ProjectionTransactionError(this.name, 'apply', { cause: error });
    }
  }

  // ---- state -------------------------------------------------------------------------------------------------------

  /** Current lifecycle state. */
  get status(): ReadModelStatus {
    return this.#processor.status;
  }

  /** True when the source has handled its history (and the model has not failed or stopped). */
  get isLive(): boolean {
    return this.status === 'live';
  }

  /** Why the model failed (a `ReadModelHandlerError` naming the event, or a transaction/listener failure). */
  get failure(): ReactiveDomainError | undefined {
    return this.#processor.failure;
  }

  /** Events set aside by the `park` policy, oldest first. */
  get parked(): readonly ParkedEvent[] {
    return this.#processor.parked;
  }

  /** Events committed (including those without a handler) since the model was created. */
  get handledCount(): number {
    return this.#processor.handledCount;
  }

  /** Events received but not committed yet (the partial batch; see `batchDelayMs`). */
  get pendingCount(): number {
    return this.#processor.pendingCount;
  }

  /** The committed checkpoint (undefined: nothing committed yet in this process and none loaded). */
  get checkpoint(): Checkpoint | undefined {
    return this.#processor.checkpointOf(this.source);
  }

  // ---- handlers ----------------------------------------------------------------------------------------------------

  /** Registers the handler for events of exactly `type`. Call it in the constructor. */
  protected on<E extends object>(type: MessageType<E>, handler: DurableReadModelHandler<E, TTx>): void {
    this.#router.on(type, handler);
  }

  /** Reports an error on `errors$` / `onError` without failing the model. */
  protected reportError(error: ReactiveDomainError): void {
    this.#processor.report(error);
  }

  /**
   * Deletes the model's state inside `tx`, for {@link rebuild} (the checkpoint is deleted in the same
   * transaction). Override it: the default throws {@link RebuildNotSupportedError}.
   */
  protected reset(_tx: TTx): void | Promise<void> {
    throw new RebuildNotSupportedError(this.name);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------------

  /**
   * Starts following the source from the stored checkpoint; resolves once the subscription is open (await
   * {@link whenLive} for the history). Rejects when the checkpoint cannot be loaded, does not fit the source, or
   * lies past the end of the store (`CheckpointPastEndError`). Idempotent while running; restarts after `stop()`.
   */
  start(): Promise<void> {
    return this.#processor.start([this.source]);
  }

  /** Resolves when the history that existed at start is committed; rejects if the model fails first. */
  whenLive(): Promise<void> {
    return this.#processor.whenLive();
  }

  /** Resolves once the model has committed up to `checkpoint` of `source` (see `ReadModelBase.waitFor`). */
  waitFor(source: ListenerSource, checkpoint: Checkpoint, options?: WaitForOptions): Promise<void>;
  /**
   * Read your own write: resolves once every event of the source at or before the global `position` is committed
   * (see `ReadModelBase.waitFor`); rejects on failure, stop, deadline (default 30 s) or abort.
   */
  waitFor(position: bigint | Checkpoint, options?: WaitForOptions): Promise<void>;
  waitFor(
    target: ListenerSource | bigint | Checkpoint,
    checkpointOrOptions?: Checkpoint | WaitForOptions,
    options?: WaitForOptions,
  ): Promise<void> {
    return this.#processor.waitFor(target, checkpointOrOptions, options);
  }

  /** Stops following; commits the pending batch. Resolves when nothing runs any more. Idempotent. */
  stop(): Promise<void> {
    return this.#processor.stop();
  }

  /**
   * Rebuilds from scratch: stops, runs `reset(tx)` and deletes the checkpoint in one transaction, clears a failure
   * and the parked events, replays the source and resolves when live again, reporting progress.
   */
  rebuild(options: RebuildOptions = {}): Promise<RebuildProgress> {
    return this.#processor.rebuild(options);
  }
}

/** Runs `work` in a transaction, turning a storage failure into a {@link ProjectionTransactionError}. */
async function inTransaction<TTx, T>(
  name: string,
  operation: 'load' | 'reset',
  transactions: ProjectionTransactions<TTx>,
  work: (tx: TTx) => Promise<T>,
): Promise<T> {
  try {
    return await transactions.transaction(work);
  } catch (error) {
    if (error instanceof RebuildNotSupportedError) throw error;
    throw new ProjectionTransactionError(name, operation, { cause: error });
  }
}

function sameCheckpoint(a: Checkpoint | undefined, b: Checkpoint | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind === 'stream') return b.kind === 'stream' && a.revision === b.revision;
  return b.kind === 'all' && a.position === b.position;
}
