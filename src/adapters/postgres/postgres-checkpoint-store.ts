import type { ClientBase } from 'pg';
import { InvalidArgumentError } from '../../core/reactive-domain.error';
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
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';
import { assertSchemaReady } from './postgres-schema';

/**
 * A {@link CheckpointStore} in PostgreSQL (table `checkpoints` of the schema; run `migrate()` first). A checkpoint
 * is kept as JSON text (a `bigint` position as a decimal string).
 *
 * For exactly-once effects, write the checkpoint in the same transaction as the read model's state:
 * {@link saveInTransaction} does that on your client.
 */
export class PostgresCheckpointStore implements CheckpointStore {
  /** The schema this store uses. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresConnectionOptions) {
    this.db = new PostgresConnection(options, 'PostgresCheckpointStore');
    this.readiness = new StoreReadiness('PostgresCheckpointStore', () => assertSchemaReady(this.db));
    this.schema = this.db.schema;
  }

  async load(model: string): Promise<ReadonlyMap<string, Checkpoint>> {
    assertCheckpointModel(model, 'load');
    await this.readiness.ensure();
    const rows = await this.db.query<{ source_key: string; checkpoint: string }>(
      { what: `load checkpoints of ${JSON.stringify(model)}`, write: false },
      `SELECT source_key, checkpoint FROM ${this.db.name('checkpoints')} WHERE model = $1`,
      [model],
    );
    const result = new Map<string, Checkpoint>();
    for (const row of rows)
      result.set(row.source_key, parseCheckpoint(model, row.source_key, row.checkpoint));
    return result;
  }

  async save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void> {
    assertCheckpointSave(model, sourceKey, checkpoint);
    await this.readiness.ensure();
    await this.db.withClient({ what: `save checkpoint of ${JSON.stringify(model)}`, write: true }, (client) =>
      this.write(client, model, sourceKey, checkpoint),
    );
  }

  /** Saves a checkpoint on your client, inside your transaction (so it commits with your read model's state). */
  async saveInTransaction(
    client: ClientBase,
    model: string,
    sourceKey: string,
    checkpoint: Checkpoint,
  ): Promise<void> {
    assertCheckpointSave(model, sourceKey, checkpoint);
    await this.write(client, model, sourceKey, checkpoint);
  }

  async delete(model: string): Promise<void> {
    assertCheckpointModel(model, 'delete');
    await this.readiness.ensure();
    await this.db.query(
      { what: `delete checkpoints of ${JSON.stringify(model)}`, write: true },
      `DELETE FROM ${this.db.name('checkpoints')} WHERE model = $1`,
      [model],
    );
  }

  /** Ends the pool if the store created it. Later calls fail with `StoreUnavailableError`. */
  async close(): Promise<void> {
    this.readiness.close();
    await this.db.end();
  }

  /** Upserts a checked checkpoint on `client`. */
  private async write(
    client: ClientBase,
    model: string,
    sourceKey: string,
    checkpoint: Checkpoint,
  ): Promise<void> {
    const text = JSON.stringify(toStoredCheckpoint(checkpoint));
    await this.db.run(
      client,
      { what: `save checkpoint of ${JSON.stringify(model)}`, write: true },
      `INSERT INTO ${this.db.name('checkpoints')} (model, source_key, checkpoint) VALUES ($1, $2, $3) ` +
        'ON CONFLICT (model, source_key) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()',
      [model, sourceKey, text],
    );
  }
}

function parseCheckpoint(model: string, sourceKey: string, text: string): Checkpoint {
  try {
    return fromStoredCheckpoint(JSON.parse(text));
  } catch (error) {
    throw new InvalidArgumentError(
      `Stored checkpoint of ${JSON.stringify(model)} / ${JSON.stringify(sourceKey)} is corrupt: ${text.slice(0, 100)}`,
      { cause: error },
    );
  }
}
