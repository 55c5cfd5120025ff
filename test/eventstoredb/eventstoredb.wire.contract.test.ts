/**
 * The shared StreamStore contract, run through the real `@eventstore/db-client` over real gRPC (insecure,
 * 127.0.0.1, random port) against the wire-level test server (test/support/esdb-test-server), which is backed by the
 * in-memory store. What this proves: the adapter's requests, and its decoding of responses and errors, agree with
 * the client package's own encoding; what it does not prove: that the test server behaves like EventStoreDB in every
 * respect (see the server's header for what it models). The real-server suite is eventstoredb.int.test.ts.
 */
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { EventStoreDBStreamStore } from '../../src/eventstoredb/eventstoredb-stream-store';
import { describeStreamStoreContract } from '../contract/stream-store.contract';
import { startEsdbTestServer } from '../support/esdb-test-server';

describeStreamStoreContract('EventStoreDBStreamStore over @eventstore/db-client (wire test server)', async () => {
  const backing = new InMemoryStreamStore();
  const server = await startEsdbTestServer(backing);
  const store = EventStoreDBStreamStore.fromConnectionString(server.connectionString);
  return {
    store,
    dispose: async () => {
      await store.close();
      await server.close();
      await backing.close();
    },
  };
});
