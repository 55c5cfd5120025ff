/**
 * The shared StreamStore contract against a REAL EventStoreDB/KurrentDB through `@kurrent/kurrentdb-client` (its own
 * file: the two client packages must not share a process, see the test server's header). Skips with one line when
 * no server can be reached (REQUIRE_EVENTSTORE=1 makes that a failure).
 */
import { EventStoreDBStreamStore } from '../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { streamStoreContract } from '../../src/testing';
import { describeWithEventStore, startEventStore } from '../adapters/eventstoredb/eventstoredb-target';

describeWithEventStore('EventStoreDB (real server) via @kurrent/kurrentdb-client', (target) => {
  streamStoreContract(
    'EventStoreDBStreamStore over @kurrent/kurrentdb-client (real server)',
    async () => {
      const server = await startEventStore(target);
      const store = EventStoreDBStreamStore.fromConnectionString(`kurrentdb://${server.endpoint}?tls=false`, {
        clientPackage: '@kurrent/kurrentdb-client',
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
