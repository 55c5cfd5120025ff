import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { FaultyStreamStore, streamStoreContract } from '../../src/testing';

streamStoreContract('InMemoryStreamStore', async () => {
  const store = new InMemoryStreamStore();
  return { store, dispose: () => store.close() };
});

// The same contract with deliveries postponed by a timer, to shake out tests that rely on delivery timing.
streamStoreContract('InMemoryStreamStore (delayed delivery)', async () => {
  const store = new FaultyStreamStore(new InMemoryStreamStore(), { delayMs: 3 });
  return { store, dispose: () => store.close() };
});
