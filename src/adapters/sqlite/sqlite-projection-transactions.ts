import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import {
  fromStoredCheckpoint,
  toStoredCheckpoint,
  type Checkpoint,
} from '../../foundation/subscriptions/checkpoint';
import type { ProjectionTransactions } from '../../foundation/read-models/projection-transactions';
import type { SqliteDatabase } from './sqlite-database';

/**
 * The SQLite side of {@link ProjectionTransactions}, for a `DurableReadModel<BetterSqlite3.Database>` whose rows
 * live in a {@link SqliteDatabase}: the model's state and its
 * checkpoint (table `rd_projection_checkpoints`) change in ONE transaction, so a crash between two events can
 * neither lose an event's effect nor apply it twice. The transaction handle (`tx`) is the better-sqlite3
 * connection itself, inside `BEGIN IMMEDIATE`: handlers write with `tx.prepare(...).run(...)`.
 *
 * The transaction takes the file's write lock when it begins, so two writers of one model (two processes, or two
 * instances in one) serialise, and the second sees the first's checkpoint. While a transaction is open, the
 * library's other writes through the same database (appends, checkpoint saves) wait for it; keep the work short,
 * and never append to the store from a handler (the append would wait for the transaction that waits for it).
 *
 * @example
 * ```ts
 * class OrderTotals extends DurableReadModel<BetterSqlite3.Database> {
 *   protected applyOrderPlaced(e: OrderPlaced, { tx }: DurableEventContext<BetterSqlite3.Database>) {
 *     tx.prepare('INSERT INTO order_totals (id, total) VALUES (?, ?)').run(e.orderId, e.totalCents);
 *   }
 * }
 * const model = new OrderTotals('order-totals', {
 *   store, serializer, source: ListenerSources.category('order'),
 *   transactions: new SqliteProjectionTransactions(database),
 * });
 * ```
 */
export class SqliteProjectionTransactions implements ProjectionTransactions<BetterSqlite3.Database> {
  private readonly statements: {
    readonly load: BetterSqlite3.Statement<[string], string>;
    readonly save: BetterSqlite3.Statement<[string, string, number]>;
    readonly delete: BetterSqlite3.Statement<[string]>;
  };

  constructor(
    /** The database holding the model's rows and checkpoint (its owner closes it). */
    readonly database: SqliteDatabase,
  ) {
    this.statements = database.read('prepare read-model checkpoint statements', (db) => ({
      load: db
        .prepare<[string], string>('SELECT checkpoint FROM rd_projection_checkpoints WHERE name = ?')
        .pluck(),
      save: db.prepare(
        'INSERT INTO rd_projection_checkpoints (name, checkpoint, updated) VALUES (?, ?, ?) ' +
          'ON CONFLICT (name) DO UPDATE SET checkpoint = excluded.checkpoint, updated = excluded.updated',
      ),
      delete: db.prepare('DELETE FROM rd_projection_checkpoints WHERE name = ?'),
    }));
  }

  /** Runs `work` in one `BEGIN IMMEDIATE` transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(work: (tx: BetterSqlite3.Database) => Promise<T>): Promise<T> {
    return this.database.asyncWriteTransaction('read-model transaction', work);
  }

  /** The checkpoint stored for `name` (undefined: none). Throws for a corrupt stored checkpoint. */
  async loadCheckpoint(tx: BetterSqlite3.Database, name: string): Promise<Checkpoint | undefined> {
    this.assertInTransaction(tx, name);
    const text = this.database.read(`load checkpoint of ${JSON.stringify(name)}`, () =>
      this.statements.load.get(name),
    );
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return fromStoredCheckpoint(parsed);
  }

  /** Stores the checkpoint of `name` inside `tx`, replacing the previous one. */
  async saveCheckpoint(tx: BetterSqlite3.Database, name: string, checkpoint: Checkpoint): Promise<void> {
    this.assertInTransaction(tx, name);
    const text = JSON.stringify(toStoredCheckpoint(checkpoint));
    this.database.read(`save checkpoint of ${JSON.stringify(name)}`, () =>
      this.statements.save.run(name, text, Date.now()),
    );
  }

  /** Forgets the checkpoint of `name` inside `tx` (rebuild). */
  async deleteCheckpoint(tx: BetterSqlite3.Database, name: string): Promise<void> {
    this.assertInTransaction(tx, name);
    this.database.read(`delete checkpoint of ${JSON.stringify(name)}`, () =>
      this.statements.delete.run(name),
    );
  }

  /** A checkpoint written outside the model's transaction would defeat its purpose: refuse it. */
  private assertInTransaction(tx: BetterSqlite3.Database, name: string): void {
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidArgumentError(
        `read-model checkpoint name must be a non-empty string, got ${describeValue(name)}`,
      );
    if (tx !== this.database.connection || !tx.inTransaction || !this.database.hasOpenAsyncTransaction)
      throw new InvalidArgumentError(
        `read-model checkpoint of ${JSON.stringify(name)}: tx must be the connection handed to transaction(work), ` +
          'used inside that transaction',
      );
  }
}
