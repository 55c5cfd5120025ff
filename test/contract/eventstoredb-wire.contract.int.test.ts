/**
 * The shared StreamStore contract, run through the real `@eventstore/db-client` over real gRPC (insecure,
 * 127.0.0.1, random port) against the wire-level test server (test/support/esdb-test-server), which is backed by the
 * in-memory store.
 *
 * What this proves: the adapter's requests, and its decoding of responses and errors, agree with the client
 * package's own encoding. What it does not prove: that the test server behaves like EventStoreDB in every respect
 * (its header lists what it models). The real-server suite is eventstoredb-server.contract.int.test.ts; the Kurrent
 * client runs the same suite in kurrentdb-wire.contract.int.test.ts (a separate file: the two packages' generated
 * protobuf code shares a global namespace, see the test server). The snapshot contract runs here too, on a
 * StreamSnapshotStore over the adapter (snapshots as the last event of a stream, read backwards from the end).
 */
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { EventStoreDBStreamStore } from '../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { StreamSnapshotStore } from '../../src/foundation/snapshots/stream-snapshot-store';
import { snapshotStoreContract, streamStoreContract } from '../../src/testing';
import { startEsdbTestServer } from '../support/esdb-test-server';

async function overWire() {
  const backing = new InMemoryStreamStore();
  const server = await startEsdbTestServer(backing, { protocol: '@eventstore/db-client' });
  const store = EventStoreDBStreamStore.fromConnectionString(`esdb://127.0.0.1:${server.port}?tls=false`, {
    clientPackage: '@eventstore/db-client',
  });
  return {
    store,
    dispose: async () => {
      await store.close();
      await server.close();
      await backing.close();
    },
  };
}

streamStoreContract('EventStoreDBStreamStore over @eventstore/db-client (wire test server)', overWire);

snapshotStoreContract('StreamSnapshotStore over EventStoreDBStreamStore (wire test server)', async () => {
  const { store, dispose } = await overWire();
  return { store: new StreamSnapshotStore(store), dispose };
});
