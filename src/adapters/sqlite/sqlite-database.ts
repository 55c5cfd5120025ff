import type BetterSqlite3 from 'better-sqlite3';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import {
  SqliteDatabaseClosedError,
  SqliteFailureError,
  SqliteForeignSchemaError,
  SqlitePackageMissingError,
  SqliteSchemaTooNewError,
  mapSqliteError,
} from './sqlite.errors';
import { LATEST_SCHEMA_VERSION, LIBRARY_TABLES, MIGRATIONS, MIGRATIONS_TABLE } from './sqlite-schema';

type BetterSqlite3Constructor = typeof BetterSqlite3;

const PACKAGE = 'better-sqlite3';
let driver: BetterSqlite3Constructor | undefined;

/**
 * Loads the optional peer `better-sqlite3` on first use, so importing `reactive-domain/sqlite` never fails when it
 * is absent (only opening a database does, with {@link SqlitePackageMissingError}).
 */
export function loadBetterSqlite3(): BetterSqlite3Constructor {
  if (driver) return driver;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    driver = require(PACKAGE) as BetterSqlite3Constructor;
  } catch (error) {
    throw new SqlitePackageMissingError(PACKAGE, { cause: error });
  }
  return driver;
}

/**
 * How hard a commit waits for the disk.
 *
 * - `FULL` (default): every commit is fsynced before the append resolves. An acknowledged append survives a process
 *   crash, an OS crash and a power cut. Costs one fsync per append: about 13k single-event appends/s measured here.
 * - `NORMAL`: in WAL mode, commits are fsynced only at WAL checkpoints. An acknowledged append still survives a
 *   process crash (the data is in the OS's page cache), and the database is never corrupted, but an OS crash or
 *   power cut may lose the last appends acknowledged before it (they roll back, whole: never a partial append).
 *   About 4x faster. Choose it when a few seconds of lost appends after a power cut are acceptable (e.g. the
 *   events can be re-derived, or a cache).
 */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Options of {@link SqliteDatabase.open}. */
export interface SqliteDatabaseOptions {
  /** The database file (created if missing; its directory must exist), or `':memory:'`. */
  readonly path: string;
  /** Durability of commits (default `'FULL'`); see {@link SqliteSynchronous} for the trade-off. */
  readonly synchronous?: SqliteSynchronous;
  /**
   * How long a write waits for another connection's lock before failing with `SqliteBusyError` (default 5000 ms).
   * better-sqlite3 is synchronous: the wait blocks this process's event loop, so keep other writers' transactions
   * short.
   */
  readonly busyTimeoutMs?: number;
  /** Open for reading only: no migration, no pragma that writes; writes fail with `SqliteReadOnlyError`. */
  readonly readonly?: boolean;
}

interface TransactionStatements {
  readonly begin: BetterSqlite3.Statement;
  readonly commit: BetterSqlite3.Statement;
  readonly rollback: BetterSqlite3.Statement;
}

/**
 * One connection to a reactive-domain SQLite database, shared by the stream, checkpoint and snapshot stores and by
 * durable read models (so a read model's state and its checkpoint commit in one transaction).
 *
 * Opening it: loads `better-sqlite3`, checks the schema before anything is written (a file that is not a database,
 * a schema of another application using this library's table names, or a schema newer than this library: each a
 * typed error), switches the file to WAL mode, sets `synchronous` and the busy timeout, then applies the pending
 * migrations (versioned, idempotent; each in its own `BEGIN IMMEDIATE` transaction).
 *
 * SQLite allows one writer at a time (across processes too): writes run in `BEGIN IMMEDIATE` transactions, so the
 * global positions they assign are commit-ordered. Several processes may open the same file; each sees the
 * others' commits on its next read.
 */
export class SqliteDatabase {
  #connection: BetterSqlite3.Database | undefined;
  readonly #schemaVersion: number;
  /** Settles when the open asynchronous write transaction ends; undefined when none is open. */
  #asyncTransaction: Promise<void> | undefined;
  /** BEGIN IMMEDIATE/COMMIT/ROLLBACK of {@link asyncWriteTransaction}, prepared on first use (one connection). */
  #transactionStatements: TransactionStatements | undefined;

  private constructor(
    /** The database file, as given (`:memory:` for an in-memory database). */
    readonly path: string,
    /** The durability setting in force. */
    readonly synchronous: SqliteSynchronous,
    connection: BetterSqlite3.Database,
    schemaVersion: number,
  ) {
    this.#connection = connection;
    this.#schemaVersion = schemaVersion;
  }

  /** Opens (and creates or migrates) a database. Throws typed errors; see the class description. */
  static open(options: SqliteDatabaseOptions | string): SqliteDatabase {
    const resolved: Partial<SqliteDatabaseOptions> =
      typeof options === 'string' ? { path: options } : (options ?? {});
    const { path } = resolved;
    if (typeof path !== 'string' || path.length === 0) {
      throw new InvalidArgumentError(
        `SqliteDatabase: path must be a file name or ':memory:', got ${describeValue(path)}`,
      );
    }
    const synchronous = resolved.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new InvalidArgumentError(
        `SqliteDatabase ${JSON.stringify(path)}: synchronous must be 'FULL' or 'NORMAL', got ${describeValue(synchronous)}`,
      );
    }
    const busyTimeoutMs = resolved.busyTimeoutMs ?? 5000;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidArgumentError(
        `SqliteDatabase ${JSON.stringify(path)}: busyTimeoutMs must be an integer >= 0, got ${describeValue(busyTimeoutMs)}`,
      );
    }
    const readonly = resolved.readonly === true;
    const Driver = loadBetterSqlite3();
    let connection: BetterSqlite3.Database;
    try {
      connection = new Driver(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    } catch (error) {
      // better-sqlite3 checks the directory itself and throws a plain TypeError: type it like SQLite's CANTOPEN.
      if (error instanceof TypeError && /directory does not exist/.test(error.message)) {
        throw new SqliteFailureError(
          `SQLite ${JSON.stringify(path)}: open failed: SQLITE_CANTOPEN (its directory does not exist or cannot be searched)`,
          'SQLITE_CANTOPEN',
          path,
          { cause: error },
        );
      }
      throw mapSqliteError(error, path, 'open');
    }
    try {
      // Read-only checks first: nothing may be written to a foreign file or a newer schema.
      const found = readSchemaVersion(connection, path);
      if (found > LATEST_SCHEMA_VERSION)
        throw new SqliteSchemaTooNewError(path, found, LATEST_SCHEMA_VERSION);
      let version = found;
      if (!readonly) {
        if (!connection.memory) {
          const mode = connection.pragma('journal_mode', { simple: true });
          if (mode !== 'wal') connection.pragma('journal_mode = WAL');
        }
        connection.pragma(`synchronous = ${synchronous}`);
        version = migrate(connection, path, found);
      } else if (found < LATEST_SCHEMA_VERSION) {
        throw new SqliteForeignSchemaError(
          path,
          `opened read-only but its schema (version ${found}) needs migrating to ${LATEST_SCHEMA_VERSION}: open it once for writing`,
        );
      }
      return new SqliteDatabase(path, synchronous, connection, version);
    } catch (error) {
      connection.close();
      throw mapSqliteError(error, path, 'open');
    }
  }

  /** Schema version of the open database (equals the library's newest after opening for writing). */
  get schemaVersion(): number {
    return this.#schemaVersion;
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * The underlying better-sqlite3 connection, for durable read models that keep their own tables in this file.
   * Write through {@link writeTransaction} so errors are typed and the lock is taken up front.
   */
  get connection(): BetterSqlite3.Database {
    const connection = this.#connection;
    if (!connection) throw new SqliteDatabaseClosedError(this.path);
    return connection;
  }

  /**
   * Runs `work` in a `BEGIN IMMEDIATE` transaction: the write lock is taken first (waiting up to the busy timeout),
   * so the work never fails half-way for want of it. Commits when `work` returns, rolls back when it throws (the
   * error is rethrown, SQLite errors as typed errors). `work` must be synchronous; nested calls join the outer
   * transaction through a savepoint.
   */
  writeTransaction<T>(operation: string, work: (connection: BetterSqlite3.Database) => T): T {
    const connection = this.connection;
    try {
      return connection.transaction(work).immediate(connection);
    } catch (error) {
      throw mapSqliteError(error, this.path, operation);
    }
  }

  /**
   * Runs asynchronous `work` in one `BEGIN IMMEDIATE` transaction on this connection: commits when it resolves,
   * rolls back when it throws. Inside `work`, write through the connection it receives (statements run inside the
   * transaction). While it is open, the library's own writes through this database (appends, deletes, checkpoint
   * and snapshot saves) wait for it to end, so they never join it by accident; another such transaction waits too.
   * Keep `work` short: it holds the file's write lock, and other processes' writers wait for it.
   */
  async asyncWriteTransaction<T>(
    operation: string,
    work: (connection: BetterSqlite3.Database) => Promise<T>,
  ): Promise<T> {
    // No await between the last check and taking the lock: two waiters cannot both take it.
    while (this.#asyncTransaction) await this.#asyncTransaction;
    let release!: () => void;
    this.#asyncTransaction = new Promise<void>((resolve) => (release = resolve));
    try {
      const connection = this.connection;
      let statements: TransactionStatements;
      try {
        statements = this.#transactionStatements ??= {
          begin: connection.prepare('BEGIN IMMEDIATE'),
          commit: connection.prepare('COMMIT'),
          rollback: connection.prepare('ROLLBACK'),
        };
        statements.begin.run();
      } catch (error) {
        throw mapSqliteError(error, this.path, operation);
      }
      let result: T;
      try {
        result = await work(connection);
      } catch (error) {
        if (this.#connection?.inTransaction) statements.rollback.run();
        throw mapSqliteError(error, this.path, operation);
      }
      try {
        statements.commit.run();
      } catch (error) {
        if (this.#connection?.inTransaction) statements.rollback.run();
        throw mapSqliteError(error, this.path, operation);
      }
      return result;
    } finally {
      this.#asyncTransaction = undefined;
      release();
    }
  }

  /**
   * Resolves when no {@link asyncWriteTransaction} is open. Another one may open between this resolving and the
   * caller resuming: check {@link hasOpenAsyncTransaction} again, with no await between the check and the write.
   */
  async whenWritable(): Promise<void> {
    while (this.#asyncTransaction) await this.#asyncTransaction;
  }

  /** True while an {@link asyncWriteTransaction} is open: synchronous writes must wait ({@link whenWritable}). */
  get hasOpenAsyncTransaction(): boolean {
    return this.#asyncTransaction !== undefined;
  }

  /** Runs synchronous reads, mapping SQLite errors to typed errors. */
  read<T>(operation: string, work: (connection: BetterSqlite3.Database) => T): T {
    const connection = this.connection;
    try {
      return work(connection);
    } catch (error) {
      throw mapSqliteError(error, this.path, operation);
    }
  }

  /** Closes the connection (idempotent). In WAL mode the last connection to close checkpoints the WAL. */
  close(): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#connection = undefined;
    connection.close();
  }
}

/** 0 for a database without this library's tables. Throws for a foreign schema. Reads only. */
function readSchemaVersion(connection: BetterSqlite3.Database, path: string): number {
  const tables = new Set(
    connection
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => row.name),
  );
  if (!tables.has(MIGRATIONS_TABLE)) {
    const ours = LIBRARY_TABLES.filter((name) => tables.has(name));
    if (ours.length > 0)
      throw new SqliteForeignSchemaError(
        path,
        `it has table(s) ${ours.join(', ')} but no ${MIGRATIONS_TABLE}`,
      );
    return 0;
  }
  let row: { version: unknown } | undefined;
  try {
    row = connection
      .prepare<[], { version: unknown }>(`SELECT max(version) AS version FROM ${MIGRATIONS_TABLE}`)
      .get();
  } catch (error) {
    throw new SqliteForeignSchemaError(path, `its ${MIGRATIONS_TABLE} table is malformed (${String(error)})`);
  }
  const version = row?.version ?? 0;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)
    throw new SqliteForeignSchemaError(
      path,
      `its ${MIGRATIONS_TABLE} holds version ${describeValue(version)}`,
    );
  return version;
}

/** Applies the migrations after `found`, each in its own immediate transaction; returns the new version. */
function migrate(connection: BetterSqlite3.Database, path: string, found: number): number {
  if (found >= LATEST_SCHEMA_VERSION) return found;
  connection.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
       version     INTEGER NOT NULL PRIMARY KEY,
       description TEXT    NOT NULL,
       applied_at  INTEGER NOT NULL
     )`,
  );
  let version = found;
  for (const migration of MIGRATIONS) {
    if (migration.version <= version) continue;
    connection
      .transaction(() => {
        // Another process may have migrated between our read and this lock: check again under the lock.
        const current = readSchemaVersion(connection, path);
        if (current > LATEST_SCHEMA_VERSION)
          throw new SqliteSchemaTooNewError(path, current, LATEST_SCHEMA_VERSION);
        if (current >= migration.version) return;
        connection.exec(migration.sql);
        connection
          .prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, description, applied_at) VALUES (?, ?, ?)`)
          .run(migration.version, migration.description, Date.now());
      })
      .immediate();
    version = migration.version;
  }
  return version;
}
