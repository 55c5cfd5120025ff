import type { PoolClient } from 'pg';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import {
  InboxRetentionSchedule,
  assertInboxKey,
  type InboxOutcome,
  type InboxStore,
} from '../../transport/inbox-store';
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';
import { assertSchemaReady } from './postgres-schema';

/** Options of {@link PostgresInboxStore}: where the database is, and the retention bounds. */
export interface PostgresInboxStoreOptions extends PostgresConnectionOptions {
  /** Ids recorded longer ago than this are forgotten by {@link PostgresInboxStore.enforceRetention} (default 7 days). */
  readonly retentionMs?: number;
  /** At most this many ids are kept per consumer; the oldest go first (default 1,000,000). */
  readonly maxEntriesPerConsumer?: number;
  /**
   * The store runs {@link PostgresInboxStore.enforceRetention} in the background after every this many handled
   * messages (default 1,000), outside the handlers' transactions.
   */
  readonly retentionEvery?: number;
  /** Failures of the background retention run (the next run retries). Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

const DUPLICATE = { status: 'duplicate' } as const;

/**
 * An {@link InboxStore} in PostgreSQL (table `inbox` of the schema, schema version 2; run `migrate()` first). The
 * context handed to the effect is the transaction's `PoolClient`: the effect makes its changes through it, and they
 * commit together with the message id, or neither does.
 *
 * `handleOnce` begins a transaction, inserts `(consumer, message_id)` (`ON CONFLICT DO NOTHING`), and:
 * - no row inserted: the id is already recorded, so the message is a duplicate; nothing else runs;
 * - inserted: runs the effect with the transaction, then commits; an effect that throws rolls back the id with its
 *   effects, so the redelivery runs it again.
 *
 * Two consumers handling the same id at once: the second insert waits on the first one's uncommitted key (a
 * PostgreSQL unique-index wait), then finds it committed (duplicate) or rolled back (it runs the effect itself). An
 * effect therefore holds its message's key for as long as it runs: keep effects short, or the waiting delivery may
 * hit `statement_timeout` (it fails and is redelivered; nothing is doubled).
 *
 * **Retention is bounded** by age and by count: ids older than `retentionMs` (default 7 days) and, per consumer, all
 * but the newest `maxEntriesPerConsumer` (default 1,000,000) are deleted by {@link enforceRetention}, which the store
 * runs in the background every `retentionEvery` handled messages (and which you may schedule yourself). A duplicate
 * arriving after its id was forgotten is handled again: choose the age above the longest time a duplicate can still
 * arrive (forwarder restart and replay, broker redelivery).
 */
export class PostgresInboxStore implements InboxStore<PoolClient> {
  /** The schema holding the inbox. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly retention: InboxRetentionSchedule;
  private duplicateCount = 0;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresInboxStoreOptions) {
    this.db = new PostgresConnection(options, 'PostgresInboxStore');
    this.readiness = new StoreReadiness('PostgresInboxStore', () => assertSchemaReady(this.db));
    this.schema = this.db.schema;
    this.retention = new InboxRetentionSchedule(
      'PostgresInboxStore',
      options,
      () => this.enforceRetention(),
      () => this.readiness.closed,
    );
  }

  /** How many duplicates this store instance absorbed so far (all consumers). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  async handleOnce<R>(
    consumer: string,
    messageId: string,
    effect: (context: PoolClient) => R | Promise<R>,
  ): Promise<InboxOutcome<R>> {
    assertInboxKey(consumer, 'consumer');
    assertInboxKey(messageId, 'messageId');
    if (typeof effect !== 'function')
      throw new InvalidArgumentError(`handleOnce: effect must be a function, got ${describeValue(effect)}`);
    await this.readiness.ensure();
    const context = {
      what: `handle message ${JSON.stringify(messageId)} for consumer ${JSON.stringify(consumer)}`,
      write: true,
    };
    const outcome = await this.db.transaction<InboxOutcome<R>>(context, async (tx) => {
      const inserted = await this.db.run(
        tx,
        context,
        `INSERT INTO ${this.db.name('inbox')} (consumer, message_id) VALUES ($1, $2) ` +
          'ON CONFLICT (consumer, message_id) DO NOTHING RETURNING 1 AS inserted',
        [consumer, messageId],
      );
      if (inserted.length === 0) return DUPLICATE;
      return { status: 'handled', result: await effect(tx) };
    });
    if (outcome.status === 'duplicate') this.duplicateCount++;
    else this.retention.recorded(consumer);
    return outcome;
  }

  async prune(before: Date): Promise<number> {
    if (!(before instanceof Date) || Number.isNaN(before.getTime()))
      throw new InvalidArgumentError(`prune(before): expected a valid Date, got ${describeValue(before)}`);
    await this.readiness.ensure();
    const [row] = await this.db.query<{ n: number }>(
      { what: `prune the inbox before ${before.toISOString()}`, write: true },
      `WITH d AS (DELETE FROM ${this.db.name('inbox')} WHERE received_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [before],
    );
    return row?.n ?? 0;
  }

  /**
   * Applies both bounds now: forgets ids older than `retentionMs`, and for the consumers that recorded ids since the
   * last run (all consumers on the first run), all but the newest `maxEntriesPerConsumer`. Resolves with how many
   * ids were forgotten.
   */
  async enforceRetention(): Promise<number> {
    let removed = await this.prune(new Date(Date.now() - this.retention.retentionMs));
    const consumers = this.retention.consumersToTrim() ?? (await this.allConsumers());
    this.retention.trimmed();
    for (const consumer of consumers) {
      const [row] = await this.db.query<{ n: number }>(
        { what: `trim the inbox of consumer ${JSON.stringify(consumer)}`, write: true },
        `WITH d AS (DELETE FROM ${this.db.name('inbox')} WHERE consumer = $1 AND seq <= ` +
          `(SELECT seq FROM ${this.db.name('inbox')} WHERE consumer = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1) ` +
          'RETURNING 1) SELECT count(*)::int AS n FROM d',
        [consumer, this.retention.maxEntries],
      );
      removed += row?.n ?? 0;
    }
    return removed;
  }

  /** Waits for a background retention run, then ends the pool if the store created it. Later calls fail. */
  async close(): Promise<void> {
    this.readiness.close();
    await this.retention.current;
    await this.db.end();
  }

  private async allConsumers(): Promise<string[]> {
    const rows = await this.db.query<{ consumer: string }>(
      { what: 'list the inbox consumers', write: false },
      `SELECT DISTINCT consumer FROM ${this.db.name('inbox')}`,
    );
    return rows.map((row) => row.consumer);
  }
}
