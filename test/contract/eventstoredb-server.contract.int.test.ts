/**
 * The shared StreamStore contract against a REAL EventStoreDB (image eventstore/eventstore:24.10 via testcontainers,
 * or the server at EVENTSTORE_URL), through `@eventstore/db-client`. This is the layer that checks the adapter's
 * assumptions about the server (e.g. `$all` boundary semantics, commit == prepare positions, the append response's
 * position); the wire suite only checks them against the test server's model. Skips with one line when no server can
 * be reached (REQUIRE_EVENTSTORE=1 makes that a failure).
 */
import { EventStoreDBStreamStore } from '../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { streamStoreContract } from '../../src/testing';
import { describeWithEventStore, startEventStore } from '../adapters/eventstoredb/eventstoredb-target';

describeWithEventStore('EventStoreDB (real server) via @eventstore/db-client', (target) => {
  streamStoreContract(
    'EventStoreDBStreamStore over @eventstore/db-client (real server)',
    async () => {
      const server = await startEventStore(target);
      const store = EventStoreDBStreamStore.fromConnectionString(`esdb://${server.endpoint}?tls=false`, {
        clientPackage: '@eventstore/db-client',
      });
      return {
        store,
        dispose: async () => {
          await store.close();
          await server.stop();
        },
      };
    },
    // Starting a container can take minutes on a cold machine.
    { setupTimeoutMs: 180_000 },
  );
});
