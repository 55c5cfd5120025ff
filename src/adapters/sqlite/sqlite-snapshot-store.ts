import type BetterSqlite3 from 'better-sqlite3';
import {
  assertSnapshotStreamName,
  decodeSnapshot,
  encodeSnapshot,
} from '../../foundation/snapshots/snapshot-codec';
import type { SnapshotStore, StoredSnapshot } from '../../foundation/snapshots/snapshot-store';
import type { SqliteDatabase } from './sqlite-database';

/**
 * A {@link SnapshotStore} in the `rd_snapshots` table of a {@link SqliteDatabase}: the latest snapshot per aggregate
 * stream, in the shared JSON form of `snapshot-codec` (checked before anything is written; a stored row that does
 * not parse is a `CorruptSnapshotError`, never loaded). A save replaces the previous snapshot in one durable commit.
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
    assertSnapshotStreamName(streamName, 'load');
    const row = this.database.read(`load snapshot of ${JSON.stringify(streamName)}`, () =>
      this.statements.load.get(streamName),
    );
    return row === undefined ? undefined : decodeSnapshot(streamName, row.snapshot);
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    const text = encodeSnapshot(streamName, snapshot);
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.database.writeTransaction(`save snapshot of ${JSON.stringify(streamName)}`, () =>
      this.statements.save.run(streamName, text, Date.now()),
    );
  }
}
