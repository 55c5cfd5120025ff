import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { validPositiveInteger } from './deadline';
import type { TransportDelivery, DeliveryHandler } from './message-transport';

/** What {@link InboxStore.handleOnce} did. */
export type InboxOutcome<R> =
  | {
      /** The message was new: the effect ran and the id was recorded with it. */
      readonly status: 'handled';
      /** What the effect returned. */
      readonly result: R;
    }
  | {
      /** The message id was already recorded for this consumer: the effect did not run. */
      readonly status: 'duplicate';
    };

/**
 * The receiving side's dedup: remembers, per consumer, the ids of the messages it handled, so a redelivered or
 * republished message has no second effect.
 *
 * `TContext` is what the effect receives to make its changes in the same unit of work as the record: a SQL
 * implementation begins a transaction, inserts `(consumer, message_id)` (a primary-key conflict means duplicate:
 * roll back, report `duplicate`), runs the effect with the transaction as context, and commits both together. The
 * effect must make its changes through that context; changes made elsewhere are not covered.
 *
 * **Retention is bounded** (each implementation documents its bound): an id is remembered at least as long as a
 * duplicate of it can still arrive. For a forwarder, that is the longest time it can take to restart and replay
 * from its checkpoint plus the broker's redelivery time; for brokers with their own dedup window (NATS) the window
 * adds nothing. A duplicate arriving after its id was forgotten is handled again.
 */
export interface InboxStore<TContext = void> {
  /** Runs `effect` unless `consumer` already handled `messageId`, recording the id with the effect. */
  handleOnce<R>(
    consumer: string,
    messageId: string,
    effect: (context: TContext) => R | Promise<R>,
  ): Promise<InboxOutcome<R>>;
  /** Forgets ids recorded before `before`; resolves with how many were forgotten. */
  prune(before: Date): Promise<number>;
}

/** Options of {@link InMemoryInboxStore}. */
export interface InMemoryInboxStoreOptions {
  /** Ids older than this are forgotten (default 7 days). */
  readonly retentionMs?: number;
  /** At most this many ids per consumer; the oldest go first (default 1,000,000). */
  readonly maxEntriesPerConsumer?: number;
}

/**
 * An {@link InboxStore} in memory, for tests and for consumers whose effects are in memory too (they die with the
 * process, and so does the inbox). Bounded: at most `maxEntriesPerConsumer` ids per consumer and none older than
 * `retentionMs`, checked as ids are recorded. The record is made when the effect succeeded (an effect that throws
 * leaves no record, so the redelivery runs it again). Concurrent deliveries of one id run the effect once: the
 * second waits for the first.
 */
export class InMemoryInboxStore implements InboxStore<void> {
  private readonly consumers = new Map<string, Map<string, number>>();
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly retentionMs: number;
  private readonly maxEntries: number;
  private duplicateCount = 0;

  constructor(options: InMemoryInboxStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.maxEntries = options.maxEntriesPerConsumer ?? 1_000_000;
  }

  /** How many duplicates were absorbed so far (all consumers). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  /** How many ids are remembered for `consumer`. */
  size(consumer: string): number {
    return this.consumers.get(consumer)?.size ?? 0;
  }

  async handleOnce<R>(
    consumer: string,
    messageId: string,
    effect: (context: void) => R | Promise<R>,
  ): Promise<InboxOutcome<R>> {
    const key = `${consumer}\u0000${messageId}`;
    for (let pending = this.running.get(key); pending; pending = this.running.get(key)) {
      await pending.catch(() => undefined);
    }
    let ids = this.consumers.get(consumer);
    if (ids?.has(messageId)) {
      this.duplicateCount++;
      return { status: 'duplicate' };
    }
    const run = Promise.resolve().then(() => effect());
    this.running.set(key, run);
    try {
      const result = await run;
      if (!ids) this.consumers.set(consumer, (ids = new Map()));
      ids.set(messageId, Date.now());
      this.trim(ids);
      return { status: 'handled', result };
    } finally {
      this.running.delete(key);
    }
  }

  async prune(before: Date): Promise<number> {
    let removed = 0;
    for (const ids of this.consumers.values()) removed += this.dropOlder(ids, before.getTime());
    return removed;
  }

  private trim(ids: Map<string, number>): void {
    while (ids.size > this.maxEntries) ids.delete(ids.keys().next().value as string);
    this.dropOlder(ids, Date.now() - this.retentionMs);
  }

  /** Ids are in insertion (= time) order: drop from the front. */
  private dropOlder(ids: Map<string, number>, cutoff: number): number {
    let removed = 0;
    for (const [id, at] of ids) {
      if (at >= cutoff) break;
      ids.delete(id);
      removed++;
    }
    return removed;
  }
}

/** Options of {@link withInbox}. */
export interface WithInboxOptions {
  /** Called for each duplicate (acked without running the handler). */
  readonly onDuplicate?: (delivery: TransportDelivery) => void;
}

/**
 * A delivery handler that runs `handler` at most once per message id for `consumer` (usually the group name):
 * duplicates are acked without running it. The handler receives the inbox context (a transaction for SQL inboxes).
 */
export function withInbox<TContext>(
  inbox: InboxStore<TContext>,
  consumer: string,
  handler: (delivery: TransportDelivery, context: TContext) => void | Promise<void>,
  options: WithInboxOptions = {},
): DeliveryHandler {
  return async (delivery) => {
    const outcome = await inbox.handleOnce(consumer, delivery.message.messageId, (context) =>
      handler(delivery, context),
    );
    if (outcome.status === 'duplicate') {
      options.onDuplicate?.(delivery);
      await delivery.ack();
    }
  };
}

/**
 * Refuses an inbox key (`consumer` or `messageId`) that is not a non-empty string.
 * @internal shared by the SQL inbox stores
 */
export function assertInboxKey(value: unknown, what: 'consumer' | 'messageId'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgumentError(`Inbox ${what} must be a non-empty string, got ${describeValue(value)}`);
}

/**
 * The retention bookkeeping of a SQL inbox store: the bounds from its options, the consumers that recorded ids since
 * the last run (all consumers on the first run), and the run of the store's `enforceRetention` started every
 * `retentionEvery` recorded ids (one at a time; its failures go to `onError`).
 * @internal shared by the SQL inbox stores
 */
export class InboxRetentionSchedule {
  /** Ids older than this are forgotten. */
  readonly retentionMs: number;
  /** At most this many ids per consumer. */
  readonly maxEntries: number;
  private readonly every: number;
  private readonly onError: (error: unknown) => void;
  private readonly touched = new Set<string>();
  private recordedSinceRun = 0;
  private firstRunDone = false;
  private running: Promise<void> | undefined;

  constructor(
    store: string,
    options: {
      readonly retentionMs?: number;
      readonly maxEntriesPerConsumer?: number;
      readonly retentionEvery?: number;
      readonly onError?: (error: unknown) => void;
    },
    private readonly run: () => Promise<unknown>,
    private readonly stopped: () => boolean = () => false,
  ) {
    this.retentionMs = validPositiveInteger(options.retentionMs ?? 7 * 86_400_000, 'retentionMs');
    this.maxEntries = validPositiveInteger(
      options.maxEntriesPerConsumer ?? 1_000_000,
      'maxEntriesPerConsumer',
    );
    this.every = validPositiveInteger(options.retentionEvery ?? 1_000, 'retentionEvery');
    this.onError =
      options.onError ??
      ((error: unknown) => process.emitWarning(`${store} retention: ${String(error)}`, { code: 'RD_INBOX' }));
  }

  /** The run started by {@link recorded}, while it runs. */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  /** Counts a recorded id; every `retentionEvery` of them, starts a run (one at a time, none once stopped). */
  recorded(consumer: string): void {
    this.touched.add(consumer);
    if (++this.recordedSinceRun < this.every || this.running || this.stopped()) return;
    this.recordedSinceRun = 0;
    this.running = this.run()
      .then(
        () => undefined,
        (error: unknown) => this.onError(error),
      )
      .finally(() => (this.running = undefined));
  }

  /** The consumers to apply the count bound to: those that recorded ids since the last run; `undefined` (all) at first. */
  consumersToTrim(): string[] | undefined {
    return this.firstRunDone ? [...this.touched] : undefined;
  }

  /** Starts a new round: the next {@link consumersToTrim} are the consumers that record ids from now on. */
  trimmed(): void {
    this.touched.clear();
    this.firstRunDone = true;
  }
}
