import type BetterSqlite3 from 'better-sqlite3';
import {
  fromStoredCheckpoint,
  toStoredCheckpoint,
  type Checkpoint,
} from '../../foundation/subscriptions/checkpoint';
import {
  assertCheckpointModel,
  assertCheckpointSave,
  type CheckpointStore,
} from '../../foundation/subscriptions/checkpoint-store';
import type { SqliteDatabase } from './sqlite-database';

/**
 * A {@link CheckpointStore} in the `rd_checkpoints` table of a {@link SqliteDatabase} (one row per model and source
 * key, the checkpoint as JSON with a `bigint` position as a decimal string). Each save is its own durable commit.
 *
 * For a read model whose state lives in the same database, write state and checkpoint in one transaction instead
 * (`SqliteProjectionTransactions`), so a crash can never separate them. The synchronous `…Sync` methods let code
 * already inside a {@link SqliteDatabase.writeTransaction} include a checkpoint in that transaction.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly statements: {
    readonly load: BetterSqlite3.Statement<[string], { source_key: string; checkpoint: string }>;
    readonly save: BetterSqlite3.Statement<[string, string, string, number]>;
    readonly delete: BetterSqlite3.Statement<[string]>;
  };

  constructor(
    /** The database holding the checkpoints (its owner closes it). */
    readonly database: SqliteDatabase,
  ) {
    this.statements = database.read('prepare checkpoint statements', (db) => ({
      load: db.prepare('SELECT source_key, checkpoint FROM rd_checkpoints WHERE model = ?'),
      save: db.prepare(
        'INSERT INTO rd_checkpoints (model, source_key, checkpoint, updated) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (model, source_key) DO UPDATE SET checkpoint = excluded.checkpoint, updated = excluded.updated',
      ),
      delete: db.prepare('DELETE FROM rd_checkpoints WHERE model = ?'),
    }));
  }

  async load(model: string): Promise<ReadonlyMap<string, Checkpoint>> {
    return this.loadSync(model);
  }

  async save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void> {
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.saveSync(model, sourceKey, checkpoint);
  }

  async delete(model: string): Promise<void> {
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.deleteSync(model);
  }

  /** {@link load}, synchronously (usable inside a write transaction). Throws for a corrupt stored checkpoint. */
  loadSync(model: string): ReadonlyMap<string, Checkpoint> {
    assertCheckpointModel(model, 'load');
    const rows = this.database.read(`load checkpoints of ${JSON.stringify(model)}`, () =>
      this.statements.load.all(model),
    );
    const result = new Map<string, Checkpoint>();
    for (const row of rows) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(row.checkpoint);
      } catch {
        parsed = row.checkpoint;
      }
      result.set(row.source_key, fromStoredCheckpoint(parsed));
    }
    return result;
  }

  /** {@link save}, synchronously: joins the caller's write transaction when there is one. */
  saveSync(model: string, sourceKey: string, checkpoint: Checkpoint): void {
    assertCheckpointSave(model, sourceKey, checkpoint);
    const text = JSON.stringify(toStoredCheckpoint(checkpoint));
    this.database.writeTransaction(`save checkpoint of ${JSON.stringify(model)}`, () =>
      this.statements.save.run(model, sourceKey, text, Date.now()),
    );
  }

  /** {@link delete}, synchronously: joins the caller's write transaction when there is one. */
  deleteSync(model: string): void {
    assertCheckpointModel(model, 'delete');
    this.database.writeTransaction(`delete checkpoints of ${JSON.stringify(model)}`, () =>
      this.statements.delete.run(model),
    );
  }
}
