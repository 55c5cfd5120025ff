import { randomUUID } from 'node:crypto';
import { NatsTransport } from '../../../src/adapters/nats';
import { transportContract } from '../../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../../support/servers';

const id = randomUUID().slice(0, 8);
const stream = `RD_CONTRACT_${id}`;
const connect = (): Promise<NatsTransport> =>
  NatsTransport.connect({ servers: serverUrl('nats'), stream, subjectPrefix: `rdc${id}` });

describeWithServer('nats', 'NATS JetStream transport', () => {
  transportContract('nats', {
    create: connect,
    ackTimeoutMs: 1_500,
    cleanup: async () => {
      const transport = await connect();
      await transport.deleteStream();
      await transport.close();
    },
  });
});
