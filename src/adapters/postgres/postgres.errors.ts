import { InvalidArgumentError, ReactiveDomainError } from '../../core/reactive-domain.error';
import { StoreUnavailableError } from '../../persistence/stream-store.errors';

/** The optional peer `pg` (node-postgres) is not installed. */
export class PgPackageMissingError extends ReactiveDomainError {
  readonly code = 'CLIENT_PACKAGE_MISSING';
  /** The npm package to install. */
  readonly packageName = 'pg';
  constructor(options?: { cause?: unknown }) {
    super(
      'The optional peer dependency pg is not installed: add pg (8.x) to your dependencies to use reactive-domain/postgres',
      options,
    );
  }
}

/**
 * A schema name that is not a plain lower-case PostgreSQL identifier. Checked before any SQL runs, so a bad name
 * can never reach a statement.
 */
export class InvalidSchemaNameError extends InvalidArgumentError {
  override readonly code: string = 'INVALID_SCHEMA_NAME';
  constructor(
    /** The name that was refused. */
    readonly schemaName: unknown,
    reason: string,
  ) {
    super(`Invalid PostgreSQL schema name ${describe(schemaName)}: ${reason}`);
  }
}

/**
 * The database holds a schema migrated by a newer version of this library. Nothing was written: upgrade the library
 * (or point it at another schema).
 */
export class SchemaVersionTooNewError extends ReactiveDomainError {
  readonly code = 'SCHEMA_VERSION_TOO_NEW';
  constructor(
    /** The schema that was checked. */
    readonly schemaName: string,
    /** The version found in the database. */
    readonly found: number,
    /** The newest version this library knows. */
    readonly supported: number,
  ) {
    super(
      `PostgreSQL schema "${schemaName}" is at version ${found}, newer than this library supports (${supported}): ` +
        'upgrade reactive-domain; nothing was written',
    );
  }
}

/** The schema has not been created (or not migrated to the version this library needs): run `migrate()`. */
export class SchemaNotMigratedError extends ReactiveDomainError {
  readonly code = 'SCHEMA_NOT_MIGRATED';
  constructor(
    /** The schema that was checked. */
    readonly schemaName: string,
    /** The version found, or undefined when the schema (or its version table) does not exist. */
    readonly found: number | undefined,
    /** The version this library needs. */
    readonly required: number,
    options?: { cause?: unknown },
  ) {
    super(
      `PostgreSQL schema "${schemaName}" is ${found === undefined ? 'not created' : `at version ${found}`}; this ` +
        `library needs version ${required}: run migrate() (reactive-domain/postgres) first`,
      options,
    );
  }
}

/** Why PostgreSQL could not serve a request. */
export type PostgresUnavailableReason =
  /** Nothing listens at the address, or the host does not resolve. */
  | 'connection_refused'
  /** Opening a connection took longer than the connect deadline. */
  | 'connect_timeout'
  /** Every pooled connection stayed busy past the acquire deadline. */
  | 'pool_exhausted'
  /** The server refuses more connections (`too_many_connections`) or is starting up / shutting down. */
  | 'server_busy'
  /** The connection broke while a request was in flight (network, server restart, `pg_terminate_backend`). */
  | 'connection_lost'
  /** The server cancelled the statement (`statement_timeout`, or a cancel request). */
  | 'statement_timeout'
  /** No answer within the client-side query deadline; the connection was discarded. */
  | 'query_timeout'
  /** A deadlock or serialization failure: the transaction was rolled back and may be retried. */
  | 'transaction_conflict';

/**
 * PostgreSQL could not serve the request; the caller may retry. For a write, `outcomeUnknown` says whether the
 * write may have committed anyway (the connection broke or timed out after the statement was sent): an append is
 * still all or nothing, so read the stream to find out which.
 */
export class PostgresUnavailableError extends StoreUnavailableError {
  constructor(
    /** What went wrong. */
    readonly reason: PostgresUnavailableReason,
    message: string,
    /** True when a write may have committed although this error was raised. */
    readonly outcomeUnknown: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused the credentials or the role lacks a privilege the store needs. Retrying will not help. */
export class PostgresAccessDeniedError extends ReactiveDomainError {
  readonly code = 'STORE_ACCESS_DENIED';
  constructor(
    message: string,
    /** The server's SQLSTATE (e.g. `28P01` for a wrong password). */
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A statement failed for a reason this store does not interpret (the SQLSTATE says which). */
export class PostgresQueryError extends ReactiveDomainError {
  readonly code = 'DATABASE_ERROR';
  constructor(
    message: string,
    /** The server's SQLSTATE, when it sent one. */
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An append inside the caller's own transaction cannot be given a `$all` position in stream order: a transaction
 * that started later (it has a higher transaction id) appended to the same stream and committed first. Nothing was
 * written; the caller's transaction is aborted by PostgreSQL. Retry the whole transaction (a new one gets a higher
 * id). Appends the store runs in its own transactions retry this by themselves.
 */
export class TransactionOrderConflictError extends ReactiveDomainError {
  readonly code = 'TRANSACTION_ORDER_CONFLICT';
  constructor(
    /** The stream appended to. */
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Append to stream ${JSON.stringify(streamName)} in a transaction that started before the stream's last ` +
        'writer: its events would sort before that writer in $all. Retry the transaction (append first in it to ' +
        'make this rarer)',
      options,
    );
  }
}

/** One transaction tried to append more events than its slice of the `$all` position space holds (2^20). */
export class TransactionTooLargeError extends ReactiveDomainError {
  readonly code = 'TRANSACTION_TOO_LARGE';
  constructor(
    /** The stream appended to. */
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Append to stream ${JSON.stringify(streamName)}: one PostgreSQL transaction may append at most 1,048,576 ` +
        'events (2^20); split the work over several transactions',
      options,
    );
  }
}

/**
 * The cluster's transaction counter passed 2^43, the end of the `$all` position space (position = transaction id
 * × 2^20 + index). Not reachable in practice (8.8 trillion write transactions); reported rather than wrapping.
 */
export class PositionSpaceExhaustedError extends ReactiveDomainError {
  readonly code = 'POSITION_SPACE_EXHAUSTED';
}

/**
 * The events table holds positions ahead of every transaction id this cluster has assigned: the database was
 * restored (e.g. `pg_dump`/`pg_restore`) into a cluster whose transaction counter is behind the original's. New
 * events would sort before old ones in `$all` and readers would skip them, so a store refuses to start writing
 * (checked before its first request) until the counter passes {@link TransactionIdsBehindPositionsError.transactionId}
 * (on a stopped cluster: `pg_resetwal -x`, with a value above it; see PostgreSQL's documentation).
 */
export class TransactionIdsBehindPositionsError extends ReactiveDomainError {
  readonly code = 'TRANSACTION_IDS_BEHIND_POSITIONS';
  constructor(
    /** The schema checked. */
    readonly schemaName: string,
    /** The transaction id the cluster's counter must pass. */
    readonly transactionId: bigint,
    options?: { cause?: unknown },
  ) {
    super(
      `PostgreSQL schema "${schemaName}": stored $all positions belong to transaction ids up to ${transactionId}, ` +
        "ahead of this cluster's counter (restored from another cluster?). Advance the counter past that id " +
        '(pg_resetwal -x on the stopped cluster) before writing; nothing was written',
      options,
    );
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
