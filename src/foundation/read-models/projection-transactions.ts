import type { Checkpoint } from '../subscriptions/checkpoint';

/**
 * The port a {@link DurableReadModel} writes through: transactions of the database that holds the model's state
 * and its checkpoint, so both change together (exactly-once effect). `TTx` is whatever the handlers write with
 * (a PostgreSQL client inside `BEGIN`, a SQLite connection, a draft in memory...).
 *
 * The PostgreSQL and SQLite adapters implement it; {@link InMemoryProjectionTransactions} does for tests.
 */
export interface ProjectionTransactions<TTx> {
  /** Runs work in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(work: (tx: TTx) => Promise<T>): Promise<T>;
  /**
   * The checkpoint stored under the model `name` inside `tx` (undefined: none). The model reads it at the start of
   * every batch to detect a second writer: lock the row for the rest of the transaction (`SELECT … FOR UPDATE`, or
   * SQLite's `BEGIN IMMEDIATE`) so two writers serialise instead of both passing the check.
   */
  loadCheckpoint(tx: TTx, name: string): Promise<Checkpoint | undefined>;
  /** Stores the checkpoint of the model `name` inside `tx`, replacing the previous one. */
  saveCheckpoint(tx: TTx, name: string, checkpoint: Checkpoint): Promise<void>;
  /** Forgets the checkpoint of the model `name` inside `tx` (used by rebuild). */
  deleteCheckpoint(tx: TTx, name: string): Promise<void>;
}
