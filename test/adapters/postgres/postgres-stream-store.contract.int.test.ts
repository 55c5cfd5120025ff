import { PostgresStreamStore } from '../../../src/adapters/postgres';
import { describeStreamStoreContract } from '../../contract/stream-store.contract';
import { describeWithServer, serverUrl } from '../../support/servers';
import { freshSchema } from './pg-test-support';

describeWithServer('postgres', 'PostgresStreamStore contract', () => {
  describeStreamStoreContract('PostgresStreamStore', async () => {
    const { schema, drop } = await freshSchema();
    const store = new PostgresStreamStore({ connectionString: serverUrl('postgres'), schema });
    return {
      store,
      dispose: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
