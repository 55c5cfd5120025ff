/**
 * `reactive-domain/sqlite`: the stream, checkpoint and snapshot stores and the transport inbox and outbox on SQLite
 * (one file, WAL, durable by default). `better-sqlite3` 12 is an optional peer, loaded when a database is opened.
 * @packageDocumentation
 */
export {
  SqliteDatabase,
  loadBetterSqlite3,
  type SqliteDatabaseOptions,
  type SqliteSynchronous,
} from './sqlite-database';
export { SqliteStreamStore, type SqliteStreamStoreOptions } from './sqlite-stream-store';
export { SqliteCheckpointStore } from './sqlite-checkpoint-store';
export { SqliteSnapshotStore } from './sqlite-snapshot-store';
export { SqliteProjectionTransactions } from './sqlite-projection-transactions';
export { SqliteInboxStore, type SqliteInboxStoreOptions } from './sqlite-inbox-store';
export { SqliteOutboxStore } from './sqlite-outbox-store';
export {
  SqliteBusyError,
  SqliteCorruptError,
  SqliteDatabaseClosedError,
  SqliteDiskFullError,
  SqliteFailureError,
  SqliteForeignSchemaError,
  SqliteNotADatabaseError,
  SqlitePackageMissingError,
  SqliteReadOnlyError,
  SqliteSchemaTooNewError,
  SqliteStorageError,
  mapSqliteError,
  sqliteCodeOf,
} from './sqlite.errors';
export { SqliteKeyStore } from './sqlite-key-store';
