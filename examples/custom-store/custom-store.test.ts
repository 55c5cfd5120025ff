// How a store written outside this library proves it behaves like every store in it: run the exported contract
// suites from a Jest test file. Each call registers a `describe` block; the factory runs once per suite.
import { InMemoryStreamStore, StreamSnapshotStore } from 'reactive-domain';
import { checkpointStoreContract, snapshotStoreContract, streamStoreContract } from 'reactive-domain/testing';
import { CountingStreamStore } from './counting-stream-store';
import { MapCheckpointStore } from './map-checkpoint-store';

streamStoreContract('CountingStreamStore', () => {
  const store = new CountingStreamStore(new InMemoryStreamStore());
  return { store, dispose: () => store.close() };
});

checkpointStoreContract('MapCheckpointStore', () => ({ store: new MapCheckpointStore() }));

// Snapshots kept as the last event of a stream work over any StreamStore, so the custom one gets them too.
snapshotStoreContract('StreamSnapshotStore over CountingStreamStore', () => {
  const events = new CountingStreamStore(new InMemoryStreamStore());
  return { store: new StreamSnapshotStore(events), dispose: () => events.close() };
});
