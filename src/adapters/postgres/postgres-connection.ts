import type * as PgPackage from 'pg';
import type { ClientConfig, Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import { InvalidArgumentError, ReactiveDomainError, describeValue } from '../../core/reactive-domain.error';
import { StoreUnavailableError } from '../../persistence/stream-store.errors';
import {
  PgPackageMissingError,
  PostgresAccessDeniedError,
  PostgresQueryError,
  PostgresUnavailableError,
  type PostgresUnavailableReason,
} from './postgres.errors';
import { assertSchemaName, DEFAULT_SCHEMA } from './postgres-schema-name';

type PgModule = typeof PgPackage;
let pgModule: PgModule | undefined;

/**
 * Loads the optional peer `pg` on first use, so importing `reactive-domain/postgres` never fails when it is absent
 * (only connecting does, with {@link PgPackageMissingError}).
 */
export function loadPg(): PgModule {
  if (pgModule) return pgModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pgModule = require('pg') as PgModule;
  } catch (error) {
    throw new PgPackageMissingError({ cause: error });
  }
  return pgModule;
}

/**
 * How the PostgreSQL stores reach the database: your own `pg.Pool` (so the store's writes can share your
 * transactions, see `appendInTransaction`) or a connection string (the store then owns a pool and ends it on
 * `close()`). Every request has a deadline.
 */
export interface PostgresConnectionOptions {
  /** Your pool. The store never ends it. Set `statement_timeout` on it for a server-side deadline. */
  readonly pool?: Pool;
  /** A `postgres://` URL; the store creates (and owns) a pool. Ignored when `pool` is given. */
  readonly connectionString?: string;
  /** Extra settings for the pool the store creates from `connectionString` (e.g. `max`, `ssl`). */
  readonly poolConfig?: Omit<PoolConfig, 'connectionString'>;
  /** The schema holding the tables (default `reactive_domain`). A plain lower-case identifier, validated. */
  readonly schema?: string;
  /**
   * Server-side deadline of every statement on a pool the store creates (`statement_timeout`), milliseconds.
   * Default 15,000.
   */
  readonly statementTimeoutMs?: number;
  /**
   * Client-side deadline of every query, on any pool (pg's `query_timeout`): when it passes, the connection is
   * discarded and the call fails with `PostgresUnavailableError` (`query_timeout`). Default 30,000.
   */
  readonly queryTimeoutMs?: number;
  /** Deadline for opening a connection (pg's `connectionTimeoutMillis` on a created pool). Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** Deadline for getting a connection from the pool (busy pool: `pool_exhausted`). Default 10,000. */
  readonly acquireTimeoutMs?: number;
}

/** A pg query config with the per-query client deadline pg supports at run time. */
interface TimedQuery {
  readonly text: string;
  readonly values?: unknown[];
  readonly name?: string;
  readonly query_timeout?: number;
}

/** What a failed request was doing, for error messages and outcome reporting. */
export interface RequestContext {
  /** E.g. `append to stream "order-1"`. */
  readonly what: string;
  /** True for writes: a broken connection leaves the outcome unknown. */
  readonly write: boolean;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw new InvalidArgumentError(
    `PostgreSQL ${name} must be a positive number of milliseconds, got ${describeValue(value)}`,
  );
}

/**
 * The connection layer shared by the PostgreSQL stores: pool ownership, deadlines on acquire and on every query,
 * and one mapping of driver and server failures to typed errors. Internal to the adapter.
 * @internal
 */
export class PostgresConnection {
  readonly pool: Pool;
  readonly schema: string;
  readonly queryTimeoutMs: number;
  readonly acquireTimeoutMs: number;
  /** Config for dedicated connections (the LISTEN connection), same server and credentials as the pool. */
  readonly clientConfig: ClientConfig;
  private readonly ownsPool: boolean;
  private ended: Promise<void> | undefined;

  constructor(options: PostgresConnectionOptions, owner: string) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError(`${owner}: options must be an object with a pool or a connectionString`);
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    assertSchemaName(this.schema);
    const statementTimeoutMs = positive(options.statementTimeoutMs, 'statementTimeoutMs', 15_000);
    this.queryTimeoutMs = positive(options.queryTimeoutMs, 'queryTimeoutMs', 30_000);
    const connectTimeoutMs = positive(options.connectTimeoutMs, 'connectTimeoutMs', 5_000);
    this.acquireTimeoutMs = positive(options.acquireTimeoutMs, 'acquireTimeoutMs', 10_000);
    if (options.pool !== undefined) {
      if (typeof options.pool?.connect !== 'function')
        throw new InvalidArgumentError(
          `${owner}: pool must be a pg.Pool, got ${describeValue(options.pool)}`,
        );
      this.pool = options.pool;
      this.ownsPool = false;
      this.clientConfig = {
        ...(options.pool.options as ClientConfig),
        connectionTimeoutMillis: connectTimeoutMs,
      };
    } else {
      const connectionString = options.connectionString;
      if (typeof connectionString !== 'string' || connectionString.length === 0) {
        throw new InvalidArgumentError(
          `${owner}: give either a pg.Pool (pool) or a connection string (connectionString)`,
        );
      }
      const { Pool: PoolClass } = loadPg();
      const config: PoolConfig = {
        max: 10,
        ...options.poolConfig,
        connectionString,
        statement_timeout: statementTimeoutMs,
        connectionTimeoutMillis: connectTimeoutMs,
        keepAlive: true,
      };
      this.pool = new PoolClass(config);
      // An idle pooled client that loses its connection emits 'error' on the pool; without a listener Node would
      // crash the process. The client is discarded by the pool; the next request opens a new one.
      this.pool.on('error', () => undefined);
      this.ownsPool = true;
      this.clientConfig = { ...config };
    }
  }

  /** Schema-qualified, quoted name of a table or function. */
  name(object: string): string {
    return `"${this.schema}".${object}`;
  }

  /** Runs one query on a pooled connection (autocommit). */
  async query<R extends QueryResultRow>(
    context: RequestContext,
    text: string,
    values?: unknown[],
    name?: string,
  ): Promise<R[]> {
    return this.withClient(context, (client) => this.run<R>(client, context, text, values, name));
  }

  /** Runs one query on `client` with the client-side deadline; failures are mapped to typed errors. */
  async run<R extends QueryResultRow>(
    client: PoolClient | PgPackage.ClientBase,
    context: RequestContext,
    text: string,
    values?: unknown[],
    name?: string,
  ): Promise<R[]> {
    const config: TimedQuery = { text, values, name, query_timeout: this.queryTimeoutMs };
    try {
      const result = await client.query<R>(config as PgPackage.QueryConfig);
      return result.rows;
    } catch (error) {
      throw this.mapError(error, context);
    }
  }

  /**
   * Lends a pooled connection to `work` and returns it. A connection that failed at the connection level (broken,
   * timed out) is discarded rather than returned to the pool.
   */
  async withClient<T>(context: RequestContext, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.acquire(context);
    // A checked-out client whose connection drops emits 'error'; unheard, that would crash the process.
    let broken: Error | undefined;
    const onError = (error: Error): void => void (broken ??= error);
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      if (isConnectionLevel(error)) broken ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** Runs `work` in a transaction on one connection: commits when it resolves, rolls back when it rejects. */
  async transaction<T>(context: RequestContext, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.acquire(context);
    let broken: Error | undefined;
    const onError = (error: Error): void => void (broken ??= error);
    client.on('error', onError);
    try {
      await this.run(client, context, 'BEGIN');
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        if (isConnectionLevel(error)) throw error;
        // The connection is fine (a handler or a statement failed): roll back and keep it, unless that fails too.
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
      await this.run(client, context, 'COMMIT');
      return result;
    } catch (error) {
      if (broken === undefined && isConnectionLevel(error))
        broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** Ends the pool if the store created it. Idempotent. */
  end(): Promise<void> {
    this.ended ??= this.ownsPool ? this.pool.end().catch(() => undefined) : Promise.resolve();
    return this.ended;
  }

  private async acquire(context: RequestContext): Promise<PoolClient> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const pending = this.pool.connect();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(this.acquireTimeout(context));
      }, this.acquireTimeoutMs);
    });
    try {
      return await Promise.race([pending, deadline]);
    } catch (error) {
      if (timedOut) {
        // The pool may still hand a connection over later: give it straight back.
        pending.then(
          (client) => client.release(),
          () => undefined,
        );
        throw error;
      }
      if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
        throw this.acquireTimeout(context, error);
      }
      throw this.mapError(error, { ...context, write: false });
    } finally {
      clearTimeout(timer);
    }
  }

  private acquireTimeout(context: RequestContext, cause?: unknown): PostgresUnavailableError {
    const { totalCount, waitingCount } = this.pool;
    const max = this.pool.options?.max ?? 10;
    if (totalCount >= max && waitingCount > 0) {
      return new PostgresUnavailableError(
        'pool_exhausted',
        `${context.what}: no pooled PostgreSQL connection became free within ${this.acquireTimeoutMs} ms ` +
          `(all ${totalCount} in use, ${waitingCount} waiting); nothing was sent`,
        false,
        { cause },
      );
    }
    return new PostgresUnavailableError(
      'connect_timeout',
      `${context.what}: could not open a PostgreSQL connection in time; nothing was sent`,
      false,
      { cause },
    );
  }

  /** Maps a driver or server failure to a typed error (errors of this library pass through). */
  mapError(error: unknown, context: RequestContext): Error {
    if (error instanceof PostgresUnavailableError || error instanceof PostgresAccessDeniedError) return error;
    const err = error as { code?: unknown; message?: unknown; errno?: unknown };
    const sqlState = typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
    const message = typeof err?.message === 'string' ? err.message : String(error);
    const unknownOutcome = context.write;
    const unavailable = (reason: PostgresUnavailableReason, detail: string, outcomeUnknown: boolean): Error =>
      new PostgresUnavailableError(
        reason,
        `${context.what}: ${detail}${outcomeUnknown ? OUTCOME_UNKNOWN : context.write ? NOTHING_WRITTEN : ''}`,
        outcomeUnknown,
        { cause: error },
      );
    if (sqlState !== undefined) {
      if (sqlState === '28P01' || sqlState === '28000' || sqlState === '42501')
        return new PostgresAccessDeniedError(
          `${context.what}: PostgreSQL refused access (${message})`,
          sqlState,
          {
            cause: error,
          },
        );
      if (sqlState === '57014')
        return unavailable('statement_timeout', `the server cancelled the statement (${message})`, false);
      if (sqlState === '57P01' || sqlState === '57P02' || sqlState.startsWith('08'))
        return unavailable('connection_lost', `the connection was terminated (${message})`, unknownOutcome);
      if (sqlState === '53300' || sqlState === '57P03')
        return unavailable('server_busy', `the server refuses connections (${message})`, false);
      if (sqlState === '40001' || sqlState === '40P01')
        return unavailable('transaction_conflict', `${message}; the transaction was rolled back`, false);
      return new PostgresQueryError(`${context.what} failed: ${message} (SQLSTATE ${sqlState})`, sqlState, {
        cause: error,
      });
    }
    const code = typeof err?.code === 'string' ? err.code : '';
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH')
      return unavailable('connection_refused', `cannot connect to PostgreSQL (${message})`, false);
    if (/Query read timeout/i.test(message))
      return unavailable('query_timeout', `no answer within ${this.queryTimeoutMs} ms`, unknownOutcome);
    if (/connection timeout|timeout expired/i.test(message))
      return unavailable(
        'connect_timeout',
        `could not open a PostgreSQL connection in time (${message})`,
        false,
      );
    if (
      code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      /Connection terminated|not queryable|Client has encountered a connection error|ended/i.test(message)
    )
      return unavailable('connection_lost', `the connection broke (${message})`, unknownOutcome);
    return new PostgresQueryError(`${context.what} failed: ${message}`, undefined, { cause: error });
  }
}

/**
 * What every PostgreSQL store does before a request: refuse it once the store is closed
 * ({@link StoreUnavailableError}), and run a one-time `check` (the schema version, the key store's tables) before its
 * first request, again after a failure (e.g. once `migrate()` has run). Internal to the adapter.
 * @internal
 */
export class StoreReadiness {
  private ready: Promise<void> | undefined;
  private isClosed = false;

  constructor(
    private readonly owner: string,
    private readonly check: () => Promise<void>,
  ) {}

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Later {@link ensure} calls reject with {@link StoreUnavailableError}. */
  close(): void {
    this.isClosed = true;
  }

  /** Resolves once the check passed (run once; again after a failure). */
  ensure(): Promise<void> {
    if (this.isClosed) return Promise.reject(new StoreUnavailableError(`${this.owner} is closed`));
    this.ready ??= this.check().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

const OUTCOME_UNKNOWN =
  '; the write may or may not have committed (it is all or nothing): read the stream to find out';
const NOTHING_WRITTEN = '; nothing was written';

/** True when the connection itself failed (it must not go back to the pool). */
function isConnectionLevel(error: unknown): boolean {
  if (error instanceof PostgresUnavailableError) {
    return (
      error.reason === 'connection_lost' ||
      error.reason === 'query_timeout' ||
      error.reason === 'connection_refused'
    );
  }
  if (error instanceof ReactiveDomainError) return false;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code === '57P01' || code === '57P02';
    return ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(code);
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|Query read timeout|not queryable|connection error/i.test(message)
  );
}
