import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError } from '../../core/reactive-domain.error';
import { validPositiveInteger } from '../../transport/deadline';
import type { OutboxEntry, OutboxStore, StoredOutboxEntry } from '../../transport/outbox-store';
import {
  assertOutboxEntries,
  assertOutboxSequences,
  outboxEntryOf,
  outboxEnvelopeOf,
  type OutboxRow,
} from '../../transport/outbox-row';
import type { SqliteDatabase } from './sqlite-database';

/**
 * An {@link OutboxStore} in the `rd_outbox` table of a {@link SqliteDatabase} (schema version 2), for messages that
 * are not events (a command to another service), written in the same transaction as the append that decided them:
 *
 * ```ts
 * database.writeTransaction('place order', (tx) => {
 *   store.appendInTransaction(tx, 'order-1', ExpectedVersion.NoStream, events);
 *   outbox.enqueueSync(tx, [{ topic: 'warehouse.commands', message }]);
 * });
 * ```
 *
 * Inside an asynchronous transaction (an inbox effect, a durable read model's batch) use {@link enqueue}. An
 * `OutboxRelay` publishes the entries in sequence order and deletes them after the broker confirmed. SQLite has one
 * writer at a time, so sequences are commit-ordered: the relay publishes in commit order. `pending` and `markSent`
 * wait for an open asynchronous transaction on the database to end first, so the relay never sees an entry that
 * could still be rolled back. Run one relay per outbox: a second would publish duplicates (never losses).
 */
export class SqliteOutboxStore implements OutboxStore<BetterSqlite3.Database> {
  private readonly statements: {
    readonly insert: BetterSqlite3.Statement<[string, string, string, string, string, number]>;
    readonly pending: BetterSqlite3.Statement<[number], OutboxRow>;
    readonly delete: BetterSqlite3.Statement<[number]>;
  };

  constructor(
    /** The database holding the outbox (its owner closes it). */
    readonly database: SqliteDatabase,
  ) {
    this.statements = database.read('prepare outbox statements', (db) => ({
      insert: db.prepare(
        'INSERT INTO rd_outbox (topic, message_id, type, body, envelope, enqueued) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      pending: db.prepare<[number], OutboxRow>(
        'SELECT sequence, topic, message_id, type, body, envelope FROM rd_outbox ORDER BY sequence LIMIT ?',
      ),
      delete: db.prepare('DELETE FROM rd_outbox WHERE sequence = ?'),
    }));
  }

  /**
   * Inserts `entries` inside the caller's transaction on this database (`tx` is the connection it handed over).
   * Every entry is checked first (topic and message, `InvalidTopicError` naming the field); nothing is written when
   * one is invalid. Throws synchronously, so a failure rolls the caller's `writeTransaction` back.
   */
  enqueueSync(tx: BetterSqlite3.Database, entries: readonly OutboxEntry[]): void {
    if (tx !== this.database.connection || !tx.inTransaction)
      throw new InvalidArgumentError(
        'enqueue: tx must be the connection handed to a write transaction of this database, used inside it',
      );
    assertOutboxEntries(entries);
    const now = Date.now();
    this.database.read(`enqueue ${entries.length} outbox message(s)`, () => {
      for (const { topic, message } of entries)
        this.statements.insert.run(
          topic,
          message.messageId,
          message.type,
          message.body,
          JSON.stringify(outboxEnvelopeOf(message)),
          now,
        );
    });
  }

  /** {@link enqueueSync} for the port (inside an asynchronous transaction on this database). */
  async enqueue(tx: BetterSqlite3.Database, entries: readonly OutboxEntry[]): Promise<void> {
    this.enqueueSync(tx, entries);
  }

  async pending(limit: number): Promise<readonly StoredOutboxEntry[]> {
    validPositiveInteger(limit, 'pending(limit)');
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    const rows = this.database.read('read the pending outbox messages', () =>
      this.statements.pending.all(limit),
    );
    return rows.map(outboxEntryOf);
  }

  async markSent(sequences: readonly bigint[]): Promise<void> {
    assertOutboxSequences(sequences);
    if (sequences.length === 0) return;
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.database.writeTransaction(`mark ${sequences.length} outbox message(s) sent`, () => {
      for (const sequence of sequences) this.statements.delete.run(Number(sequence));
    });
  }
}
