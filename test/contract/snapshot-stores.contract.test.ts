import { InMemorySnapshotStore } from '../../src/foundation/snapshots/in-memory-snapshot-store';
import { StreamSnapshotStore } from '../../src/foundation/snapshots/stream-snapshot-store';
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { snapshotStoreContract } from '../../src/testing';

snapshotStoreContract('InMemorySnapshotStore', () => ({ store: new InMemorySnapshotStore() }));

snapshotStoreContract('StreamSnapshotStore over InMemoryStreamStore', () => {
  const events = new InMemoryStreamStore();
  return { store: new StreamSnapshotStore(events), dispose: () => events.close() };
});
