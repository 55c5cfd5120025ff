import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SqliteCheckpointStore,
  SqliteDatabase,
  SqliteSnapshotStore,
  SqliteStreamStore,
} from '../../../src/adapters/sqlite';
import { checkpointStoreContract, snapshotStoreContract, streamStoreContract } from '../../../src/testing';

streamStoreContract('SqliteStreamStore (:memory:)', async () => {
  const store = SqliteStreamStore.open(':memory:');
  return { store, dispose: () => store.close() };
});

// A real file in WAL mode with the default durability, as applications run it.
streamStoreContract('SqliteStreamStore (file, WAL, synchronous=FULL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-contract-'));
  const store = SqliteStreamStore.open(join(dir, 'events.sqlite'));
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

checkpointStoreContract('SqliteCheckpointStore', () => {
  const database = SqliteDatabase.open(':memory:');
  return { store: new SqliteCheckpointStore(database), dispose: async () => database.close() };
});

snapshotStoreContract('SqliteSnapshotStore', () => {
  const database = SqliteDatabase.open(':memory:');
  return { store: new SqliteSnapshotStore(database), dispose: async () => database.close() };
});
