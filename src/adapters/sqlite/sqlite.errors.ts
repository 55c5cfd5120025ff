import { ReactiveDomainError } from '../../core/reactive-domain.error';

/** The optional peer `better-sqlite3` is not installed (or failed to load, e.g. built for another Node version). */
export class SqlitePackageMissingError extends ReactiveDomainError {
  /** Same code as the other adapters' "package missing" errors, so one check covers them all. */
  readonly code = 'CLIENT_PACKAGE_MISSING';
  constructor(
    /** The npm package to install: `better-sqlite3`. */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The optional peer dependency ${packageName} is not installed (or does not load on this Node version): ` +
        `add ${packageName}@12 to your dependencies to use reactive-domain/sqlite`,
      options,
    );
  }
}

/**
 * Base of the errors SQLite itself reported. `sqliteCode` is the driver's (extended) result code, e.g.
 * `SQLITE_BUSY` or `SQLITE_IOERR_FSYNC`; `code` is this library's stable code. When one of these is thrown by a
 * write, the transaction was rolled back: nothing of it is stored.
 */
export abstract class SqliteStorageError extends ReactiveDomainError {
  constructor(
    message: string,
    /** The SQLite result code reported by the driver (e.g. `SQLITE_FULL`), when there was one. */
    readonly sqliteCode: string | undefined,
    /** The database file (`:memory:` for an in-memory database). */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Another connection (usually another process) held the database lock longer than the busy timeout. Retryable:
 * nothing was written. Raise `busyTimeoutMs` if writers legitimately hold the lock that long.
 */
export class SqliteBusyError extends SqliteStorageError {
  readonly code = 'SQLITE_BUSY';
}

/** The disk (or the database's `max_page_count`) is full. Nothing of the failed write is stored. */
export class SqliteDiskFullError extends SqliteStorageError {
  readonly code = 'SQLITE_FULL';
}

/** The database is read-only (opened with `readonly: true`, a read-only file or medium). Nothing was written. */
export class SqliteReadOnlyError extends SqliteStorageError {
  readonly code = 'SQLITE_READONLY';
}

/** SQLite found the database file damaged. Restore from a backup; do not keep writing to it. */
export class SqliteCorruptError extends SqliteStorageError {
  readonly code = 'SQLITE_CORRUPT';
}

/** The file is not an SQLite database (or is encrypted): nothing was read or written. */
export class SqliteNotADatabaseError extends SqliteStorageError {
  readonly code = 'SQLITE_NOT_A_DATABASE';
}

/** Any other SQLite failure (I/O error, cannot open the file, ...); `sqliteCode` says which. */
export class SqliteFailureError extends SqliteStorageError {
  readonly code = 'SQLITE_FAILURE';
}

/**
 * The database's schema was written by a newer version of this library. Refused before any write: an older
 * library must not write to tables whose meaning it does not know.
 */
export class SqliteSchemaTooNewError extends ReactiveDomainError {
  readonly code = 'SQLITE_SCHEMA_TOO_NEW';
  constructor(
    /** The database file. */
    readonly path: string,
    /** Schema version found in the database. */
    readonly found: number,
    /** Newest schema version this library knows. */
    readonly supported: number,
  ) {
    super(
      `SQLite database ${JSON.stringify(path)} has schema version ${found}, newer than the ${supported} this ` +
        `version of reactive-domain knows: upgrade reactive-domain (nothing was written)`,
    );
  }
}

/**
 * The database holds tables with this library's names that this library did not create (or its migration table is
 * malformed). Refused before any write.
 */
export class SqliteForeignSchemaError extends ReactiveDomainError {
  readonly code = 'SQLITE_FOREIGN_SCHEMA';
  constructor(
    /** The database file. */
    readonly path: string,
    /** What was found, for the message. */
    readonly detail: string,
  ) {
    super(
      `SQLite database ${JSON.stringify(path)} was not created by reactive-domain: ${detail} (nothing was written)`,
    );
  }
}

/** The database was closed; no more operations are possible. */
export class SqliteDatabaseClosedError extends ReactiveDomainError {
  readonly code = 'SQLITE_DATABASE_CLOSED';
  constructor(
    /** The database file. */
    readonly path: string,
  ) {
    super(`SQLite database ${JSON.stringify(path)} is closed`);
  }
}

/** The driver error's (extended) result code, e.g. `SQLITE_BUSY_SNAPSHOT`; undefined for other errors. */
export function sqliteCodeOf(error: unknown): string | undefined {
  // This library's own codes also start with SQLITE_: an error already typed is not a driver error.
  if (error instanceof ReactiveDomainError) return undefined;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Turns a driver error into a typed error (stable `code`, message naming the file and the operation). Errors that
 * are not from SQLite (ours, or programming errors) pass through unchanged.
 */
export function mapSqliteError(error: unknown, path: string, operation: string): unknown {
  const sqliteCode = sqliteCodeOf(error);
  if (sqliteCode === undefined) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const where = `SQLite ${JSON.stringify(path)}: ${operation} failed`;
  const options = { cause: error };
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED'))
    return new SqliteBusyError(
      `${where}: the database is locked by another connection beyond the busy timeout (${detail}); nothing was written`,
      sqliteCode,
      path,
      options,
    );
  if (sqliteCode === 'SQLITE_FULL')
    return new SqliteDiskFullError(
      `${where}: disk or database full (${detail}); nothing was written`,
      sqliteCode,
      path,
      options,
    );
  if (sqliteCode.startsWith('SQLITE_READONLY'))
    return new SqliteReadOnlyError(
      `${where}: the database is read-only (${detail}); nothing was written`,
      sqliteCode,
      path,
      options,
    );
  if (sqliteCode.startsWith('SQLITE_CORRUPT'))
    return new SqliteCorruptError(
      `${where}: the database file is corrupt (${detail})`,
      sqliteCode,
      path,
      options,
    );
  if (sqliteCode === 'SQLITE_NOTADB')
    return new SqliteNotADatabaseError(
      `${where}: the file is not an SQLite database (${detail})`,
      sqliteCode,
      path,
      options,
    );
  return new SqliteFailureError(`${where}: ${sqliteCode} (${detail})`, sqliteCode, path, options);
}
