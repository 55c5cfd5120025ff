import type { PoolClient } from 'pg';
import { KeyStoreError, SubjectForgottenError } from '../../persistence/personal-data.errors';
import {
  checkKeyVersion,
  checkSubject,
  newDataKey,
  type KeyStore,
  type SubjectKey,
} from '../../persistence/key-store';
import { PostgresConnection, StoreReadiness, type PostgresConnectionOptions } from './postgres-connection';

interface KeyRow {
  version: number;
  key: Buffer;
}

/**
 * A {@link KeyStore} in PostgreSQL: tables `subjects` (one row per subject, `forgotten_at` once forgotten) and
 * `subject_keys` (one row per key version), created on first use in the connection's schema (`CREATE TABLE IF NOT
 * EXISTS`: no migration step needed; keep them in a different database from the events if you can, so a copy of the
 * events alone holds no readable personal data). Creating a key and forgetting a subject lock the subject's row, so
 * a key is never created for a subject being forgotten, even across processes. Keys are stored as they are: protect
 * the table (privileges, encryption at rest) as you would any secret.
 */
export class PostgresKeyStore implements KeyStore {
  /** The schema holding the tables. */
  readonly schema: string;
  private readonly db: PostgresConnection;
  private readonly readiness: StoreReadiness;

  constructor(options: PostgresConnectionOptions) {
    this.db = new PostgresConnection(options, 'PostgresKeyStore');
    this.schema = this.db.schema;
    this.readiness = new StoreReadiness('PostgresKeyStore', () => this.createTables());
  }

  /** The newest key of `subject`, creating version 1 if it has none; `SubjectForgottenError` when forgotten. */
  async currentKey(subject: string): Promise<SubjectKey> {
    checkSubject(subject, 'PostgresKeyStore.currentKey');
    await this.readiness.ensure();
    return this.db.transaction({ what: 'get or create a data key', write: true }, async (client) => {
      await this.lockSubject(client, subject);
      const [row] = await this.db.run<KeyRow>(
        client,
        { what: 'read the newest data key', write: false },
        `SELECT version, key FROM ${this.db.name('subject_keys')} WHERE subject = $1 ORDER BY version DESC LIMIT 1`,
        [subject],
      );
      if (row !== undefined) return toKey(subject, row);
      return this.insertKey(client, subject, 1);
    });
  }

  /** Version `version` of `subject`'s key, or undefined when not held (forgotten, or never created). */
  async key(subject: string, version: number): Promise<SubjectKey | undefined> {
    checkSubject(subject, 'PostgresKeyStore.key');
    checkKeyVersion(version, 'PostgresKeyStore.key');
    await this.readiness.ensure();
    const [row] = await this.db.query<KeyRow>(
      { what: 'read a data key', write: false },
      `SELECT version, key FROM ${this.db.name('subject_keys')} WHERE subject = $1 AND version = $2`,
      [subject, version],
    );
    return row === undefined ? undefined : toKey(subject, row);
  }

  /** True when the subject was forgotten. */
  async isForgotten(subject: string): Promise<boolean> {
    checkSubject(subject, 'PostgresKeyStore.isForgotten');
    await this.readiness.ensure();
    const rows = await this.db.query(
      { what: 'check whether a subject was forgotten', write: false },
      `SELECT 1 FROM ${this.db.name('subjects')} WHERE subject = $1 AND forgotten_at IS NOT NULL`,
      [subject],
    );
    return rows.length > 0;
  }

  /** Adds a key version for `subject`; `SubjectForgottenError` when forgotten. */
  async rotate(subject: string): Promise<SubjectKey> {
    checkSubject(subject, 'PostgresKeyStore.rotate');
    await this.readiness.ensure();
    return this.db.transaction({ what: 'rotate a data key', write: true }, async (client) => {
      await this.lockSubject(client, subject);
      const [row] = await this.db.run<{ version: number | null }>(
        client,
        { what: 'read the newest key version', write: false },
        `SELECT max(version) AS version FROM ${this.db.name('subject_keys')} WHERE subject = $1`,
        [subject],
      );
      return this.insertKey(client, subject, (row?.version ?? 0) + 1);
    });
  }

  /** Deletes every key version of `subject` for good and marks it forgotten. Idempotent. */
  async forget(subject: string): Promise<void> {
    checkSubject(subject, 'PostgresKeyStore.forget');
    await this.readiness.ensure();
    await this.db.transaction({ what: 'forget a subject', write: true }, async (client) => {
      await this.db.run(
        client,
        { what: 'mark the subject forgotten', write: true },
        `INSERT INTO ${this.db.name('subjects')} (subject, forgotten_at) VALUES ($1, now()) ` +
          'ON CONFLICT (subject) DO UPDATE SET forgotten_at = coalesce(subjects.forgotten_at, now())',
        [subject],
      );
      await this.db.run(
        client,
        { what: 'delete the data keys', write: true },
        `DELETE FROM ${this.db.name('subject_keys')} WHERE subject = $1`,
        [subject],
      );
    });
  }

  /** Ends the pool it created (a pool passed in is left open). */
  async close(): Promise<void> {
    this.readiness.close();
    await this.db.end();
  }

  /** Creates the subject's row if needed and locks it; throws when the subject was forgotten. */
  private async lockSubject(client: PoolClient, subject: string): Promise<void> {
    await this.db.run(
      client,
      { what: 'register a subject', write: true },
      `INSERT INTO ${this.db.name('subjects')} (subject) VALUES ($1) ON CONFLICT (subject) DO NOTHING`,
      [subject],
    );
    const [row] = await this.db.run<{ forgotten: boolean }>(
      client,
      { what: 'lock a subject', write: false },
      `SELECT forgotten_at IS NOT NULL AS forgotten FROM ${this.db.name('subjects')} WHERE subject = $1 FOR UPDATE`,
      [subject],
    );
    if (row?.forgotten) throw new SubjectForgottenError('(PostgresKeyStore)', subject);
  }

  private async insertKey(client: PoolClient, subject: string, version: number): Promise<SubjectKey> {
    const key = newDataKey();
    await this.db.run(
      client,
      { what: 'store a data key', write: true },
      `INSERT INTO ${this.db.name('subject_keys')} (subject, version, key) VALUES ($1, $2, $3)`,
      [subject, version, Buffer.from(key)],
    );
    return Object.freeze({ subject, version, key });
  }

  /** Creates the schema and the tables if missing (once, before the first request). */
  private async createTables(): Promise<void> {
    await this.db.query(
      { what: 'create the key store tables', write: true },
      `CREATE SCHEMA IF NOT EXISTS "${this.schema}"; ` +
        `CREATE TABLE IF NOT EXISTS ${this.db.name('subjects')} (subject text PRIMARY KEY, forgotten_at timestamptz); ` +
        `CREATE TABLE IF NOT EXISTS ${this.db.name('subject_keys')} (subject text NOT NULL REFERENCES ${this.db.name('subjects')} (subject), ` +
        'version integer NOT NULL CHECK (version >= 1), key bytea NOT NULL CHECK (length(key) = 32), PRIMARY KEY (subject, version))',
    );
  }
}

function toKey(subject: string, row: KeyRow): SubjectKey {
  const key = new Uint8Array(row.key);
  if (key.length !== 32) throw new KeyStoreError(`A stored data key has ${key.length} bytes instead of 32`);
  return Object.freeze({ subject, version: Number(row.version), key });
}
