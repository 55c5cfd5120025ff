import { InMemoryCheckpointStore } from '../../src/foundation/subscriptions/in-memory-checkpoint-store';
import { checkpointStoreContract } from '../../src/testing';

checkpointStoreContract('InMemoryCheckpointStore', () => ({ store: new InMemoryCheckpointStore() }));
