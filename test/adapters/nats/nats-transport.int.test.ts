import { randomUUID } from 'node:crypto';
import { NatsTransport } from '../../../src/adapters/nats';
import { transportContract } from '../../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../../support/servers';
import { remoteCommandSuite } from '../../transport/remote-command-suite';

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
  remoteCommandSuite('nats', async () => {
    const rc = `RD_RC_${randomUUID().slice(0, 8)}`;
    const open = () =>
      NatsTransport.connect({ servers: serverUrl('nats'), stream: rc, subjectPrefix: rc.toLowerCase() });
    return {
      create: open,
      cleanup: async () => {
        const transport = await open();
        await transport.deleteStream();
        await transport.close();
      },
    };
  });
});
