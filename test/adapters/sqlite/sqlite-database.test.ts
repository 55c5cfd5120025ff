/**
 * Opening and failing: migrations, files that are not ours, read-only databases, a full disk. Each failure is a
 * typed error with a stable code, and nothing is half-written.
 */
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  SqliteCorruptError,
  SqliteDatabase,
  SqliteDiskFullError,
  SqliteForeignSchemaError,
  SqliteNotADatabaseError,
  SqliteReadOnlyError,
  SqliteSchemaTooNewError,
  SqliteStreamStore,
} from '../../../src/adapters/sqlite';
import { InvalidArgumentError } from '../../../src/core/reactive-domain.error';
import { newId } from '../../../src/core/id';

const anEvent = (data = '{}') => ({ eventId: newId(), type: 'Tested', data, metadata: '{}' });
const hashOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function failureOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('SqliteDatabase', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-db-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fileNamed = (name: string) => join(dir, `${name}-${newId()}.sqlite`);

  it('creates the schema once: WAL, FULL by default, NORMAL on request, migrations recorded and idempotent', () => {
    const file = fileNamed('fresh');
    const first = SqliteDatabase.open(file);
    expect(first.schemaVersion).toBe(2);
    expect(first.connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.connection.pragma('synchronous', { simple: true })).toBe(2); // FULL
    first.close();
    const second = SqliteDatabase.open({ path: file, synchronous: 'NORMAL' });
    expect(second.connection.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(
      second.connection.prepare('SELECT version FROM rd_schema_migrations ORDER BY version').all(),
    ).toEqual([{ version: 1 }, { version: 2 }]);
    second.close();
    second.close(); // idempotent
  });

  it('upgrades a version-1 file in place: the inbox and outbox tables are added, the events kept', () => {
    const file = fileNamed('v1');
    SqliteDatabase.open(file).close();
    // Take the file back to what version 1 created.
    const raw = new Database(file);
    raw.exec('DROP TABLE rd_inbox; DROP TABLE rd_outbox; DELETE FROM rd_schema_migrations WHERE version = 2');
    raw.exec(
      "INSERT INTO rd_events (stream_name, revision, event_id, type, data, metadata, created) VALUES ('kept-1', 0, 'e', 'T', '{}', '{}', 0)",
    );
    raw.close();
    const upgraded = SqliteDatabase.open(file);
    try {
      expect(upgraded.schemaVersion).toBe(2);
      const tables = upgraded.connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('rd_inbox', 'rd_outbox')")
        .pluck()
        .all();
      expect(tables.sort()).toEqual(['rd_inbox', 'rd_outbox']);
      expect(upgraded.connection.prepare('SELECT count(*) FROM rd_events').pluck().get()).toBe(1);
    } finally {
      upgraded.close();
    }
  });

  it('refuses bad options with InvalidArgumentError', () => {
    expect(() => SqliteDatabase.open({ path: '' })).toThrow(InvalidArgumentError);
    expect(() => SqliteDatabase.open({ path: ':memory:', synchronous: 'OFF' as 'FULL' })).toThrow(
      /synchronous/,
    );
    expect(() => SqliteDatabase.open({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
  });

  it('a file that is not a database: SqliteNotADatabaseError, file untouched', () => {
    const file = fileNamed('text');
    writeFileSync(file, 'this is a text file, not a database\n'.repeat(200));
    const before = hashOf(file);
    const error = failureOf(() => SqliteDatabase.open(file));
    expect(error).toBeInstanceOf(SqliteNotADatabaseError);
    expect(error).toMatchObject({ code: 'SQLITE_NOT_A_DATABASE', sqliteCode: 'SQLITE_NOTADB', path: file });
    expect(hashOf(file)).toBe(before);
  });

  it("another application's tables under our names: SqliteForeignSchemaError, nothing created", () => {
    const file = fileNamed('foreign');
    const other = new Database(file);
    other.exec('CREATE TABLE rd_events (id INTEGER PRIMARY KEY, payload BLOB)');
    other.close();
    const before = hashOf(file);
    const error = failureOf(() => SqliteDatabase.open(file));
    expect(error).toBeInstanceOf(SqliteForeignSchemaError);
    expect(error).toMatchObject({ code: 'SQLITE_FOREIGN_SCHEMA' });
    expect((error as Error).message).toMatch(/rd_events/);
    expect(hashOf(file)).toBe(before);
  });

  it('user tables beside ours are fine (a durable read model keeps its tables in the same file)', () => {
    const file = fileNamed('shared');
    const other = new Database(file);
    other.exec('CREATE TABLE order_summaries (id TEXT PRIMARY KEY)');
    other.close();
    const database = SqliteDatabase.open(file);
    expect(database.schemaVersion).toBe(2);
    database.close();
  });

  it('a schema newer than the library: SqliteSchemaTooNewError before any write', () => {
    const file = fileNamed('newer');
    SqliteDatabase.open(file).close();
    const raw = new Database(file);
    raw
      .prepare('INSERT INTO rd_schema_migrations (version, description, applied_at) VALUES (?, ?, ?)')
      .run(99, 'from the future', Date.now());
    raw.pragma('journal_mode = DELETE'); // so the file's bytes are the whole database
    raw.close();
    const before = hashOf(file);
    const error = failureOf(() => SqliteDatabase.open(file));
    expect(error).toBeInstanceOf(SqliteSchemaTooNewError);
    expect(error).toMatchObject({ code: 'SQLITE_SCHEMA_TOO_NEW', found: 99, supported: 2 });
    expect(hashOf(file)).toBe(before); // not even switched to WAL
  });

  it('a corrupt file: SqliteCorruptError (typed, never a raw driver error)', async () => {
    const file = fileNamed('corrupt');
    const store = SqliteStreamStore.open(file);
    for (let i = 0; i < 200; i++)
      await store.appendToStream(`c-${i}`, 'no_stream', [anEvent('{"x":"' + 'y'.repeat(500) + '"}')]);
    await store.close();
    // Overwrite pages in the middle of the file (the event table's b-tree) with garbage.
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(16_384, 0xa5), 0, 16_384, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    let error: unknown;
    try {
      const reopened = SqliteStreamStore.open(file);
      try {
        await reopened.readAll({ maxCount: 1_000 });
        for (let i = 0; i < 200; i++) await reopened.readStream(`c-${i}`);
      } finally {
        await reopened.close();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqliteCorruptError);
    expect(error).toMatchObject({ code: 'SQLITE_CORRUPT' });
    expect((error as Error).message).toMatch(/corrupt/);
  });

  it('read-only: reads work, every write fails with SqliteReadOnlyError and writes nothing', async () => {
    const file = fileNamed('readonly');
    const writer = SqliteStreamStore.open(file);
    await writer.appendToStream('ro-1', 'no_stream', [anEvent()]);
    await writer.close();
    // Running as root ignores file permissions, so read-only is the driver's read-only open (the same SQLite
    // error, SQLITE_READONLY, as a read-only file or medium).
    const store = SqliteStreamStore.open(file, { readonly: true });
    try {
      const read = await store.readStream('ro-1');
      expect(read.status === 'ok' && read.lastRevision).toBe(0);
      const append = await store.appendToStream('ro-1', 0, [anEvent()]).catch((e: unknown) => e);
      expect(append).toBeInstanceOf(SqliteReadOnlyError);
      expect(append).toMatchObject({ code: 'SQLITE_READONLY' });
      expect((append as Error).message).toMatch(/append to "ro-1".*read-only/);
      await expect(store.deleteStream('ro-1', 0)).rejects.toBeInstanceOf(SqliteReadOnlyError);
      await expect(store.tombstoneStream('ro-1', 0)).rejects.toBeInstanceOf(SqliteReadOnlyError);
      const after = await store.readStream('ro-1');
      expect(after.status === 'ok' && after.lastRevision).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a file in a directory that does not exist: a typed error (SQLITE_CANTOPEN), not a TypeError', () => {
    const error = failureOf(() => SqliteDatabase.open(join(dir, 'no-such-dir', 'x.sqlite')));
    expect(error).toMatchObject({ code: 'SQLITE_FAILURE', sqliteCode: 'SQLITE_CANTOPEN' });
  });

  it('a missing file opened read-only fails with a typed error, creating nothing', () => {
    const file = fileNamed('missing');
    const error = failureOf(() => SqliteDatabase.open({ path: file, readonly: true }));
    expect(error).toMatchObject({ code: 'SQLITE_FAILURE', sqliteCode: 'SQLITE_CANTOPEN' });
    expect(() => statSync(file)).toThrow();
  });

  // The disk is simulated as full with PRAGMA max_page_count (the database may not grow past that many pages):
  // SQLite then fails the write with SQLITE_FULL exactly as on a full disk.
  it('a full disk: SqliteDiskFullError; the multi-event append is all-or-nothing; writes resume with space', async () => {
    const file = fileNamed('full');
    const store = SqliteStreamStore.open(file);
    try {
      await store.appendToStream('full-1', 'no_stream', [anEvent()]);
      const db = store.database.connection;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 4}`);
      const big = () => anEvent(JSON.stringify({ blob: 'z'.repeat(3_000) }));
      const error = await store
        .appendToStream('full-1', 0, Array.from({ length: 20 }, big))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SqliteDiskFullError);
      expect(error).toMatchObject({ code: 'SQLITE_FULL', sqliteCode: 'SQLITE_FULL' });
      const read = await store.readStream('full-1');
      expect(read.status === 'ok' && read.lastRevision).toBe(0);
      expect((await store.readAll()).events).toHaveLength(1);
      db.pragma('max_page_count = 1073741823');
      const resumed = await store.appendToStream('full-1', 0, Array.from({ length: 20 }, big));
      expect(resumed.nextExpectedVersion).toBe(20);
    } finally {
      await store.close();
    }
  });
});
