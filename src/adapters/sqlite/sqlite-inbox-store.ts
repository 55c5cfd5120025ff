import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import {
  InboxRetentionSchedule,
  assertInboxKey,
  type InboxOutcome,
  type InboxStore,
} from '../../transport/inbox-store';
import type { SqliteDatabase } from './sqlite-database';

/** Options of {@link SqliteInboxStore}: the retention bounds. */
export interface SqliteInboxStoreOptions {
  /** Ids recorded longer ago than this are forgotten by {@link SqliteInboxStore.enforceRetention} (default 7 days). */
  readonly retentionMs?: number;
  /** At most this many ids are kept per consumer; the oldest go first (default 1,000,000). */
  readonly maxEntriesPerConsumer?: number;
  /** {@link SqliteInboxStore.enforceRetention} runs after every this many handled messages (default 1,000). */
  readonly retentionEvery?: number;
  /** Failures of the automatic retention run (the next run retries). Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

const DUPLICATE = { status: 'duplicate' } as const;

/**
 * An {@link InboxStore} in the `rd_inbox` table of a {@link SqliteDatabase} (schema version 2). The effect runs inside
 * one `BEGIN IMMEDIATE` transaction ({@link SqliteDatabase.asyncWriteTransaction}) that first inserts
 * `(consumer, message_id)`; the context it receives is the connection: write the effect's rows with
 * `tx.prepare(...).run(...)` and they commit together with the id, or neither does (an effect that throws rolls both
 * back, so the redelivery runs it again). A duplicate id inserts nothing and the effect does not run.
 *
 * Concurrent deliveries of one id: in one process the transactions on a database run one after the other; across
 * processes SQLite's single writer lock serialises them. Either way the second finds the first's committed id.
 * While an effect runs it holds the file's write lock: keep it short, and do not append to a store from it (the
 * append waits for the transaction that waits for it) — enqueue outbox messages instead (`SqliteOutboxStore.enqueue`).
 *
 * **Retention is bounded** by age and by count: ids older than `retentionMs` (default 7 days) and, per consumer, all
 * but the newest `maxEntriesPerConsumer` (default 1,000,000) are deleted by {@link enforceRetention}, which runs after
 * every `retentionEvery` handled messages. A duplicate arriving after its id was forgotten is handled again.
 */
export class SqliteInboxStore implements InboxStore<BetterSqlite3.Database> {
  private readonly retention: InboxRetentionSchedule;
  private duplicateCount = 0;
  private readonly statements: {
    readonly insert: BetterSqlite3.Statement<[string, string, number]>;
    readonly pruneBefore: BetterSqlite3.Statement<[number]>;
    readonly trim: BetterSqlite3.Statement<[string, string, number]>;
    readonly consumers: BetterSqlite3.Statement<[], string>;
  };

  constructor(
    /** The database holding the inbox and the effects' tables (its owner closes it). */
    readonly database: SqliteDatabase,
    options: SqliteInboxStoreOptions = {},
  ) {
    this.retention = new InboxRetentionSchedule('SqliteInboxStore', options, () => this.enforceRetention());
    this.statements = database.read('prepare inbox statements', (db) => ({
      insert: db.prepare(
        'INSERT INTO rd_inbox (consumer, message_id, received) VALUES (?, ?, ?) ' +
          'ON CONFLICT (consumer, message_id) DO NOTHING',
      ),
      pruneBefore: db.prepare('DELETE FROM rd_inbox WHERE received < ?'),
      trim: db.prepare(
        'DELETE FROM rd_inbox WHERE consumer = ? AND seq <= ' +
          '(SELECT seq FROM rd_inbox WHERE consumer = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ),
      consumers: db.prepare<[], string>('SELECT DISTINCT consumer FROM rd_inbox').pluck(),
    }));
  }

  /** How many duplicates this store absorbed so far (all consumers). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  async handleOnce<R>(
    consumer: string,
    messageId: string,
    effect: (context: BetterSqlite3.Database) => R | Promise<R>,
  ): Promise<InboxOutcome<R>> {
    assertInboxKey(consumer, 'consumer');
    assertInboxKey(messageId, 'messageId');
    if (typeof effect !== 'function')
      throw new InvalidArgumentError(`handleOnce: effect must be a function, got ${describeValue(effect)}`);
    const outcome = await this.database.asyncWriteTransaction<InboxOutcome<R>>(
      `handle message ${JSON.stringify(messageId)} for consumer ${JSON.stringify(consumer)}`,
      async (tx) => {
        if (this.statements.insert.run(consumer, messageId, Date.now()).changes === 0) return DUPLICATE;
        return { status: 'handled', result: await effect(tx) };
      },
    );
    if (outcome.status === 'duplicate') this.duplicateCount++;
    else this.retention.recorded(consumer);
    return outcome;
  }

  /**
   * {@link handleOnce} for a synchronous effect, run in a synchronous {@link SqliteDatabase.writeTransaction}
   * (after any open asynchronous transaction ended). Use it when the effect appends events:
   * `SqliteStreamStore.appendInTransaction` (which refuses an asynchronous transaction) then commits the events
   * with the message id.
   */
  async handleOnceSync<R>(
    consumer: string,
    messageId: string,
    effect: (context: BetterSqlite3.Database) => R,
  ): Promise<InboxOutcome<R>> {
    assertInboxKey(consumer, 'consumer');
    assertInboxKey(messageId, 'messageId');
    if (typeof effect !== 'function')
      throw new InvalidArgumentError(
        `handleOnceSync: effect must be a function, got ${describeValue(effect)}`,
      );
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    const outcome = this.database.writeTransaction<InboxOutcome<R>>(
      `handle message ${JSON.stringify(messageId)} for consumer ${JSON.stringify(consumer)}`,
      (tx) => {
        if (this.statements.insert.run(consumer, messageId, Date.now()).changes === 0) return DUPLICATE;
        const result = effect(tx);
        if (result instanceof Promise)
          throw new InvalidArgumentError(
            `handleOnceSync: the effect for message ${JSON.stringify(messageId)} returned a promise; ` +
              'use handleOnce for an asynchronous effect',
          );
        return { status: 'handled', result };
      },
    );
    if (outcome.status === 'duplicate') this.duplicateCount++;
    else this.retention.recorded(consumer);
    return outcome;
  }

  async prune(before: Date): Promise<number> {
    if (!(before instanceof Date) || Number.isNaN(before.getTime()))
      throw new InvalidArgumentError(`prune(before): expected a valid Date, got ${describeValue(before)}`);
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    return this.database.writeTransaction(
      `prune the inbox before ${before.toISOString()}`,
      () => this.statements.pruneBefore.run(before.getTime()).changes,
    );
  }

  /**
   * Applies both bounds now: forgets ids older than `retentionMs`, and for the consumers that recorded ids since the
   * last run (all consumers on the first run), all but the newest `maxEntriesPerConsumer`. Resolves with how many
   * ids were forgotten.
   */
  async enforceRetention(): Promise<number> {
    let removed = await this.prune(new Date(Date.now() - this.retention.retentionMs));
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    removed += this.database.writeTransaction('trim the inbox', () => {
      const consumers = this.retention.consumersToTrim() ?? this.statements.consumers.all();
      let trimmed = 0;
      for (const consumer of consumers)
        trimmed += this.statements.trim.run(consumer, consumer, this.retention.maxEntries).changes;
      return trimmed;
    });
    this.retention.trimmed();
    return removed;
  }
}
