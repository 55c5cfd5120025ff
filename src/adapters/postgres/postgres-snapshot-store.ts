import type { SnapshotStore, StoredSnapshot } from '../../foundation/snapshots/snapshot-store';
import { assertSnapshotStreamName, encodeSnapshot } from '../../foundation/snapshots/snapshot-codec';
import { CorruptSnapshotError } from '../../foundation/snapshots/snapshot.errors';
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';
import { assertSchemaReady } from './postgres-schema';

interface SnapshotRow {
  aggregate_type: string;
  aggregate_id: string;
  version: number;
  schema_version: number;
  state: string;
  taken_ms: number;
}

/**
 * A {@link SnapshotStore} in PostgreSQL (table `snapshots` of the schema; run `migrate()` first): the latest
 * snapshot per aggregate stream, its state as JSON text. A row that does not parse is reported as
 * `CorruptSnapshotError`, never loaded.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  /** The schema this store uses. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresConnectionOptions) {
    this.db = new PostgresConnection(options, 'PostgresSnapshotStore');
    this.readiness = new StoreReadiness('PostgresSnapshotStore', () => assertSchemaReady(this.db));
    this.schema = this.db.schema;
  }

  async load(streamName: string): Promise<StoredSnapshot | undefined> {
    assertSnapshotStreamName(streamName, 'load');
    await this.readiness.ensure();
    const [row] = await this.db.query<SnapshotRow>(
      { what: `load the snapshot of ${JSON.stringify(streamName)}`, write: false },
      'SELECT aggregate_type, aggregate_id, version::float8 AS version, schema_version, state, ' +
        `(extract(epoch FROM taken_at) * 1000)::float8 AS taken_ms FROM ${this.db.name('snapshots')} WHERE stream_name = $1`,
      [streamName],
    );
    if (row === undefined) return undefined;
    let state: unknown;
    try {
      state = JSON.parse(row.state);
    } catch (error) {
      throw new CorruptSnapshotError(streamName, 'malformed JSON state', { cause: error });
    }
    if (!Number.isSafeInteger(row.version) || row.version < 0)
      throw new CorruptSnapshotError(streamName, `version ${row.version} is not a revision`);
    return {
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      version: row.version,
      schemaVersion: row.schema_version,
      state,
      takenAt: new Date(row.taken_ms),
    };
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    // The shared checks (same typed errors as every snapshot store); the state column takes the state alone.
    encodeSnapshot(streamName, snapshot);
    const state = JSON.stringify(snapshot.state);
    await this.readiness.ensure();
    await this.db.query(
      { what: `save the snapshot of ${JSON.stringify(streamName)}`, write: true },
      `INSERT INTO ${this.db.name('snapshots')} AS s (stream_name, aggregate_type, aggregate_id, version, ` +
        'schema_version, state, taken_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stream_name) DO UPDATE SET ' +
        'aggregate_type = EXCLUDED.aggregate_type, aggregate_id = EXCLUDED.aggregate_id, version = EXCLUDED.version, ' +
        'schema_version = EXCLUDED.schema_version, state = EXCLUDED.state, taken_at = EXCLUDED.taken_at',
      [
        streamName,
        snapshot.aggregateType,
        snapshot.aggregateId,
        snapshot.version,
        snapshot.schemaVersion,
        state,
        snapshot.takenAt,
      ],
    );
  }

  /** Ends the pool if the store created it. Later calls fail with `StoreUnavailableError`. */
  async close(): Promise<void> {
    this.readiness.close();
    await this.db.end();
  }
}
