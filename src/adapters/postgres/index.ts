/**
 * `reactive-domain/postgres`: the event store, checkpoints, snapshots, durable read models, and the transport inbox
 * and outbox on PostgreSQL 13+.
 *
 * `pg` (node-postgres 8) is an optional peer dependency, loaded only when a store connects
 * ({@link PgPackageMissingError} when it is absent). Run {@link migrate} once (or `schema.sql`), then use the stores.
 * @packageDocumentation
 */
export {
  PostgresStreamStore,
  type BlockingTransaction,
  type PostgresStoreWarning,
  type PostgresStreamStoreOptions,
} from './postgres-stream-store';
export type { PostgresConnectionOptions } from './postgres-connection';
export {
  migrate,
  schemaSql,
  notificationChannel,
  SCHEMA_VERSION,
  POSITIONS_PER_TRANSACTION,
  type MigrationResult,
} from './postgres-schema';
export { assertSchemaName, DEFAULT_SCHEMA } from './postgres-schema-name';
export {
  InvalidSchemaNameError,
  PgPackageMissingError,
  PositionSpaceExhaustedError,
  PostgresAccessDeniedError,
  PostgresQueryError,
  PostgresUnavailableError,
  SchemaNotMigratedError,
  SchemaVersionTooNewError,
  TransactionIdsBehindPositionsError,
  TransactionOrderConflictError,
  TransactionTooLargeError,
  type PostgresUnavailableReason,
} from './postgres.errors';
export { PostgresCheckpointStore } from './postgres-checkpoint-store';
export { PostgresSnapshotStore } from './postgres-snapshot-store';
export {
  PostgresProjectionTransactions,
  PROJECTION_CHECKPOINT_KEY,
} from './postgres-projection-transactions';
export { PostgresKeyStore } from './postgres-key-store';
export { PostgresInboxStore, type PostgresInboxStoreOptions } from './postgres-inbox-store';
export { PostgresOutboxStore } from './postgres-outbox-store';
