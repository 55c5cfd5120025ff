import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { SnapshotStore, StoredSnapshot } from '../../foundation/snapshots/snapshot-store';
import { SqliteSnapshotCorruptError } from './sqlite.errors';
import type { SqliteDatabase } from './sqlite-database';

/**
 * A {@link SnapshotStore} in the `rd_snapshots` table of a {@link SqliteDatabase}: the latest snapshot per aggregate
 * stream, as JSON (state must be JSON-safe, as `takeSnapshot()` promises). A save replaces the previous snapshot in
 * one durable commit; a row that does not parse as a snapshot is reported with a typed error, never loaded.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly statements: {
    readonly load: BetterSqlite3.Statement<[string], { snapshot: string }>;
    readonly save: BetterSqlite3.Statement<[string, string, number]>;
  };

  constructor(
    /** The database holding the snapshots (its owner closes it). */
    readonly database: SqliteDatabase,
  ) {
    this.statements = database.read('prepare snapshot statements', (db) => ({
      load: db.prepare('SELECT snapshot FROM rd_snapshots WHERE stream_name = ?'),
      save: db.prepare(
        'INSERT INTO rd_snapshots (stream_name, snapshot, updated) VALUES (?, ?, ?) ' +
          'ON CONFLICT (stream_name) DO UPDATE SET snapshot = excluded.snapshot, updated = excluded.updated',
      ),
    }));
  }

  async load(streamName: string): Promise<StoredSnapshot | undefined> {
    assertStreamName(streamName);
    const row = this.database.read(`load snapshot of ${JSON.stringify(streamName)}`, () =>
      this.statements.load.get(streamName),
    );
    if (row === undefined) return undefined;
    return parseSnapshot(streamName, row.snapshot);
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    assertStreamName(streamName);
    const text = encodeSnapshot(streamName, snapshot);
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.database.writeTransaction(`save snapshot of ${JSON.stringify(streamName)}`, () =>
      this.statements.save.run(streamName, text, Date.now()),
    );
  }
}

/** Checks a snapshot before anything is written and returns its JSON text (takenAt as an ISO-8601 string). */
function encodeSnapshot(streamName: string, snapshot: StoredSnapshot): string {
  const refuse = (reason: string, cause?: unknown): never => {
    throw new InvalidArgumentError(
      `snapshot of ${JSON.stringify(streamName)}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (typeof snapshot !== 'object' || snapshot === null)
    return refuse(`must be an object, got ${describeValue(snapshot)}`);
  const { aggregateType, aggregateId, version, schemaVersion, state, takenAt } = snapshot;
  if (typeof aggregateType !== 'string' || aggregateType.length === 0)
    refuse(`aggregateType must be a non-empty string, got ${describeValue(aggregateType)}`);
  if (typeof aggregateId !== 'string' || aggregateId.length === 0)
    refuse(`aggregateId must be a non-empty string, got ${describeValue(aggregateId)}`);
  if (!Number.isSafeInteger(version) || version < 0)
    refuse(`version must be a safe integer >= 0, got ${describeValue(version)}`);
  if (!Number.isSafeInteger(schemaVersion))
    refuse(`schemaVersion must be a safe integer, got ${describeValue(schemaVersion)}`);
  if (!(takenAt instanceof Date) || Number.isNaN(takenAt.getTime()))
    refuse(`takenAt must be a valid Date, got ${describeValue(takenAt)}`);
  if (state === undefined) refuse('state is undefined (takeSnapshot() must return JSON-safe state)');
  try {
    return JSON.stringify({
      aggregateType,
      aggregateId,
      version,
      schemaVersion,
      state,
      takenAt: takenAt.toISOString(),
    });
  } catch (error) {
    return refuse('state is not JSON-safe (a bigint or a cycle?)', error);
  }
}

function assertStreamName(streamName: unknown): asserts streamName is string {
  if (typeof streamName !== 'string' || streamName.length === 0)
    throw new InvalidArgumentError(
      `snapshot stream name must be a non-empty string, got ${describeValue(streamName)}`,
    );
}

function parseSnapshot(streamName: string, text: string): StoredSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SqliteSnapshotCorruptError(streamName, 'not JSON', { cause: error });
  }
  const s = value as Partial<Record<keyof StoredSnapshot, unknown>> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.aggregateType !== 'string' ||
    typeof s.aggregateId !== 'string' ||
    typeof s.version !== 'number' ||
    !Number.isSafeInteger(s.version) ||
    typeof s.schemaVersion !== 'number' ||
    typeof s.takenAt !== 'string' ||
    !('state' in s)
  )
    throw new SqliteSnapshotCorruptError(streamName, 'missing or mistyped fields');
  const takenAt = new Date(s.takenAt);
  if (Number.isNaN(takenAt.getTime())) throw new SqliteSnapshotCorruptError(streamName, 'invalid takenAt');
  return {
    aggregateType: s.aggregateType,
    aggregateId: s.aggregateId,
    version: s.version,
    schemaVersion: s.schemaVersion,
    state: s.state,
    takenAt,
  };
}
