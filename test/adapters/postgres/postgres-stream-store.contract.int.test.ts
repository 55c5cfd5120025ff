import { PostgresStreamStore } from '../../../src/adapters/postgres';
import { streamStoreContract as describeStreamStoreContract } from '../../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../../support/servers';
import { freshSchema } from './pg-test-support';

describeWithServer('postgres', 'PostgresStreamStore contract', () => {
  describeStreamStoreContract('PostgresStreamStore', async () => {
    const { schema, drop } = await freshSchema();
    // Other suites on the same server hold transactions open on purpose (up to a few seconds): every transaction in
    // the cluster holds $all readers back, so reads wait long enough for them to end (read-your-writes).
    const store = new PostgresStreamStore({
      connectionString: serverUrl('postgres'),
      schema,
      horizonWaitMs: 15_000,
    });
    return {
      store,
      dispose: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
