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

describe('SqliteKeyStore beside asynchronous transactions on its database', () => {
  it('a key is committed on its own, never inside a transaction that opened while it waited (and rolls back)', async () => {
    const shared = SqliteDatabase.open(':memory:');
    try {
      const keys = new SqliteKeyStore(shared);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const fail = async (): Promise<never> => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('later transaction failed');
      };
      const first = shared.asyncWriteTransaction('first', () => gate);
      // Opens the moment the first one ends, in the turn where the key store's wait for it ends too.
      const later = first.then(() => shared.asyncWriteTransaction('later', fail));
      const key = keys.currentKey('subject-1');
      release();
      await expect(later).rejects.toThrow('later transaction failed');
      const created = await key;
      expect(await keys.key('subject-1', created.version)).toEqual(created);
    } finally {
      shared.close();
    }
  });
});
