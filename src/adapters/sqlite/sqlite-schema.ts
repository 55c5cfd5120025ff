/**
 * The SQLite schema of reactive-domain, as an ordered list of migrations. Each migration runs once, in its own
 * `BEGIN IMMEDIATE` transaction together with the row that records it in `rd_schema_migrations`, so a crash leaves
 * either the whole migration or none of it, and two processes opening a new file at once apply it once.
 * Never edit a released migration: append a new one.
 * @internal
 */
export interface SqliteMigration {
  /** Schema version after this migration (1, 2, ...). */
  readonly version: number;
  /** What it does, stored beside the version. */
  readonly description: string;
  /** The DDL, run with `exec`. */
  readonly sql: string;
}

/** Name of the table that records applied migrations. @internal */
export const MIGRATIONS_TABLE = 'rd_schema_migrations';

/** Every table this library creates: one of them without {@link MIGRATIONS_TABLE} means a foreign schema. @internal */
export const LIBRARY_TABLES = [
  'rd_streams',
  'rd_events',
  'rd_checkpoints',
  'rd_projection_checkpoints',
  'rd_snapshots',
  'rd_inbox',
  'rd_outbox',
] as const;

/** @internal */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'streams, events ($all), checkpoints, read-model checkpoints, snapshots',
    sql: `
      -- Only streams that were soft-deleted or tombstoned have a row: a stream's last revision is read from the
      -- events' (stream_name, revision) index (soft-deleted events stay, so numbering continues after a delete),
      -- and an append touches nothing but rd_events. truncate_before is the first visible revision (EventStoreDB's
      -- $tb).
      CREATE TABLE rd_streams (
        stream_name     TEXT    NOT NULL PRIMARY KEY,
        truncate_before INTEGER NOT NULL,
        tombstoned      INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- $all. position is the rowid: assigned inside the single writer's transaction, so positions are
      -- commit-ordered and a reader can never see a later position before an earlier one commits. Events are never
      -- deleted (soft-deleted and tombstoned streams keep theirs, as on EventStoreDB), so a position is never reused.
      CREATE TABLE rd_events (
        position    INTEGER PRIMARY KEY,
        stream_name TEXT    NOT NULL,
        revision    INTEGER NOT NULL,
        event_id    TEXT    NOT NULL,
        type        TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        metadata    TEXT    NOT NULL,
        created     INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX rd_events_stream_revision ON rd_events (stream_name, revision);

      CREATE TABLE rd_checkpoints (
        model      TEXT    NOT NULL,
        source_key TEXT    NOT NULL,
        checkpoint TEXT    NOT NULL,
        updated    INTEGER NOT NULL,
        PRIMARY KEY (model, source_key)
      ) WITHOUT ROWID;

      -- Durable read models: one checkpoint per model, written in the same transaction as the model's own rows.
      CREATE TABLE rd_projection_checkpoints (
        name       TEXT    NOT NULL PRIMARY KEY,
        checkpoint TEXT    NOT NULL,
        updated    INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE rd_snapshots (
        stream_name TEXT    NOT NULL PRIMARY KEY,
        snapshot    TEXT    NOT NULL,
        updated     INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'inbox and outbox of the transport',
    sql: `
      -- Inbox: the ids of the messages each consumer handled, inserted in the same transaction as the handler's
      -- effects (SqliteInboxStore). seq (the rowid) orders a consumer's ids for the per-consumer bound.
      CREATE TABLE rd_inbox (
        seq        INTEGER PRIMARY KEY,
        consumer   TEXT    NOT NULL,
        message_id TEXT    NOT NULL,
        received   INTEGER NOT NULL,
        UNIQUE (consumer, message_id)
      );
      CREATE INDEX rd_inbox_consumer_seq ON rd_inbox (consumer, seq);
      CREATE INDEX rd_inbox_received ON rd_inbox (received);

      -- Outbox: messages that are not events, inserted in the same transaction as the append that decided them
      -- (SqliteOutboxStore), deleted once the broker confirmed them. AUTOINCREMENT: a sequence is never reused, so
      -- a late markSent can never delete a newer entry. envelope: JSON of the message's optional fields.
      CREATE TABLE rd_outbox (
        sequence   INTEGER PRIMARY KEY AUTOINCREMENT,
        topic      TEXT    NOT NULL,
        message_id TEXT    NOT NULL,
        type       TEXT    NOT NULL,
        body       TEXT    NOT NULL,
        envelope   TEXT    NOT NULL,
        enqueued   INTEGER NOT NULL
      );
    `,
  },
];

/** The newest schema version this library knows. @internal */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
