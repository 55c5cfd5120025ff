import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStreamStore } from '../../../src/adapters/sqlite';
import { describeStreamStoreContract } from '../../contract/stream-store.contract';

describeStreamStoreContract('SqliteStreamStore (:memory:)', async () => {
  const store = SqliteStreamStore.open(':memory:');
  return { store, dispose: () => store.close() };
});

// A real file in WAL mode with the default durability, as applications run it.
describeStreamStoreContract('SqliteStreamStore (file, WAL, synchronous=FULL)', async () => {
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
