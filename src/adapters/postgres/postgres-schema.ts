import { assertSchemaName, DEFAULT_SCHEMA } from './postgres-schema-name';
import { PostgresConnection, type PostgresConnectionOptions } from './postgres-connection';
import {
  SchemaNotMigratedError,
  SchemaVersionTooNewError,
  TransactionIdsBehindPositionsError,
} from './postgres.errors';

/** The schema version this library writes and needs. */
export const SCHEMA_VERSION = 2;

/** Number of `$all` positions per transaction: position = transaction id × 2^20 + index in the transaction. */
export const POSITIONS_PER_TRANSACTION = 1n << 20n;

/** One step of the schema's history. Each is idempotent DDL run in one transaction by {@link migrate}. */
interface Migration {
  readonly version: number;
  readonly description: string;
  /** The DDL, for a validated schema name. */
  sql(schema: string): string;
}

/**
 * The first key of the schema's per-stream advisory locks (the second is `hashtext(stream name)`): a stable 32-bit
 * number derived from the schema name, so two schemas never contend. Two-key advisory locks never collide with
 * single-key (`bigint`) ones.
 */
function lockClass(schema: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) hash = Math.imul(hash ^ schema.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** Name of the `LISTEN`/`NOTIFY` channel appends of a schema notify. */
export function notificationChannel(schema: string): string {
  return `${schema}_appended`;
}

/**
 * The expected-version check of `append_to_stream` and `remove_stream` (PL/pgSQL over `p_stream`, `p_expected`,
 * `v_last`, `v_trunc`): one text, so the two functions cannot drift apart. Raises RD001 with the actual revision or
 * `no_stream` as DETAIL.
 */
const CHECK_EXPECTED_VERSION = `  IF NOT (p_expected = -2
          OR (p_expected = -1 AND v_last < v_trunc)
          OR (p_expected = -3 AND v_last >= v_trunc)
          OR (p_expected >= 0 AND p_expected = v_last)) THEN
    RAISE EXCEPTION USING ERRCODE = 'RD001', MESSAGE = format('wrong expected version on stream %s', p_stream),
      DETAIL = CASE WHEN v_last >= v_trunc THEN v_last::text ELSE 'no_stream' END;
  END IF;`;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, streams, checkpoints, snapshots; append and remove functions',
    sql: (schema) => {
      const s = `"${schema}"`;
      const channel = notificationChannel(schema);
      return `
-- Stream state: one row per stream ever written, deleted or tombstoned. Appends lock this row, so the revisions of
-- one stream are assigned and committed in order.
CREATE TABLE IF NOT EXISTS ${s}.streams (
  stream_name     text    PRIMARY KEY,
  last_revision   bigint  NOT NULL DEFAULT -1,    -- revision of the last event ever appended; -1: none
  truncate_before bigint  NOT NULL DEFAULT 0,     -- first readable revision; a soft delete sets last_revision + 1
  tombstoned      boolean NOT NULL DEFAULT false, -- hard-deleted: never read or written again
  last_position   bigint  NOT NULL DEFAULT -1     -- $all position of the last event (its transaction: >> 20)
) WITH (fillfactor = 70);

-- Events. position = (writing transaction's id, pg_current_xact_id()) * 2^20 + index within that transaction, so
-- $all order is (transaction id, index) order; readers only read below the oldest running transaction id (see
-- PostgresStreamStore: why this never skips an event). data and metadata are stored as the exact JSON text given.
CREATE TABLE IF NOT EXISTS ${s}.events (
  position    bigint      PRIMARY KEY,
  stream_name text        NOT NULL,
  revision    bigint      NOT NULL,
  event_id    uuid        NOT NULL,
  type        text        NOT NULL,
  data        text        NOT NULL,
  metadata    text        NOT NULL,
  created     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_revision UNIQUE (stream_name, revision)
);

-- Checkpoints of read models and other consumers: one per (model, source key); a JSON text.
CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
  model      text        NOT NULL,
  source_key text        NOT NULL,
  checkpoint text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, source_key)
);

-- The latest snapshot of each aggregate stream.
CREATE TABLE IF NOT EXISTS ${s}.snapshots (
  stream_name    text        PRIMARY KEY,
  aggregate_type text        NOT NULL,
  aggregate_id   text        NOT NULL,
  version        bigint      NOT NULL,
  schema_version integer     NOT NULL,
  state          text        NOT NULL,
  taken_at       timestamptz NOT NULL
);

-- Appends events to one stream after checking the expected version, in the caller's transaction.
-- p_expected: a revision (>= 0), -1 NoStream, -2 Any, -3 StreamExists.
-- Errors (SQLSTATE): RD001 wrong expected version (DETAIL: actual revision or 'no_stream'), RD002 stream tombstoned,
-- RD003 a transaction that started later already appended to this stream (retry in a new transaction),
-- RD004 position space exhausted, RD005 more than 2^20 events in one transaction.
CREATE OR REPLACE FUNCTION ${s}.append_to_stream(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data text[], p_metadata text[],
  p_notify boolean
) RETURNS TABLE (next_expected_version bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count bigint := coalesce(cardinality(p_ids), 0);
  v_last bigint; v_trunc bigint; v_tomb boolean; v_last_pos bigint;
  v_xid bigint; v_base bigint; v_first bigint;
BEGIN
  -- Serialise the appends to this stream BEFORE anything assigns this transaction an id: an advisory lock takes no
  -- transaction id, and row locks and inserts do. So a fresh transaction gets its id (and its $all positions) only
  -- after the previous writer of the stream committed: $all order follows the stream's order without retries.
  PERFORM pg_advisory_xact_lock(${lockClass(schema)}, hashtext(p_stream));
  -- Then lock the stream row (creating it when missing): revisions are assigned in commit order.
  SELECT st.last_revision, st.truncate_before, st.tombstoned, st.last_position
    INTO v_last, v_trunc, v_tomb, v_last_pos
    FROM ${s}.streams st WHERE st.stream_name = p_stream FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${s}.streams (stream_name) VALUES (p_stream) ON CONFLICT (stream_name) DO NOTHING;
    SELECT st.last_revision, st.truncate_before, st.tombstoned, st.last_position
      INTO v_last, v_trunc, v_tomb, v_last_pos
      FROM ${s}.streams st WHERE st.stream_name = p_stream FOR UPDATE;
  END IF;
  IF v_tomb THEN
    RAISE EXCEPTION USING ERRCODE = 'RD002', MESSAGE = format('stream %s is tombstoned', p_stream);
  END IF;
${CHECK_EXPECTED_VERSION}
  IF v_count = 0 THEN
    RETURN QUERY SELECT v_last, coalesce((SELECT max(e.position) FROM ${s}.events e), 0);
    RETURN;
  END IF;
  v_xid := pg_current_xact_id()::text::bigint;
  IF v_xid >= 8796093022208 THEN
    RAISE EXCEPTION USING ERRCODE = 'RD004', MESSAGE = 'transaction ids passed 2^43: $all position space exhausted';
  END IF;
  -- Stream order in $all: the previous writer of this stream must not sort after this transaction.
  IF (v_last_pos >> 20) > v_xid THEN
    RAISE EXCEPTION USING ERRCODE = 'RD003',
      MESSAGE = format('stream %s was appended to by a later transaction', p_stream);
  END IF;
  v_base := v_xid << 20;
  -- Index of the next event in this transaction: a transaction-local setting (reverted with the transaction or the
  -- savepoint that set it), so appends continue where this transaction's earlier appends stopped.
  v_first := v_base + coalesce(nullif(current_setting('reactive_domain.next_index', true), '')::bigint, 0);
  IF v_first + v_count > v_base + 1048576 THEN
    RAISE EXCEPTION USING ERRCODE = 'RD005', MESSAGE = 'more than 2^20 events appended in one transaction';
  END IF;
  INSERT INTO ${s}.events (position, stream_name, revision, event_id, type, data, metadata)
    SELECT v_first + u.n - 1, p_stream, v_last + u.n, u.id, u.t, u.d, u.m
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, t, d, m, n);
  PERFORM set_config('reactive_domain.next_index', (v_first + v_count - v_base)::text, true);
  UPDATE ${s}.streams SET last_revision = v_last + v_count, last_position = v_first + v_count - 1
    WHERE stream_name = p_stream;
  IF p_notify THEN PERFORM pg_notify('${channel}', ''); END IF;
  RETURN QUERY SELECT v_last + v_count, v_first + v_count - 1;
END
$fn$;

-- Stored positions ahead of every transaction id this cluster has completed: the database was restored into a
-- cluster whose transaction counter is behind (pg_dump/pg_restore), so new events would sort before old ones.
-- Returns the transaction id the counter must pass, or NULL when all is well. Stores check it before their first
-- write.
CREATE OR REPLACE FUNCTION ${s}.positions_ahead_of_transaction_ids() RETURNS bigint
LANGUAGE sql STABLE AS $fn$
  SELECT m FROM (SELECT (SELECT max(position) FROM ${s}.events) >> 20 AS m) x
   WHERE m >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint
$fn$;

-- Soft-deletes (p_tombstone false) or tombstones a stream after checking the expected version. Same error codes.
CREATE OR REPLACE FUNCTION ${s}.remove_stream(p_stream text, p_expected bigint, p_tombstone boolean, p_notify boolean)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  v_last bigint; v_trunc bigint; v_tomb boolean; v_found boolean;
BEGIN
  SELECT st.last_revision, st.truncate_before, st.tombstoned INTO v_last, v_trunc, v_tomb
    FROM ${s}.streams st WHERE st.stream_name = p_stream FOR UPDATE;
  v_found := FOUND AND v_last >= 0;
  IF v_tomb THEN
    RAISE EXCEPTION USING ERRCODE = 'RD002', MESSAGE = format('stream %s is tombstoned', p_stream);
  END IF;
  IF NOT FOUND THEN v_last := -1; v_trunc := 0; END IF;
  -- As EventStoreDB: a stream that was never written cannot be soft-deleted, whatever the expected version.
  IF NOT v_found AND NOT p_tombstone THEN
    RAISE EXCEPTION USING ERRCODE = 'RD001', MESSAGE = format('stream %s does not exist', p_stream),
      DETAIL = 'no_stream';
  END IF;
${CHECK_EXPECTED_VERSION}
  IF p_tombstone THEN
    INSERT INTO ${s}.streams (stream_name, tombstoned) VALUES (p_stream, true)
      ON CONFLICT (stream_name) DO UPDATE SET tombstoned = true;
  ELSE
    UPDATE ${s}.streams SET truncate_before = v_last + 1 WHERE stream_name = p_stream;
  END IF;
  IF p_notify THEN PERFORM pg_notify('${channel}', ''); END IF;
END
$fn$;
`;
    },
  },
  {
    version: 2,
    description: 'inbox and outbox of the transport',
    sql: (schema) => {
      const s = `"${schema}"`;
      return `
-- Inbox: the ids of the messages each consumer handled, inserted in the same transaction as the handler's effects
-- (PostgresInboxStore), so a redelivered message finds its id and has no second effect. seq orders a consumer's
-- ids for the per-consumer bound; received_at for the age bound.
CREATE TABLE IF NOT EXISTS ${s}.inbox (
  consumer    text        NOT NULL,
  message_id  text        NOT NULL,
  seq         bigint      GENERATED ALWAYS AS IDENTITY,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
CREATE INDEX IF NOT EXISTS inbox_consumer_seq ON ${s}.inbox (consumer, seq);
CREATE INDEX IF NOT EXISTS inbox_received_at ON ${s}.inbox (received_at);

-- Outbox: messages that are not events (a command to another service), inserted in the same transaction as the
-- append that decided them (PostgresOutboxStore), deleted once the broker confirmed them (OutboxRelay).
-- envelope: JSON text of the message's optional fields (metadata, correlation, causation, tenant, trace, headers).
CREATE TABLE IF NOT EXISTS ${s}.outbox (
  sequence    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic       text        NOT NULL,
  message_id  text        NOT NULL,
  type        text        NOT NULL,
  body        text        NOT NULL,
  envelope    text        NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);
`;
    },
  },
];

/** The version table's DDL. */
function versionTableSql(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.schema_version (
  version     integer     PRIMARY KEY,
  description text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);`;
}

/**
 * The whole schema as one reviewable, idempotent SQL script for `schema` (default `reactive_domain`): what
 * {@link migrate} applies, for a DBA to read or run by hand (`psql -f`). The package ships it for the default name as
 * `src/adapters/postgres/schema.sql`.
 */
export function schemaSql(schema: string = DEFAULT_SCHEMA): string {
  assertSchemaName(schema);
  const s = `"${schema}"`;
  const parts = [
    `-- reactive-domain PostgreSQL schema, version ${SCHEMA_VERSION}, in schema ${s}.`,
    '-- Generated by schemaSql() in src/adapters/postgres/postgres-schema.ts; migrate() applies the same statements.',
    'BEGIN;',
    `CREATE SCHEMA IF NOT EXISTS ${s};`,
    versionTableSql(s),
  ];
  for (const migration of MIGRATIONS) {
    parts.push(`-- version ${migration.version}: ${migration.description}`, migration.sql(schema).trim());
    parts.push(
      `INSERT INTO ${s}.schema_version (version, description) VALUES (${migration.version}, '${migration.description}') ON CONFLICT (version) DO NOTHING;`,
    );
  }
  parts.push('COMMIT;', '');
  return parts.join('\n');
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** The schema migrated. */
  readonly schema: string;
  /** Version before (0: the schema did not exist). */
  readonly from: number;
  /** Version after ({@link SCHEMA_VERSION}). */
  readonly to: number;
}

/**
 * Creates or upgrades the schema to {@link SCHEMA_VERSION}: idempotent, safe to run at every start and from several
 * processes at once (an advisory lock serialises them), all in one transaction. Checks before any write: the schema
 * name is valid ({@link InvalidSchemaNameError}) and the database is not newer than this library
 * ({@link SchemaVersionTooNewError}).
 */
export async function migrate(options: PostgresConnectionOptions): Promise<MigrationResult> {
  const connection = new PostgresConnection(options, 'migrate');
  try {
    return await migrateWith(connection);
  } finally {
    await connection.end();
  }
}

/** {@link migrate} on an open connection. @internal */
export async function migrateWith(connection: PostgresConnection): Promise<MigrationResult> {
  const schema = connection.schema;
  const s = `"${schema}"`;
  const context = { what: `migrate schema ${s}`, write: true };
  return connection.transaction(context, async (client) => {
    await connection.run(client, context, 'SELECT pg_advisory_xact_lock(hashtext($1))', [
      `reactive-domain:${schema}`,
    ]);
    const from = await versionOf(connection, client, schema);
    if (from > SCHEMA_VERSION) throw new SchemaVersionTooNewError(schema, from, SCHEMA_VERSION);
    if (from === SCHEMA_VERSION) return { schema, from, to: from };
    await connection.run(client, context, `CREATE SCHEMA IF NOT EXISTS ${s}`);
    await connection.run(client, context, versionTableSql(s));
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      await connection.run(client, context, migration.sql(schema));
      await connection.run(
        client,
        context,
        `INSERT INTO ${s}.schema_version (version, description) VALUES ($1, $2)`,
        [migration.version, migration.description],
      );
    }
    return { schema, from, to: SCHEMA_VERSION };
  });
}

/** The schema's version: 0 when it (or its version table) does not exist. */
export async function versionOf(
  connection: PostgresConnection,
  client: Parameters<PostgresConnection['run']>[0],
  schema: string,
): Promise<number> {
  const context = { what: `read the version of schema "${schema}"`, write: false };
  const [exists] = await connection.run<{ table: string | null }>(
    client,
    context,
    'SELECT to_regclass($1)::text AS table',
    [`"${schema}".schema_version`],
  );
  if (!exists?.table) return 0;
  const [row] = await connection.run<{ version: number | null }>(
    client,
    context,
    `SELECT max(version) AS version FROM "${schema}".schema_version`,
  );
  return row?.version ?? 0;
}

/** Throws unless the schema is at exactly {@link SCHEMA_VERSION}. @internal */
export async function assertSchemaReady(connection: PostgresConnection): Promise<void> {
  const context = { what: `check schema "${connection.schema}"`, write: false };
  const version = await connection.withClient(context, (client) =>
    versionOf(connection, client, connection.schema),
  );
  if (version > SCHEMA_VERSION)
    throw new SchemaVersionTooNewError(connection.schema, version, SCHEMA_VERSION);
  if (version < SCHEMA_VERSION)
    throw new SchemaNotMigratedError(connection.schema, version === 0 ? undefined : version, SCHEMA_VERSION);
}

/**
 * Throws {@link TransactionIdsBehindPositionsError} when the stored positions are ahead of the cluster's transaction
 * ids (a dump restored into another cluster): new events would sort before old ones. @internal
 */
export async function assertPositionsBehindTransactionIds(connection: PostgresConnection): Promise<void> {
  const [row] = await connection.query<{ ahead: string | null }>(
    { what: `check the positions of schema "${connection.schema}"`, write: false },
    `SELECT ${connection.name('positions_ahead_of_transaction_ids')}()::text AS ahead`,
  );
  if (row?.ahead != null) throw new TransactionIdsBehindPositionsError(connection.schema, BigInt(row.ahead));
}

export { DEFAULT_SCHEMA };
