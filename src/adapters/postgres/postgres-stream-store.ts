import { logSafely } from '../../core/logger';
import { createHash } from 'node:crypto';
import type { Client, ClientBase } from 'pg';
import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { ExpectedVersion } from '../../persistence/expected-version';
import {
  StreamStoreBase,
  type AllPageRequest,
  type StreamPageRequest,
  type SubscriptionTarget,
} from '../../persistence/stream-store-base';
import type {
  AllSlice,
  AppendResult,
  EventData,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  SubscriptionHandlers,
} from '../../persistence/stream-store';
import { StreamDeletedError, WrongExpectedVersionError } from '../../persistence/stream-store.errors';
import {
  PostgresConnection,
  StoreReadiness,
  loadPg,
  type PostgresConnectionOptions,
} from './postgres-connection';
import {
  assertPositionsBehindTransactionIds,
  assertSchemaReady,
  notificationChannel,
} from './postgres-schema';
import {
  PositionSpaceExhaustedError,
  PostgresQueryError,
  TransactionOrderConflictError,
  TransactionTooLargeError,
} from './postgres.errors';

/** Something the store wants an operator to know; it is handled, nothing was lost. */
export type PostgresStoreWarning =
  | {
      /**
       * `$all` readers have been held back for a while by a transaction that is still open: events committed after
       * it started cannot be delivered until it ends (delivering them first could skip its events for good).
       */
      readonly kind: 'read_stalled';
      /** Human-readable, names the blocking transaction. */
      readonly message: string;
      /** How long readers have been held back, milliseconds. */
      readonly stalledForMs: number;
      /** The oldest open transaction holding a transaction id (from `pg_stat_activity`), when one was found. */
      readonly blocking?: BlockingTransaction;
    }
  | {
      /** The `LISTEN` connection broke; it is being re-established, subscriptions poll meanwhile. */
      readonly kind: 'listener_lost';
      /** Human-readable. */
      readonly message: string;
      /** The connection error, when there was one. */
      readonly cause?: unknown;
    };

/** The open transaction that holds `$all` readers back. */
export interface BlockingTransaction {
  /** Server process id (`pg_terminate_backend(pid)` ends it). */
  readonly pid: number;
  /** Age of the transaction, milliseconds. */
  readonly ageMs: number;
  /** `pg_stat_activity.state`, e.g. `idle in transaction`. */
  readonly state: string | null;
  /** Database the session is connected to. */
  readonly database: string | null;
  /** Role of the session. */
  readonly user: string | null;
  /** `application_name` of the session. */
  readonly applicationName: string | null;
  /** Its current or last statement (first 200 characters). */
  readonly query: string | null;
}

/** Options of {@link PostgresStreamStore}: where the database is (see {@link PostgresConnectionOptions}) and tuning. */
export interface PostgresStreamStoreOptions extends PostgresConnectionOptions {
  /**
   * Subscriptions re-read at least this often (milliseconds) even without a notification: the bounded fallback
   * when `LISTEN` is down or a notification was lost. Default 1,000.
   */
  readonly pollIntervalMs?: number;
  /**
   * Wake subscriptions with `LISTEN`/`NOTIFY` (default true): after its appends commit, the store sends a coalesced
   * `NOTIFY` (appends made with {@link PostgresStreamStore.appendInTransaction} notify inside your transaction, so
   * the wake-up comes with your commit), and subscriptions listen on a dedicated connection that is re-established
   * when it drops. When false, subscriptions see other processes' appends by polling only.
   */
  readonly notifications?: boolean;
  /** Warn (see {@link PostgresStoreWarning}) once `$all` readers have been held back this long. Default 10,000 ms. */
  readonly stallWarningMs?: number;
  /**
   * How long a `$all` read waits for the transactions in progress (anywhere in the cluster) to end before returning
   * what is already safe to return: read-your-writes while other transactions are running. Subscriptions take their
   * live point with such a read too. Default 500 ms.
   */
  readonly horizonWaitMs?: number;
  /** Receives warnings; default: the process-wide logger (`setLogger`; by default `process.emitWarning`, code `RD_PG_READ_STALLED` / `RD_PG_LISTENER_LOST`). */
  readonly onWarning?: (warning: PostgresStoreWarning) => void;
}

/** Largest bigint, the open upper bound of reads from `'end'`. */
const MAX_BIGINT = '9223372036854775807';
/** A revision past every real one (2^53), the open upper bound of stream reads from `'end'`. */
const NO_REVISION_LIMIT = 9007199254740992;
/** How often an append the store runs in its own transaction is retried after a transaction-order conflict. */
const ORDER_CONFLICT_RETRIES = 8;

interface EventRow {
  position: string | null;
  stream_name: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created_ms: number;
}

interface AllRow extends EventRow {
  horizon: string;
  held: boolean;
}

interface StreamRow extends EventRow {
  last_revision: number;
  truncate_before: number;
  tombstoned: boolean;
}

const EVENT_COLUMNS =
  'e.position::text AS position, e.stream_name, e.revision::float8 AS revision, e.event_id::text AS event_id, ' +
  'e.type, e.data, e.metadata, (extract(epoch FROM e.created) * 1000)::float8 AS created_ms';

/** The statements of one schema, prepared once per connection under names unique to their text. */
class Statements {
  readonly append: string;
  readonly remove: string;
  readonly streamForwards: string;
  readonly streamBackwards: string;
  readonly all: Record<'forwards' | 'backwards', Record<'none' | 'streamName' | 'eventType', string>>;
  readonly endPosition: string;
  readonly notify: string;

  constructor(schema: string) {
    const s = `"${schema}"`;
    this.append =
      'SELECT next_expected_version::float8 AS next, last_position::text AS position ' +
      `FROM ${s}.append_to_stream($1, $2, $3, $4, $5, $6, $7)`;
    this.remove = `SELECT ${s}.remove_stream($1, $2, $3, $4)`;
    const stream = (direction: 'forwards' | 'backwards'): string =>
      `SELECT s.last_revision::float8 AS last_revision, s.truncate_before::float8 AS truncate_before, s.tombstoned, ` +
      `${EVENT_COLUMNS} FROM ${s}.streams s LEFT JOIN LATERAL (SELECT * FROM ${s}.events e ` +
      (direction === 'forwards'
        ? 'WHERE e.stream_name = s.stream_name AND e.revision >= greatest($2::bigint, s.truncate_before) ' +
          'ORDER BY e.revision LIMIT $3'
        : 'WHERE e.stream_name = s.stream_name AND e.revision >= s.truncate_before AND e.revision <= ' +
          'CASE WHEN $2::bigint < 0 THEN s.truncate_before ELSE least($2::bigint, s.last_revision) END ' +
          'ORDER BY e.revision DESC LIMIT $3') +
      ') e ON true WHERE s.stream_name = $1';
    this.streamForwards = stream('forwards');
    this.streamBackwards = stream('backwards');
    const filters = {
      none: '',
      streamName:
        'AND EXISTS (SELECT 1 FROM unnest($3::text[]) p(prefix) WHERE starts_with(e.stream_name, p.prefix))',
      eventType:
        'AND EXISTS (SELECT 1 FROM unnest($3::text[]) p(prefix) WHERE starts_with(e.type, p.prefix))',
    };
    // One statement, so the horizon and the rows come from the same snapshot (no per-statement snapshot skew).
    const all = (direction: 'forwards' | 'backwards', filter: string): string =>
      'WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 20 AS horizon) ' +
      `SELECT h.horizon::text AS horizon, coalesce((SELECT max(x.position) FROM ${s}.events x) >= h.horizon, false) AS held, ` +
      `${EVENT_COLUMNS} FROM h LEFT JOIN LATERAL (SELECT * FROM ${s}.events e WHERE ` +
      (direction === 'forwards'
        ? 'e.position > $1::bigint AND e.position < h.horizon '
        : 'e.position < least($1::bigint, h.horizon) ') +
      `AND left(e.type, 1) <> '$' ${filter} ORDER BY e.position ${direction === 'forwards' ? 'ASC' : 'DESC'} LIMIT $2` +
      ') e ON true';
    this.all = {
      forwards: {
        none: all('forwards', filters.none),
        streamName: all('forwards', filters.streamName),
        eventType: all('forwards', filters.eventType),
      },
      backwards: {
        none: all('backwards', filters.none),
        streamName: all('backwards', filters.streamName),
        eventType: all('backwards', filters.eventType),
      },
    };
    this.endPosition = `SELECT coalesce(max(position), 0)::text AS position FROM ${s}.events`;
    // Its own tiny transaction that does not wait for its commit record to reach disk: the notification is a wake-up,
    // not data, and waiting would hold PostgreSQL's cluster-wide notify lock for an fsync.
    this.notify = `SELECT set_config('synchronous_commit', 'off', true), pg_notify('${notificationChannel(schema)}', '')`;
  }
}

/** A short, stable prepared-statement name for `text` (names are per connection; the text decides the name). */
function statementName(text: string): string {
  return `rd_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

function encodeExpected(expected: ExpectedVersion): number {
  if (expected === ExpectedVersion.Any) return -2;
  if (expected === ExpectedVersion.NoStream) return -1;
  if (expected === ExpectedVersion.StreamExists) return -3;
  return expected;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  if (!Number.isSafeInteger(row.revision)) {
    throw new InvalidArgumentError(
      `Stream ${JSON.stringify(row.stream_name)}: stored revision ${describeValue(row.revision)} is not a safe integer`,
    );
  }
  return {
    streamName: row.stream_name,
    revision: row.revision,
    position: BigInt(row.position!),
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    created: new Date(row.created_ms),
  };
}

/**
 * The `StreamStore` on PostgreSQL (13 or later), with EventStoreDB's semantics: every `ExpectedVersion`,
 * atomic multi-event appends, soft delete continuing the numbering, tombstones, stream and `$all` reads both ways,
 * `$all` prefix filters, catch-up-then-live subscriptions woken by `LISTEN`/`NOTIFY` with bounded polling as the
 * fallback. Run {@link migrate} once first; the store checks the schema version before its first request.
 *
 * ## Why a `$all` reader never skips an event
 * A global sequence is not enough: a number is taken at insert but becomes visible at commit, so a reader can see
 * position 6 while 5 is still uncommitted, checkpoint 6, and lose 5 for good. Here instead:
 *
 * 1. **Position = transaction id × 2^20 + index in the transaction.** Every append stores its events at positions
 *    `pg_current_xact_id() << 20` onwards (continuing after the events this transaction already appended), so `$all`
 *    order is (transaction id, index) order — one `bigint`, no compound checkpoint.
 * 2. **Readers read only below the horizon** `pg_snapshot_xmin(pg_current_snapshot()) << 20`, in the same statement
 *    (one snapshot). `xmin` is the oldest transaction id still running. Every transaction with a lower id has ended,
 *    so its rows are either visible in this snapshot (committed) or never will be (aborted); and no transaction can
 *    ever again get an id below `xmin` (ids are handed out in increasing order). So the set of events below the
 *    horizon is final: if a reader returns position p, every event with a lower position is already visible, and
 *    checkpointing p can skip nothing. Counter-example the horizon handles: y (xid 100) and x (xid 101) start, x
 *    appends, y appends, x commits: x's event sits at 101·2^20, above the horizon 100·2^20 until y ends, and y's
 *    event sorts before it.
 * 3. **Per-stream order inside `$all`.** Revisions are assigned under a per-stream lock, in commit order; positions
 *    must follow revisions too. Transaction ids are handed out at a transaction's first write, not at commit. The
 *    append function takes a per-stream advisory lock (which assigns no id) before anything else, so a fresh
 *    transaction gets its id only once the stream's previous writer has committed: a higher id, a higher position.
 *    A transaction that already holds an id (your transaction wrote before appending) could still append after a
 *    younger one committed to the same stream; the function checks that the stream's last writer's id is not above
 *    its own, and if it is, writes nothing: an append in your transaction fails with
 *    {@link TransactionOrderConflictError} (retry it; an append the store runs itself retries in a new
 *    transaction).
 *
 * **Cost: a long-open writing transaction stalls `$all` readers** (lag, never loss). Any transaction that holds a
 * transaction id — in any database of the cluster, idle in transaction included — holds the horizon back. The store
 * reports it: after `stallWarningMs` it warns (see {@link PostgresStoreWarning}) naming the oldest open transaction
 * from `pg_stat_activity` and its age. Read-only transactions hold no id and stall nothing. Stream reads and stream
 * subscriptions are not affected (a stream's revisions are assigned under its row lock, in commit order).
 *
 * **Restoring a dump into another cluster** restarts transaction ids lower than the stored positions: new events
 * would sort before old ones. The store checks it before its first request and fails with
 * {@link TransactionIdsBehindPositionsError} (nothing is written) until the cluster's transaction counter is advanced
 * past the stored ids.
 *
 * Other notes: appends are one round trip (a PL/pgSQL function, in `schema.sql`); `data`/`metadata` are stored as
 * the exact JSON text given; soft-deleted and tombstoned events stay in `$all` (as on EventStoreDB until a
 * scavenge); EventStoreDB's `$ce-`/`$et-` streams are not served (use the `$all` filters); every request has a
 * deadline (see {@link PostgresConnectionOptions}) and failures are typed (`PostgresUnavailableError`, ...).
 */
export class PostgresStreamStore extends StreamStoreBase {
  /** The schema this store uses. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly sql: Statements;
  private readonly names: Map<string, string> = new Map();
  private readonly notifications: boolean;
  private readonly stallWarningMs: number;
  private readonly horizonWaitMs: number;
  private readonly retryCeilingMs: number;
  private readonly onWarning: (warning: PostgresStoreWarning) => void;
  /** The schema version, checked before the first request. */
  private readonly ready: StoreReadiness;
  /** Before the first write: the schema, and stored positions not ahead of the cluster's transaction ids. */
  private readonly writable: StoreReadiness;
  private storageClosed = false;
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;
  // LISTEN connection
  private listenerStarted = false;
  private listenerClient: Client | undefined;
  private listenerTimer: NodeJS.Timeout | undefined;
  private listenerAttempts = 0;
  private listenerWasUp = false;
  // horizon stalls
  private heldSince: number | undefined;
  private lastStallWarning = 0;
  private horizonRetry: NodeJS.Timeout | undefined;
  private horizonRetryDelay = 25;

  constructor(options: PostgresStreamStoreOptions) {
    const pollIntervalMs = options?.pollIntervalMs ?? 1_000;
    super({ name: 'PostgresStreamStore', pollIntervalMs });
    this.db = new PostgresConnection(options, 'PostgresStreamStore');
    this.schema = this.db.schema;
    this.sql = new Statements(this.schema);
    // Never closed: the base refuses requests after close().
    this.ready = new StoreReadiness('PostgresStreamStore', () => assertSchemaReady(this.db));
    this.writable = new StoreReadiness('PostgresStreamStore', async () => {
      await this.ready.ensure();
      await assertPositionsBehindTransactionIds(this.db);
    });
    this.notifications = options.notifications ?? true;
    this.stallWarningMs = positiveOption(options.stallWarningMs, 'stallWarningMs', 10_000);
    this.horizonWaitMs = positiveOption(options.horizonWaitMs, 'horizonWaitMs', 500);
    this.retryCeilingMs = pollIntervalMs;
    this.onWarning = options.onWarning ?? emitWarning;
  }

  /** Creates a store over a connection string (it owns the pool and ends it on `close()`). */
  static fromConnectionString(
    connectionString: string,
    options: Omit<PostgresStreamStoreOptions, 'connectionString' | 'pool'> = {},
  ): PostgresStreamStore {
    return new PostgresStreamStore({ ...options, connectionString });
  }

  /**
   * Appends inside YOUR transaction, on your client (after your `BEGIN`, before your `COMMIT`), so events and your
   * own writes commit together or not at all. Same checks and errors as {@link appendToStream}, plus
   * {@link TransactionOrderConflictError} (retry your transaction). A PostgreSQL error aborts your transaction, as
   * any failed statement does. Subscriptions are woken when you commit (`NOTIFY` is transactional).
   */
  async appendInTransaction(
    client: ClientBase,
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    this.checkAppend(streamName, expectedVersion, events);
    if (typeof client?.query !== 'function')
      throw new InvalidArgumentError(
        `appendInTransaction: client must be a pg client, got ${describeValue(client)}`,
      );
    await this.writable.ensure();
    try {
      return await this.runAppend(client, streamName, expectedVersion, events, this.notifications);
    } catch (error) {
      if (isOrderConflict(error)) throw new TransactionOrderConflictError(streamName, { cause: error });
      throw error;
    }
  }

  // ---- storage ---------------------------------------------------------------------------------------------------

  protected async appendEvents(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    await this.writable.ensure();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.db.withClient({ what: appendWhat(streamName), write: true }, (client) =>
          this.runAppend(client, streamName, expectedVersion, events, false),
        );
        if (events.length > 0) this.announce();
        return result;
      } catch (error) {
        // A new transaction gets a higher id than the stream's last writer: retrying is safe (nothing was written).
        if (isOrderConflict(error) && attempt < ORDER_CONFLICT_RETRIES) continue;
        if (isOrderConflict(error)) throw new TransactionOrderConflictError(streamName, { cause: error });
        throw error;
      }
    }
  }

  protected async readStreamPage(streamName: string, request: StreamPageRequest): Promise<ReadStreamResult> {
    await this.ready.ensure();
    const { direction, fromRevision, maxCount } = request;
    // 'start' backwards is -1: the statement then stops at the first readable revision.
    const from =
      fromRevision === 'end'
        ? NO_REVISION_LIMIT
        : fromRevision === 'start'
          ? direction === 'forwards'
            ? 0
            : -1
          : fromRevision;
    const text = direction === 'forwards' ? this.sql.streamForwards : this.sql.streamBackwards;
    const rows = await this.db.query<StreamRow>(
      { what: `read stream ${JSON.stringify(streamName)}`, write: false },
      text,
      [streamName, from, maxCount],
      this.nameOf(text),
    );
    const head = rows[0];
    if (head === undefined) return { status: 'not_found', streamName };
    if (head.tombstoned) return { status: 'deleted', streamName };
    if (head.last_revision < head.truncate_before) return { status: 'not_found', streamName };
    const events = head.position === null ? [] : rows.map(toRecordedEvent);
    const last = events[events.length - 1];
    const isEndOfStream =
      last === undefined ||
      (direction === 'forwards'
        ? last.revision >= head.last_revision
        : last.revision <= head.truncate_before);
    return { status: 'ok', streamName, events, lastRevision: head.last_revision, isEndOfStream };
  }

  protected async readAllPage(request: AllPageRequest): Promise<AllSlice> {
    await this.ready.ensure();
    const { direction, after, maxCount, filter } = request;
    if (direction === 'forwards' ? after === 'end' : after === 'start') return { events: [], isEnd: true };
    const text = this.sql.all[direction][filter?.on ?? 'none'];
    const bound = after === 'start' ? '-1' : after === 'end' ? MAX_BIGINT : after.toString();
    const values: unknown[] = [bound, maxCount + 1];
    if (filter) values.push(filter.prefixes);
    const context = { what: 'read $all', write: false };
    const started = Date.now();
    let pause = 1;
    for (;;) {
      const rows = await this.db.query<AllRow>(context, text, values, this.nameOf(text));
      const head = rows[0]!;
      const found = head.position === null ? 0 : rows.length;
      const full = found > maxCount;
      // Only a page that the horizon cut short could gain events by waiting.
      const cut =
        head.held &&
        !full &&
        (direction === 'forwards' || after === 'end' || (after as bigint) > BigInt(head.horizon));
      if (!cut || this.storageClosed) {
        if (!head.held) this.horizonClear();
        return this.allSlice(rows, found, maxCount);
      }
      // Wait (a bounded while, backing off) for the transactions in progress to end: read-your-writes.
      if (Date.now() - started >= this.horizonWaitMs) {
        this.horizonHeld();
        return this.allSlice(rows, found, maxCount);
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  protected async removeStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    mode: 'soft' | 'tombstone',
  ): Promise<void> {
    await this.writable.ensure();
    const what = `${mode === 'soft' ? 'delete' : 'tombstone'} stream ${JSON.stringify(streamName)}`;
    try {
      await this.db.query(
        { what, write: true },
        this.sql.remove,
        [streamName, encodeExpected(expectedVersion), mode === 'tombstone', false],
        this.nameOf(this.sql.remove),
      );
    } catch (error) {
      throw this.mapStreamError(error, streamName, expectedVersion);
    }
    this.announce();
  }

  protected override openSubscription(
    target: SubscriptionTarget,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    this.startListener();
    return super.openSubscription(target, handlers);
  }

  protected async closeStorage(): Promise<void> {
    this.storageClosed = true;
    await this.notifying;
    clearTimeout(this.listenerTimer);
    clearTimeout(this.horizonRetry);
    const listener = this.listenerClient;
    this.listenerClient = undefined;
    await listener?.end().catch(() => undefined);
    await this.db.end();
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private async runAppend(
    client: ClientBase,
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
    notifyInTransaction: boolean,
  ): Promise<AppendResult> {
    const n = events.length;
    const ids = new Array<string>(n);
    const types = new Array<string>(n);
    const data = new Array<string>(n);
    const metadata = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const event = events[i]!;
      ids[i] = event.eventId;
      types[i] = event.type;
      data[i] = event.data;
      metadata[i] = event.metadata;
    }
    let rows: { next: number; position: string }[];
    try {
      rows = await this.db.run(
        client,
        { what: appendWhat(streamName), write: true },
        this.sql.append,
        [streamName, encodeExpected(expectedVersion), ids, types, data, metadata, notifyInTransaction],
        this.nameOf(this.sql.append),
      );
    } catch (error) {
      throw this.mapStreamError(error, streamName, expectedVersion);
    }
    const row = rows[0]!;
    return { nextExpectedVersion: row.next, position: BigInt(row.position) };
  }

  private mapStreamError(error: unknown, streamName: string, expected: ExpectedVersion): unknown {
    if (!(error instanceof PostgresQueryError)) return error;
    const detail = (error.cause as { detail?: unknown } | undefined)?.detail;
    switch (error.sqlState) {
      case 'RD001':
        return new WrongExpectedVersionError(
          streamName,
          expected,
          detail === 'no_stream' || typeof detail !== 'string' ? 'no_stream' : Number(detail),
        );
      case 'RD002':
        return new StreamDeletedError(streamName);
      case 'RD004':
        return new PositionSpaceExhaustedError(
          `Append to stream ${JSON.stringify(streamName)}: ${error.message}`,
          {
            cause: error,
          },
        );
      case 'RD005':
        return new TransactionTooLargeError(streamName, { cause: error });
      case '22021':
      case '22P05':
        return new InvalidArgumentError(
          `Stream ${JSON.stringify(streamName)}: an event's text cannot be stored in PostgreSQL (a NUL character ` +
            `or invalid UTF-8): ${error.message}`,
          { cause: error },
        );
      default:
        return error;
    }
  }

  private allSlice(rows: AllRow[], found: number, maxCount: number): AllSlice {
    if (found === 0) return { events: [], isEnd: true };
    const count = Math.min(found, maxCount);
    const events = new Array<RecordedEvent>(count);
    for (let i = 0; i < count; i++) events[i] = toRecordedEvent(rows[i]!);
    return { events, isEnd: found <= maxCount };
  }

  private nameOf(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) this.names.set(text, (name = statementName(text)));
    return name;
  }

  /**
   * Wakes subscribers in other processes after a commit of this store: one `NOTIFY` at a time, coalesced (appends
   * while one is in flight get one more after it), each sent after the commits it stands for. Sending it inside the
   * append transaction instead would serialise every append's commit (PostgreSQL holds a cluster-wide lock from a
   * notifying transaction's pre-commit to its end, fsync included): measured 215 vs 1,800 events/s at 8 writers.
   */
  private announce(): void {
    if (!this.notifications || this.storageClosed) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = (async () => {
      do {
        this.notifyAgain = false;
        try {
          await this.db.query(
            { what: 'notify subscribers', write: false },
            this.sql.notify,
            undefined,
            this.nameOf(this.sql.notify),
          );
        } catch {
          // Subscribers poll (pollIntervalMs): a lost wake-up delays, never loses, an event.
        }
      } while (this.notifyAgain && !this.storageClosed);
      this.notifying = undefined;
    })();
  }

  // ---- horizon stalls --------------------------------------------------------------------------------------------

  /** A read was held back by the horizon: re-read soon, and warn when it lasts. */
  private horizonHeld(): void {
    const now = Date.now();
    this.heldSince ??= now;
    if (this.horizonRetry === undefined && !this.storageClosed) {
      const delay = this.horizonRetryDelay;
      this.horizonRetryDelay = Math.min(delay * 2, this.retryCeilingMs);
      this.horizonRetry = setTimeout(() => {
        this.horizonRetry = undefined;
        this.changes.notify();
      }, delay);
      this.horizonRetry.unref();
    }
    const stalledForMs = now - this.heldSince;
    if (stalledForMs >= this.stallWarningMs && now - this.lastStallWarning >= this.stallWarningMs) {
      this.lastStallWarning = now;
      void this.warnStall(stalledForMs);
    }
  }

  private horizonClear(): void {
    this.heldSince = undefined;
    this.horizonRetryDelay = 25;
  }

  private async warnStall(stalledForMs: number): Promise<void> {
    let blocking: BlockingTransaction | undefined;
    try {
      const rows = await this.db.query<{
        pid: number;
        age_ms: number;
        state: string | null;
        datname: string | null;
        usename: string | null;
        application_name: string | null;
        query: string | null;
      }>(
        { what: 'find the transaction holding $all readers back', write: false },
        'SELECT pid, (extract(epoch FROM now() - xact_start) * 1000)::float8 AS age_ms, state, datname, usename, ' +
          'application_name, left(query, 200) AS query FROM pg_stat_activity WHERE backend_xid IS NOT NULL ' +
          'ORDER BY age(backend_xid) DESC LIMIT 1',
      );
      const row = rows[0];
      if (row) {
        blocking = {
          pid: row.pid,
          ageMs: Math.round(row.age_ms),
          state: row.state,
          database: row.datname,
          user: row.usename,
          applicationName: row.application_name,
          query: row.query,
        };
      }
    } catch {
      // The warning still goes out, without the culprit.
    }
    const culprit = blocking
      ? `transaction of pid ${blocking.pid} (open ${Math.round(blocking.ageMs / 1000)} s, ${blocking.state ?? 'unknown state'}, ` +
        `database ${blocking.database ?? '?'}, application ${JSON.stringify(blocking.applicationName ?? '')})`
      : 'transaction (none visible in pg_stat_activity: a prepared transaction? see pg_prepared_xacts)';
    this.report({
      kind: 'read_stalled',
      message:
        `PostgresStreamStore (schema "${this.schema}"): $all readers held back for ${Math.round(stalledForMs / 1000)} s ` +
        `by an open ${culprit}; events committed after it started are delivered once it ends (never skipped)`,
      stalledForMs,
      ...(blocking ? { blocking } : {}),
    });
  }

  private report(warning: PostgresStoreWarning): void {
    try {
      this.onWarning(warning);
    } catch {
      emitWarning(warning);
    }
  }

  // ---- LISTEN connection -----------------------------------------------------------------------------------------

  private startListener(): void {
    if (!this.notifications || this.listenerStarted) return;
    this.listenerStarted = true;
    void this.connectListener();
  }

  private async connectListener(): Promise<void> {
    if (this.storageClosed) return;
    const { Client: ClientClass } = loadPg();
    const client = new ClientClass({
      ...this.db.clientConfig,
      application_name: `reactive-domain listener ${this.schema}`,
      keepAlive: true,
    });
    this.listenerClient = client;
    let lost = false;
    const onLost = (cause?: unknown): void => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.listenerClient === client) this.listenerClient = undefined;
      if (this.storageClosed) return;
      // Notifications sent while the connection was down are lost: re-read now, then poll until it is back.
      this.changes.notify();
      if (this.listenerWasUp) {
        this.listenerWasUp = false;
        this.report({
          kind: 'listener_lost',
          message: `PostgresStreamStore (schema "${this.schema}"): the LISTEN connection was lost; reconnecting, subscriptions poll meanwhile`,
          cause,
        });
      }
      const delay = Math.min(100 * 2 ** this.listenerAttempts++, 5_000);
      this.listenerTimer = setTimeout(() => void this.connectListener(), delay);
      this.listenerTimer.unref();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', () => this.changes.notify());
    try {
      await client.connect();
      await client.query(`LISTEN "${notificationChannel(this.schema)}"`);
      if (lost || this.storageClosed) {
        if (this.storageClosed) await client.end().catch(() => undefined);
        return;
      }
      this.listenerAttempts = 0;
      this.listenerWasUp = true;
      this.changes.notify(); // an append may have committed while the connection was being set up
    } catch (error) {
      onLost(error);
    }
  }
}

function appendWhat(streamName: string): string {
  return `append to stream ${JSON.stringify(streamName)}`;
}

function isOrderConflict(error: unknown): boolean {
  return error instanceof PostgresQueryError && error.sqlState === 'RD003';
}

function positiveOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw new InvalidArgumentError(
    `PostgresStreamStore: ${name} must be a positive number, got ${describeValue(value)}`,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function emitWarning(warning: PostgresStoreWarning): void {
  logSafely(
    'warn',
    {
      type: 'PostgresStoreWarning',
      code: warning.kind === 'read_stalled' ? 'RD_PG_READ_STALLED' : 'RD_PG_LISTENER_LOST',
      kind: warning.kind,
    },
    warning.message,
  );
}
