import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase, SqliteKeyStore } from '../../../src/adapters/sqlite';
import { keyStoreContract } from '../../../src/testing';

// A key database of its own (not the events' file), in WAL mode as applications run it.
const dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-keys-'));
let database: SqliteDatabase | undefined;
keyStoreContract('SqliteKeyStore (file)', {
  create: () => {
    const opened = SqliteDatabase.open(join(dir, 'keys.sqlite'));
    database = opened;
    return new SqliteKeyStore(opened);
  },
  cleanup: async () => {
    database?.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
