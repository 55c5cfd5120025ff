import type BetterSqlite3 from 'better-sqlite3';
import type { ExpectedVersion } from '../../persistence/expected-version';
import type {
  AllFilter,
  AllSlice,
  AppendResult,
  EventData,
  ReadStreamResult,
  RecordedEvent,
} from '../../persistence/stream-store';
import {
  StreamStoreBase,
  type AllPageRequest,
  type StreamPageRequest,
} from '../../persistence/stream-store-base';
import { StreamDeletedError, WrongExpectedVersionError } from '../../persistence/stream-store.errors';
import { checkExpectedVersion } from '../../persistence/stream-store-arguments';
import { InvalidArgumentError } from '../../core/reactive-domain.error';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite-database';
import { mapSqliteError } from './sqlite.errors';

/** Options of {@link SqliteStreamStore}. */
export interface SqliteStreamStoreOptions {
  /**
   * The database: an open {@link SqliteDatabase} (shared with checkpoint/snapshot stores and durable read models;
   * the caller closes it), or options to open one that the store owns and closes.
   */
  readonly database: SqliteDatabase | SqliteDatabaseOptions;
  /**
   * Subscriptions re-read at least this often (default 250 ms) to see appends made by ANOTHER process on the same
   * file. Appends through this store wake them at once, whatever the value.
   */
  readonly pollIntervalMs?: number;
}

/** Largest value an SQLite INTEGER holds; `$all` positions beyond it cannot exist. */
const MAX_INT64 = 9223372036854775807n;

interface StreamRow {
  readonly last_revision: number;
  readonly truncate_before: number;
  readonly tombstoned: number;
}

interface EventRow {
  readonly position: number;
  readonly stream_name: string;
  readonly revision: number;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly created: number;
}

const EVENT_COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata, created';

/**
 * The `StreamStore` on SQLite (better-sqlite3 12, an optional peer): one file (or `:memory:`), WAL mode,
 * durable by default (`synchronous=FULL`: see {@link SqliteDatabaseOptions.synchronous} for the `NORMAL` trade-off), with
 * EventStoreDB's semantics (expected versions, soft delete continuing the numbering, tombstones, `$all` with
 * prefix filters, system `$` types excluded, backward reads), as checked by the shared contract suite.
 *
 * - **Atomic appends.** The expected-version check and the inserts run in ONE `BEGIN IMMEDIATE` transaction: all
 *   events or none, even if the process is killed mid-append (checked by a SIGKILL test).
 * - **Commit-ordered positions.** A `$all` position is the event row's INTEGER PRIMARY KEY, assigned inside the
 *   write transaction. SQLite admits one writer at a time (across processes too), so positions become visible in
 *   increasing order: a reader that saw position p can never later find a new event below p, and catch-up never
 *   skips (unlike a PostgreSQL sequence, which needs a transaction horizon).
 * - **Subscriptions** use the shared catch-up subscription: woken at once by this store's commits, and re-reading
 *   every `pollIntervalMs` (default 250 ms) to pick up another process's appends to the same file (or another
 *   store's in this process: use one store per file and process).
 * - **Errors** from SQLite are typed (`SqliteBusyError`, `SqliteDiskFullError`, `SqliteReadOnlyError`,
 *   `SqliteCorruptError`, `SqliteNotADatabaseError`, ...); a failed write leaves nothing behind.
 * - better-sqlite3 is synchronous: each operation runs to completion on the calling thread (an append takes
 *   microseconds plus the fsync). A write blocked by another process's lock blocks the event loop for up to the
 *   busy timeout.
 * - As on EventStoreDB, soft-deleted and tombstoned events stay in `$all`; duplicate event ids are not detected.
 */
export class SqliteStreamStore extends StreamStoreBase {
  /** The database this store writes to. */
  readonly database: SqliteDatabase;
  private readonly ownsDatabase: boolean;
  private readonly statements: Statements;
  private readonly allStatements = new Map<string, BetterSqlite3.Statement<unknown[], EventRow>>();
  private readonly appendTransaction: (
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ) => AppendResult;
  private readonly removeTransaction: (
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ) => void;

  constructor(options: SqliteStreamStoreOptions) {
    // The base validates the interval.
    super({ name: 'SqliteStreamStore', pollIntervalMs: options?.pollIntervalMs ?? 250 });
    const database = options?.database;
    if (database instanceof SqliteDatabase) {
      this.database = database;
      this.ownsDatabase = false;
    } else {
      this.database = SqliteDatabase.open(database);
      this.ownsDatabase = true;
    }
    const connection = this.database.connection;
    this.statements = this.database.read('prepare', () => prepareStatements(connection));
    this.appendTransaction = connection.transaction((streamName, expectedVersion, events) =>
      this.appendNow(streamName, expectedVersion, events),
    ).immediate;
    this.removeTransaction = connection.transaction((streamName, expectedVersion, mode) =>
      this.removeNow(streamName, expectedVersion, mode),
    ).immediate;
  }

  /** Opens (or creates) the database file at `path` and a store that owns it. */
  static open(
    path: string,
    options: Omit<SqliteDatabaseOptions, 'path'> & Pick<SqliteStreamStoreOptions, 'pollIntervalMs'> = {},
  ): SqliteStreamStore {
    const { pollIntervalMs, ...databaseOptions } = options;
    return new SqliteStreamStore({
      database: { ...databaseOptions, path },
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    });
  }

  /** Number of events in `$all` (system events included): e.g. to tell a fresh file from one with history. */
  async countEvents(): Promise<number> {
    return this.database.read('count events', () => this.statements.countEvents.get()!.count);
  }

  /**
   * Appends inside the caller's synchronous {@link SqliteDatabase.writeTransaction} on this store's database, so the
   * events commit together with what else the transaction writes (an outbox entry: `SqliteOutboxStore.enqueueSync`,
   * a read model's rows): all or nothing. Same checks and errors as `appendToStream`; the subscriptions are woken
   * once the transaction has ended (a rolled-back append wakes them for nothing).
   *
   * Refused (`InvalidArgumentError`) outside such a transaction and inside an asynchronous one
   * ({@link SqliteDatabase.asyncWriteTransaction}): during its awaits the store's own readers, on the same
   * connection, would see the uncommitted events and could deliver events that are then rolled back.
   *
   * @example
   * ```ts
   * database.writeTransaction('place order', (tx) => {
   *   store.appendInTransaction(tx, 'order-1', ExpectedVersion.NoStream, events);
   *   outbox.enqueueSync(tx, [{ topic: 'warehouse.commands', message }]);
   * });
   * ```
   */
  appendInTransaction(
    tx: BetterSqlite3.Database,
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): AppendResult {
    this.checkAppend(streamName, expectedVersion, events);
    if (tx !== this.database.connection || !tx.inTransaction || this.database.hasOpenAsyncTransaction)
      throw new InvalidArgumentError(
        `appendInTransaction to ${JSON.stringify(streamName)}: tx must be the connection handed to ` +
          "this store's database.writeTransaction(work), used inside it",
      );
    let result: AppendResult;
    try {
      result = this.appendNow(streamName, expectedVersion, events);
    } catch (error) {
      throw this.mapError(error, `append to ${JSON.stringify(streamName)}`);
    }
    // Waiters resume in a later microtask, after the synchronous transaction has committed or rolled back.
    if (events.length > 0) this.changes.notify();
    return result;
  }

  protected async appendEvents(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    // The base wakes the subscriptions after this resolves. A read model's open transaction on this connection
    // must end first, or the append would join it (and be rolled back with it).
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    try {
      return this.appendTransaction(streamName, expectedVersion, events);
    } catch (error) {
      throw this.mapError(error, `append to ${JSON.stringify(streamName)}`);
    }
  }

  protected async readStreamPage(streamName: string, request: StreamPageRequest): Promise<ReadStreamResult> {
    return this.database.read(`read ${JSON.stringify(streamName)}`, () => {
      const stream = this.streamState(streamName);
      if (stream?.tombstoned) return { status: 'deleted', streamName };
      if (!stream || stream.last_revision < stream.truncate_before)
        return { status: 'not_found', streamName };
      const first = stream.truncate_before;
      const last = stream.last_revision;
      const { fromRevision, maxCount } = request;
      let rows: EventRow[];
      let isEndOfStream: boolean;
      if (request.direction === 'forwards') {
        const start =
          fromRevision === 'start'
            ? first
            : fromRevision === 'end'
              ? last + 1
              : Math.max(fromRevision, first);
        rows = start > last ? [] : this.statements.streamForwards.all(streamName, start, maxCount);
        isEndOfStream = start + maxCount > last;
      } else {
        const start =
          fromRevision === 'end' ? last : fromRevision === 'start' ? first : Math.min(fromRevision, last);
        rows = this.statements.streamBackwards.all(streamName, start, first, maxCount);
        isEndOfStream = start - maxCount < first;
      }
      return {
        status: 'ok',
        streamName,
        events: rows.map(toRecordedEvent),
        lastRevision: last,
        isEndOfStream,
      };
    });
  }

  protected async readAllPage(request: AllPageRequest): Promise<AllSlice> {
    return this.database.read('read $all', () => {
      const { direction, after, maxCount, filter } = request;
      const forwards = direction === 'forwards';
      // One row more than asked tells whether another matching event follows the page.
      let bound: bigint;
      if (forwards) {
        if (after === 'end') return { events: [], isEnd: true };
        bound = after === 'start' ? 0n : after;
        if (bound >= MAX_INT64) return { events: [], isEnd: true };
      } else {
        if (after === 'start') return { events: [], isEnd: true };
        bound = after === 'end' || after > MAX_INT64 ? MAX_INT64 : after;
      }
      const prefixes = filter?.prefixes.flatMap((prefix) => [prefix, prefix]) ?? [];
      const rows = this.allStatement(forwards, filter).all(bound, ...prefixes, maxCount + 1);
      const isEnd = rows.length <= maxCount;
      if (!isEnd) rows.length = maxCount;
      return { events: rows.map(toRecordedEvent), isEnd };
    });
  }

  protected async removeStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void> {
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    try {
      this.removeTransaction(streamName, expectedVersion, mode);
    } catch (error) {
      throw this.mapError(error, `${mode === 'soft' ? 'delete' : 'tombstone'} ${JSON.stringify(streamName)}`);
    }
  }

  protected async closeStorage(): Promise<void> {
    if (this.ownsDatabase) this.database.close();
  }

  // ---- inside the write transaction (synchronous) ----------------------------------------------------------------

  private appendNow(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): AppendResult {
    const { statements } = this;
    const stream = this.streamState(streamName);
    if (stream?.tombstoned) throw new StreamDeletedError(streamName);
    const last = stream ? stream.last_revision : -1;
    checkExpectedVersion(streamName, expectedVersion, last, streamExists(stream));
    if (events.length === 0) {
      const end = statements.lastPosition.get()?.position ?? 0;
      return { nextExpectedVersion: last, position: BigInt(end) };
    }
    const created = Date.now();
    let revision = last;
    let position: number | bigint = 0;
    for (const event of events) {
      revision++;
      position = statements.insertEvent.run(
        streamName,
        revision,
        event.eventId,
        event.type,
        event.data,
        event.metadata,
        created,
      ).lastInsertRowid;
    }
    return { nextExpectedVersion: revision, position: BigInt(position) };
  }

  private removeNow(streamName: string, expectedVersion: ExpectedVersion, mode: 'soft' | 'tombstone'): void {
    const { statements } = this;
    const stream = this.streamState(streamName);
    if (stream?.tombstoned) throw new StreamDeletedError(streamName);
    if (mode === 'soft') {
      // EventStoreDB refuses to soft-delete a stream that was never written, whatever the expected version.
      if (!stream) throw new WrongExpectedVersionError(streamName, expectedVersion, 'no_stream');
      checkExpectedVersion(streamName, expectedVersion, stream.last_revision, streamExists(stream));
      statements.truncate.run(streamName, stream.last_revision + 1);
      return;
    }
    checkExpectedVersion(
      streamName,
      expectedVersion,
      stream ? stream.last_revision : -1,
      streamExists(stream),
    );
    statements.tombstone.run(streamName);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  /**
   * The stream's state, undefined when it was never written nor removed. The last revision comes from the events'
   * (stream, revision) index; `rd_streams` holds a row only for streams that were soft-deleted or tombstoned, so an
   * append writes the event row and its index entry and nothing else.
   */
  private streamState(streamName: string): StreamRow | undefined {
    const last = this.statements.lastRevision.get(streamName);
    const removal = this.statements.removal.get(streamName);
    if (last === undefined && removal === undefined) return undefined;
    return {
      last_revision: last ?? -1,
      truncate_before: removal?.truncate_before ?? 0,
      tombstoned: removal?.tombstoned ?? 0,
    };
  }

  private mapError(error: unknown, operation: string): unknown {
    return mapSqliteError(error, this.database.path, operation);
  }

  /** The `$all` query for one direction and filter shape (cached: the prefixes are bound, not inlined). */
  private allStatement(
    forwards: boolean,
    filter: AllFilter | undefined,
  ): BetterSqlite3.Statement<unknown[], EventRow> {
    const key = `${forwards ? 'f' : 'b'}:${filter?.on ?? '-'}:${filter?.prefixes.length ?? 0}`;
    let statement = this.allStatements.get(key);
    if (!statement) {
      const column = filter?.on === 'eventType' ? 'type' : 'stream_name';
      // Each prefix is bound twice (better-sqlite3 does not bind one value to a repeated numbered parameter).
      const parts = (filter?.prefixes ?? []).map(() => `substr(${column}, 1, length(?)) = ?`);
      const text =
        `SELECT ${EVENT_COLUMNS} FROM rd_events WHERE position ${forwards ? '>' : '<'} ? ` +
        `AND substr(type, 1, 1) <> '$'` +
        (parts.length > 0 ? ` AND (${parts.join(' OR ')})` : '') +
        ` ORDER BY position ${forwards ? 'ASC' : 'DESC'} LIMIT ?`;
      statement = this.database.connection.prepare<unknown[], EventRow>(text);
      this.allStatements.set(key, statement);
    }
    return statement;
  }
}

interface Statements {
  readonly lastRevision: BetterSqlite3.Statement<[string], number>;
  readonly removal: BetterSqlite3.Statement<[string], { truncate_before: number; tombstoned: number }>;
  readonly truncate: BetterSqlite3.Statement<[string, number]>;
  readonly tombstone: BetterSqlite3.Statement<[string]>;
  readonly insertEvent: BetterSqlite3.Statement<[string, number, string, string, string, string, number]>;
  readonly lastPosition: BetterSqlite3.Statement<[], { position: number }>;
  readonly countEvents: BetterSqlite3.Statement<[], { count: number }>;
  readonly streamForwards: BetterSqlite3.Statement<[string, number, number], EventRow>;
  readonly streamBackwards: BetterSqlite3.Statement<[string, number, number, number], EventRow>;
}

function prepareStatements(db: BetterSqlite3.Database): Statements {
  return {
    lastRevision: db
      .prepare<[string], number>(
        'SELECT revision FROM rd_events WHERE stream_name = ? ORDER BY revision DESC LIMIT 1',
      )
      .pluck(),
    removal: db.prepare('SELECT truncate_before, tombstoned FROM rd_streams WHERE stream_name = ?'),
    truncate: db.prepare(
      'INSERT INTO rd_streams (stream_name, truncate_before, tombstoned) VALUES (?, ?, 0) ' +
        'ON CONFLICT (stream_name) DO UPDATE SET truncate_before = excluded.truncate_before',
    ),
    tombstone: db.prepare(
      'INSERT INTO rd_streams (stream_name, truncate_before, tombstoned) VALUES (?, 0, 1) ' +
        'ON CONFLICT (stream_name) DO UPDATE SET tombstoned = 1',
    ),
    insertEvent: db.prepare(
      'INSERT INTO rd_events (stream_name, revision, event_id, type, data, metadata, created) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    lastPosition: db.prepare('SELECT position FROM rd_events ORDER BY position DESC LIMIT 1'),
    countEvents: db.prepare('SELECT count(*) AS count FROM rd_events'),
    streamForwards: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM rd_events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ),
    streamBackwards: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM rd_events WHERE stream_name = ? AND revision <= ? AND revision >= ? ` +
        'ORDER BY revision DESC LIMIT ?',
    ),
  };
}

/** A stored event: frozen; `created` returns a fresh `Date` so nothing mutable leaks. */
class SqliteRecordedEvent implements RecordedEvent {
  readonly #createdMs: number;
  readonly streamName: string;
  readonly revision: number;
  readonly position: bigint;
  readonly eventId: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  constructor(row: EventRow) {
    this.streamName = row.stream_name;
    this.revision = row.revision;
    this.position = BigInt(row.position);
    this.eventId = row.event_id;
    this.type = row.type;
    this.data = row.data;
    this.metadata = row.metadata;
    this.#createdMs = row.created;
    Object.freeze(this);
  }

  get created(): Date {
    return new Date(this.#createdMs);
  }
}

/** The stream has visible events: written, and not soft-deleted since its last append. */
function streamExists(stream: StreamRow | undefined): boolean {
  return stream !== undefined && stream.last_revision >= stream.truncate_before;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return new SqliteRecordedEvent(row);
}
