/**
 * The shared StreamStore contract through the real `@kurrent/kurrentdb-client` against the wire-level test server
 * (served with Kurrent's own generated v1 definitions). Kurrent's reads go through its native Rust bridge, which opens
 * its own gRPC connection; appends, deletes and subscriptions use `@grpc/grpc-js` from JavaScript. Both paths reach
 * the test server, so the whole contract runs. Kept apart from eventstoredb-wire.contract.int.test.ts because the two
 * packages' generated protobuf code shares a global namespace (see the test server's header).
 */
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { EventStoreDBStreamStore } from '../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { streamStoreContract } from '../../src/testing';
import { startEsdbTestServer } from '../support/esdb-test-server';

streamStoreContract('EventStoreDBStreamStore over @kurrent/kurrentdb-client (wire test server)', async () => {
  const backing = new InMemoryStreamStore();
  const server = await startEsdbTestServer(backing, { protocol: '@kurrent/kurrentdb-client' });
  const store = EventStoreDBStreamStore.fromConnectionString(
    `kurrentdb://127.0.0.1:${server.port}?tls=false`,
  );
  return {
    store,
    dispose: async () => {
      await store.close();
      await server.close();
      await backing.close();
    },
  };
});
