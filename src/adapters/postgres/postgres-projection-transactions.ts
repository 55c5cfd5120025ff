import type { PoolClient } from 'pg';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import {
  fromStoredCheckpoint,
  toStoredCheckpoint,
  type Checkpoint,
} from '../../foundation/subscriptions/checkpoint';
import type { ProjectionTransactions } from '../../foundation/read-models/projection-transactions';
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';
import { assertSchemaReady } from './postgres-schema';

/** The `source_key` under which a durable read model's checkpoint is kept in the `checkpoints` table. */
export const PROJECTION_CHECKPOINT_KEY = '$projection';

/**
 * The PostgreSQL side of a `DurableReadModel<PoolClient>` (its `transactions` option): each batch runs in one transaction on one pooled client (`BEGIN` …
 * `COMMIT`, `ROLLBACK` when the work throws), and the model's checkpoint lives in the schema's `checkpoints` table
 * (key {@link PROJECTION_CHECKPOINT_KEY}), written through the same client — so the model's own tables and its
 * checkpoint commit together: every event takes effect exactly once, whatever crashes.
 *
 * Handlers receive the transaction's `PoolClient` as `context.tx`: write the model's tables with it (and never keep
 * it); the model's `reset(tx)` truncates them for a rebuild, in the same transaction that deletes the checkpoint.
 * {@link loadCheckpoint} takes a transaction-scoped advisory lock on the model's name first, so two instances of one
 * model serialise their batches instead of both passing the checkpoint check.
 */
export class PostgresProjectionTransactions implements ProjectionTransactions<PoolClient> {
  /** The schema holding the checkpoints. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresConnectionOptions) {
    this.db = new PostgresConnection(options, 'PostgresProjectionTransactions');
    this.readiness = new StoreReadiness('PostgresProjectionTransactions', () => assertSchemaReady(this.db));
    this.schema = this.db.schema;
  }

  /** Runs `work` in one transaction on one pooled client: commit when it resolves, roll back when it throws. */
  async transaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    if (typeof work !== 'function')
      throw new InvalidArgumentError(
        `transaction(work): work must be a function, got ${describeValue(work)}`,
      );
    await this.readiness.ensure();
    return this.db.transaction({ what: 'read-model transaction', write: true }, work);
  }

  /** The stored checkpoint of model `name` (undefined: none), after locking the model's name for this transaction. */
  async loadCheckpoint(tx: PoolClient, name: string): Promise<Checkpoint | undefined> {
    assertName(name);
    const context = { what: `load the checkpoint of read model ${JSON.stringify(name)}`, write: false };
    await this.db.run(tx, context, 'SELECT pg_advisory_xact_lock(hashtext($1))', [
      `reactive-domain:${this.schema}:projection:${name}`,
    ]);
    const [row] = await this.db.run<{ checkpoint: string }>(
      tx,
      context,
      `SELECT checkpoint FROM ${this.db.name('checkpoints')} WHERE model = $1 AND source_key = $2`,
      [name, PROJECTION_CHECKPOINT_KEY],
    );
    if (row === undefined) return undefined;
    try {
      return fromStoredCheckpoint(JSON.parse(row.checkpoint));
    } catch (error) {
      throw new InvalidArgumentError(
        `Stored checkpoint of read model ${JSON.stringify(name)} is corrupt: ${row.checkpoint.slice(0, 100)}`,
        { cause: error },
      );
    }
  }

  /** Stores the checkpoint of model `name` inside `tx`. */
  async saveCheckpoint(tx: PoolClient, name: string, checkpoint: Checkpoint): Promise<void> {
    assertName(name);
    await this.db.run(
      tx,
      { what: `save the checkpoint of read model ${JSON.stringify(name)}`, write: true },
      `INSERT INTO ${this.db.name('checkpoints')} (model, source_key, checkpoint) VALUES ($1, $2, $3) ` +
        'ON CONFLICT (model, source_key) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()',
      [name, PROJECTION_CHECKPOINT_KEY, JSON.stringify(toStoredCheckpoint(checkpoint))],
    );
  }

  /** Forgets the checkpoint of model `name` inside `tx` (rebuild: with the model's `reset(tx)`, in one transaction). */
  async deleteCheckpoint(tx: PoolClient, name: string): Promise<void> {
    assertName(name);
    await this.db.run(
      tx,
      { what: `delete the checkpoint of read model ${JSON.stringify(name)}`, write: true },
      `DELETE FROM ${this.db.name('checkpoints')} WHERE model = $1 AND source_key = $2`,
      [name, PROJECTION_CHECKPOINT_KEY],
    );
  }

  /** Ends the pool if this object created it. Later transactions fail with `StoreUnavailableError`. */
  async close(): Promise<void> {
    this.readiness.close();
    await this.db.end();
  }
}

function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError(`Read model name must be a non-empty string, got ${describeValue(name)}`);
}
