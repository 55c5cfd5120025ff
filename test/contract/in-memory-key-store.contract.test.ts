import { InMemoryKeyStore } from '../../src/persistence';
import { keyStoreContract } from '../../src/testing/contracts';

keyStoreContract('InMemoryKeyStore', { create: () => new InMemoryKeyStore() });
