import type BetterSqlite3 from 'better-sqlite3';
import {
  checkKeyVersion,
  checkSubject,
  newDataKey,
  type KeyStore,
  type SubjectKey,
} from '../../persistence/key-store';
import { KeyStoreError, SubjectForgottenError } from '../../persistence/personal-data.errors';
import type { SqliteDatabase } from './sqlite-database';

/**
 * A {@link KeyStore} in SQLite: tables `rd_subjects` and `rd_subject_keys`, created on first use (`CREATE TABLE IF
 * NOT EXISTS`) in the given database. Prefer a database file of its own (`new SqliteDatabase({ path: 'keys.db' })`):
 * a copy of the event database then holds no readable personal data. Every operation is one immediate transaction
 * (SQLite has one writer), so a key is never created for a subject being forgotten.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly statements: {
    readonly newest: BetterSqlite3.Statement<[string], { version: number; key: Buffer }>;
    readonly version: BetterSqlite3.Statement<[string, number], { version: number; key: Buffer }>;
    readonly forgotten: BetterSqlite3.Statement<[string], { forgotten: number }>;
    readonly addSubject: BetterSqlite3.Statement<[string]>;
    readonly insertKey: BetterSqlite3.Statement<[string, number, Buffer]>;
    readonly markForgotten: BetterSqlite3.Statement<[string, number]>;
    readonly deleteKeys: BetterSqlite3.Statement<[string]>;
  };

  constructor(
    /** The database holding the keys. */
    readonly database: SqliteDatabase,
  ) {
    this.statements = database.writeTransaction('create the key store tables', (db) => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS rd_subjects (subject TEXT PRIMARY KEY, forgotten_at INTEGER) STRICT; ' +
          'CREATE TABLE IF NOT EXISTS rd_subject_keys (subject TEXT NOT NULL REFERENCES rd_subjects (subject), ' +
          'version INTEGER NOT NULL CHECK (version >= 1), key BLOB NOT NULL CHECK (length(key) = 32), ' +
          'PRIMARY KEY (subject, version)) STRICT',
      );
      return {
        newest: db.prepare(
          'SELECT version, key FROM rd_subject_keys WHERE subject = ? ORDER BY version DESC LIMIT 1',
        ),
        version: db.prepare('SELECT version, key FROM rd_subject_keys WHERE subject = ? AND version = ?'),
        forgotten: db.prepare(
          'SELECT forgotten_at IS NOT NULL AS forgotten FROM rd_subjects WHERE subject = ?',
        ),
        addSubject: db.prepare(
          'INSERT INTO rd_subjects (subject) VALUES (?) ON CONFLICT (subject) DO NOTHING',
        ),
        insertKey: db.prepare('INSERT INTO rd_subject_keys (subject, version, key) VALUES (?, ?, ?)'),
        markForgotten: db.prepare(
          'INSERT INTO rd_subjects (subject, forgotten_at) VALUES (?, ?) ' +
            'ON CONFLICT (subject) DO UPDATE SET forgotten_at = coalesce(forgotten_at, excluded.forgotten_at)',
        ),
        deleteKeys: db.prepare('DELETE FROM rd_subject_keys WHERE subject = ?'),
      };
    });
  }

  /** The newest key of `subject`, creating version 1 if it has none; `SubjectForgottenError` when forgotten. */
  async currentKey(subject: string): Promise<SubjectKey> {
    checkSubject(subject, 'SqliteKeyStore.currentKey');
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    return this.database.writeTransaction('get or create a data key', () => {
      this.assertNotForgotten(subject);
      const row = this.statements.newest.get(subject);
      return row === undefined ? this.insert(subject, 1) : toKey(subject, row);
    });
  }

  /** Version `version` of `subject`'s key, or undefined when not held (forgotten, or never created). */
  async key(subject: string, version: number): Promise<SubjectKey | undefined> {
    checkSubject(subject, 'SqliteKeyStore.key');
    checkKeyVersion(version, 'SqliteKeyStore.key');
    const row = this.database.read('read a data key', () => this.statements.version.get(subject, version));
    return row === undefined ? undefined : toKey(subject, row);
  }

  /** True when the subject was forgotten. */
  async isForgotten(subject: string): Promise<boolean> {
    checkSubject(subject, 'SqliteKeyStore.isForgotten');
    return this.database.read(
      'check a subject',
      () => this.statements.forgotten.get(subject)?.forgotten === 1,
    );
  }

  /** Adds a key version for `subject`; `SubjectForgottenError` when forgotten. */
  async rotate(subject: string): Promise<SubjectKey> {
    checkSubject(subject, 'SqliteKeyStore.rotate');
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    return this.database.writeTransaction('rotate a data key', () => {
      this.assertNotForgotten(subject);
      return this.insert(subject, (this.statements.newest.get(subject)?.version ?? 0) + 1);
    });
  }

  /** Deletes every key version of `subject` for good and marks it forgotten. Idempotent. */
  async forget(subject: string): Promise<void> {
    checkSubject(subject, 'SqliteKeyStore.forget');
    while (this.database.hasOpenAsyncTransaction) await this.database.whenWritable();
    this.database.writeTransaction('forget a subject', () => {
      this.statements.markForgotten.run(subject, Date.now());
      this.statements.deleteKeys.run(subject);
    });
  }

  private assertNotForgotten(subject: string): void {
    if (this.statements.forgotten.get(subject)?.forgotten === 1)
      throw new SubjectForgottenError('(SqliteKeyStore)', subject);
  }

  private insert(subject: string, version: number): SubjectKey {
    const key = newDataKey();
    this.statements.addSubject.run(subject);
    this.statements.insertKey.run(subject, version, Buffer.from(key));
    return Object.freeze({ subject, version, key });
  }
}

function toKey(subject: string, row: { version: number; key: Buffer }): SubjectKey {
  const key = new Uint8Array(row.key);
  if (key.length !== 32) throw new KeyStoreError(`A stored data key has ${key.length} bytes instead of 32`);
  return Object.freeze({ subject, version: Number(row.version), key });
}
