import { join } from 'node:path';
import type { StreamStore } from '../persistence/stream-store';
import type { CheckpointStore } from '../foundation/subscriptions/checkpoint-store';
import { StoreAdapterUnavailableError, UnsupportedStoreUrlError } from './cli.errors';

/** A store the CLI opened, with what else its adapter offers. */
export interface OpenedStore {
  /** The stream store. */
  readonly store: StreamStore;
  /** The URL with any password hidden, for messages. */
  readonly label: string;
  /** The adapter's checkpoint store, when it has one (SQL stores). */
  readonly checkpoints?: CheckpointStore;
  /** Names of the models that have stored checkpoints, when the adapter can list them. */
  listCheckpointModels?(): Promise<string[]>;
  /** Creates or upgrades the store's schema; resolves to a one-line description of what was done. */
  migrate?(): Promise<string>;
  /** Closes the store and whatever it opened. */
  close(): Promise<void>;
}

/** URL schemes the CLI understands. */
export const STORE_URL_SCHEMES = [
  'sqlite:<file>',
  'postgres://…',
  'postgresql://…',
  'esdb://…',
  'esdb+discover://…',
  'kurrentdb://…',
  'kurrent://…',
] as const;

/** Hides a password in a URL (`//user:***@host`). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/**
 * Opens a store from a URL, loading only the adapter that URL needs:
 * - `sqlite:<file>` (or `sqlite://<file>`): `reactive-domain/sqlite` on that file (created and migrated if missing);
 * - `postgres://…` / `postgresql://…`: `reactive-domain/postgres` (a pool of its own; `?schema=` picks the schema);
 * - `esdb://…`, `esdb+discover://…`, `kurrentdb://…`, `kurrent://…`: `reactive-domain/eventstoredb`.
 * @throws UnsupportedStoreUrlError for another scheme; StoreAdapterUnavailableError when the adapter is absent.
 */
export async function openStoreUrl(url: string): Promise<OpenedStore> {
  const label = redactUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite':
      return openSqlite(url.replace(/^sqlite:(\/\/)?/i, ''), label);
    case 'postgres':
    case 'postgresql':
      return openPostgres(url, label);
    case 'esdb':
    case 'esdb+discover':
    case 'kurrentdb':
    case 'kurrentdb+discover':
    case 'kurrent':
    case 'kurrent+discover': {
      const { EventStoreDBStreamStore } = await import('../adapters/eventstoredb/index.js');
      const store = EventStoreDBStreamStore.fromConnectionString(url);
      return { store, label, close: () => store.close() };
    }
    default:
      throw new UnsupportedStoreUrlError(label, STORE_URL_SCHEMES);
  }
}

/** Loads an adapter folder that may not be part of this build (the SQL stores are separate adapters). */
function loadAdapter<T>(name: string): T {
  try {
    // A computed path: the CLI builds without these adapters, and loads them only for their URLs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(__dirname, '..', 'adapters', name)) as T;
  } catch (error) {
    if (
      (error as { code?: unknown }).code === 'MODULE_NOT_FOUND' &&
      String(error).includes(join('adapters', name))
    )
      throw new StoreAdapterUnavailableError(name, { cause: error });
    throw error;
  }
}

/** The parts of `reactive-domain/sqlite` the CLI uses. */
interface SqliteAdapter {
  SqliteDatabase: {
    open(options: { path: string }): SqliteDatabaseLike;
  };
  SqliteStreamStore: new (options: { database: SqliteDatabaseLike }) => StreamStore;
  SqliteCheckpointStore: new (database: SqliteDatabaseLike) => CheckpointStore;
}

interface SqliteDatabaseLike {
  readonly connection: { prepare(sql: string): { all(...args: unknown[]): unknown[] } };
  readonly schemaVersion?: number;
  close(): void;
}

async function openSqlite(path: string, label: string): Promise<OpenedStore> {
  if (path.length === 0) throw new UnsupportedStoreUrlError(label, STORE_URL_SCHEMES);
  const adapter = loadAdapter<SqliteAdapter>('sqlite');
  // Opening migrates: the file is created (or upgraded) as the stores need it.
  const database = adapter.SqliteDatabase.open({ path });
  const store = new adapter.SqliteStreamStore({ database });
  return {
    store,
    label,
    checkpoints: new adapter.SqliteCheckpointStore(database),
    listCheckpointModels: async () =>
      (
        database.connection
          .prepare('SELECT DISTINCT model FROM rd_checkpoints ORDER BY model')
          .all() as Array<{
          model: string;
        }>
      ).map((row) => row.model),
    migrate: async () =>
      `SQLite ${path}: schema ${database.schemaVersion === undefined ? 'up to date' : `version ${database.schemaVersion}`}`,
    close: async () => {
      await store.close();
      database.close();
    },
  };
}

/** The parts of `reactive-domain/postgres` the CLI uses. */
interface PostgresAdapter {
  PostgresStreamStore: new (options: PostgresOptions) => StreamStore;
  PostgresCheckpointStore: new (options: PostgresOptions) => CheckpointStore;
  migrate(options: PostgresOptions): Promise<{ schema: string; from: number; to: number }>;
  DEFAULT_SCHEMA: string;
}

interface PostgresOptions {
  readonly pool: PgPool;
  readonly schema: string;
}

interface PgPool {
  query(sql: string): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

async function openPostgres(url: string, label: string): Promise<OpenedStore> {
  const adapter = loadAdapter<PostgresAdapter>('postgres');
  // One pool for the stream store, the checkpoints and migrate; `?schema=` is ours, not libpq's.
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? adapter.DEFAULT_SCHEMA;
  parsed.searchParams.delete('schema');
  let pg: { Pool: new (config: { connectionString: string; max?: number }) => PgPool };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pg = require('pg') as typeof pg;
  } catch (error) {
    throw new StoreAdapterUnavailableError('postgres (the pg package is not installed)', { cause: error });
  }
  const pool = new pg.Pool({ connectionString: parsed.toString(), max: 4 });
  const options = { pool, schema };
  const store = new adapter.PostgresStreamStore(options);
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  return {
    store,
    label,
    checkpoints: new adapter.PostgresCheckpointStore(options),
    listCheckpointModels: async () =>
      (
        (await pool.query(`SELECT DISTINCT model FROM ${quoted}.checkpoints ORDER BY model`)).rows as Array<{
          model: string;
        }>
      ).map((row) => row.model),
    migrate: async () => {
      const result = await adapter.migrate(options);
      return result.from === result.to
        ? `PostgreSQL schema ${result.schema}: already at version ${result.to}`
        : `PostgreSQL schema ${result.schema}: migrated from version ${result.from} to ${result.to}`;
    },
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}
