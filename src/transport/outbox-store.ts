import { logSafely } from '../core/logger';
import { delay, validPositiveInteger, validTimeoutMs } from './deadline';
import type { MessageTransport } from './message-transport';
import type { TransportMessage } from './transport-message';

/** A message to publish later, with its topic. */
export interface OutboxEntry {
  /** Topic to publish to. */
  readonly topic: string;
  /** The message. */
  readonly message: TransportMessage;
}

/** An outbox entry as stored, with its place in the outbox. */
export interface StoredOutboxEntry extends OutboxEntry {
  /** Strictly increasing in enqueue order. */
  readonly sequence: bigint;
}

/**
 * Messages that are not events (a command to another service, a notification) written in the same transaction as
 * the state change that decided them, then relayed by an {@link OutboxRelay}. Events need no outbox: the event log
 * is one (see `LogForwarder`).
 *
 * `TContext` is the caller's unit of work: a SQL implementation inserts into its outbox table through the
 * transaction the append or the read-model update runs in, so both commit or neither does. This package ships the
 * in-memory implementation; SQL implementations belong with the SQLite and PostgreSQL stores.
 */
export interface OutboxStore<TContext = void> {
  /** Adds messages in the caller's unit of work. */
  enqueue(context: TContext, entries: readonly OutboxEntry[]): Promise<void>;
  /** The oldest unsent entries, in sequence order, at most `limit`. */
  pending(limit: number): Promise<readonly StoredOutboxEntry[]>;
  /** Marks entries as sent (deletes them or flags them; sent entries are never returned by `pending` again). */
  markSent(sequences: readonly bigint[]): Promise<void>;
}

/** An {@link OutboxStore} in memory (tests; applications whose state is in memory). */
export class InMemoryOutboxStore implements OutboxStore<void> {
  private readonly entries: StoredOutboxEntry[] = [];
  private next = 1n;

  async enqueue(_context: void, entries: readonly OutboxEntry[]): Promise<void> {
    for (const entry of entries) this.entries.push({ ...entry, sequence: this.next++ });
  }

  async pending(limit: number): Promise<readonly StoredOutboxEntry[]> {
    return this.entries.slice(0, limit);
  }

  async markSent(sequences: readonly bigint[]): Promise<void> {
    const sent = new Set(sequences);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (sent.has((this.entries[i] as StoredOutboxEntry).sequence)) this.entries.splice(i, 1);
    }
  }
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** Where entries wait. */
  readonly outbox: OutboxStore<never>;
  /** Where they are published. */
  readonly transport: MessageTransport;
  /** Poll interval when the outbox is empty (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Entries per round (default 100). */
  readonly batchSize?: number;
  /** Publish failures (the relay retries them next round). Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Publishes outbox entries in order and marks them sent after the broker confirmed them (at least once: a crash
 * between the confirmation and the mark publishes again; receivers dedup by message id).
 */
export class OutboxRelay {
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: OutboxRelayOptions) {
    this.pollIntervalMs = validTimeoutMs(options.pollIntervalMs ?? 200, 'pollIntervalMs');
    this.batchSize = validPositiveInteger(options.batchSize ?? 100, 'batchSize');
  }

  /** Starts relaying. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Relays one round; resolves with how many entries were published. */
  async relayOnce(): Promise<number> {
    const entries = await this.options.outbox.pending(this.batchSize);
    const sent: bigint[] = [];
    try {
      for (const entry of entries) {
        await this.options.transport.publish(entry.topic, entry.message);
        sent.push(entry.sequence);
      }
    } finally {
      if (sent.length > 0) await this.options.outbox.markSent(sent);
    }
    return sent.length;
  }

  /** Stops after the current round. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      let relayed = 0;
      try {
        relayed = await this.relayOnce();
      } catch (error) {
        (
          this.options.onError ??
          ((e: unknown) => logSafely('warn', { type: 'Warning', code: 'RD_OUTBOX', err: e }, String(e)))
        )(error);
      }
      if (relayed < this.batchSize) await delay(this.pollIntervalMs, signal);
    }
  }
}
