import { InMemoryBroker, InMemoryTransport } from '../../src/transport';
import { transportContract } from '../../src/testing/contracts';

const broker = new InMemoryBroker();
transportContract('in-memory', { create: () => new InMemoryTransport({ broker }) });
