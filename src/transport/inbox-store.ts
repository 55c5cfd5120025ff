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
