/**
 * The checkpoint and snapshot contracts on PostgreSQL (the stream store's runner is
 * test/adapters/postgres/postgres-stream-store.contract.int.test.ts). Each suite gets its own migrated schema and
 * drops it afterwards. Skips with one line without a server (REQUIRE_POSTGRES=1 makes that a failure).
 */
import { PostgresCheckpointStore, PostgresSnapshotStore } from '../../src/adapters/postgres';
import { checkpointStoreContract, snapshotStoreContract } from '../../src/testing';
import { freshSchema } from '../adapters/postgres/pg-test-support';
import { describeWithServer, serverUrl } from '../support/servers';

describeWithServer('postgres', 'PostgreSQL checkpoint and snapshot stores', () => {
  checkpointStoreContract('PostgresCheckpointStore', async () => {
    const { schema, drop } = await freshSchema();
    const store = new PostgresCheckpointStore({ connectionString: serverUrl('postgres'), schema });
    return {
      store,
      dispose: async () => {
        await store.close();
        await drop();
      },
    };
  });

  snapshotStoreContract('PostgresSnapshotStore', async () => {
    const { schema, drop } = await freshSchema();
    const store = new PostgresSnapshotStore({ connectionString: serverUrl('postgres'), schema });
    return {
      store,
      dispose: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
