import { randomUUID } from 'node:crypto';
import { RabbitMqTransport } from '../../../src/adapters/rabbitmq';
import { transportContract } from '../../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../../support/servers';
import { remoteCommandSuite } from '../../transport/remote-command-suite';

const exchange = `rd-contract-${randomUUID().slice(0, 8)}`;
const created: RabbitMqTransport[] = [];
const connect = async (): Promise<RabbitMqTransport> => {
  const transport = await RabbitMqTransport.connect({ url: serverUrl('rabbitmq'), exchange });
  created.push(transport);
  return transport;
};

describeWithServer('rabbitmq', 'RabbitMQ transport', () => {
  transportContract('rabbitmq', {
    create: connect,
    cleanup: async () => {
      const groups = created.flatMap((t) => t.declaredGroups);
      const transport = await RabbitMqTransport.connect({ url: serverUrl('rabbitmq'), exchange });
      await transport.deleteTopology(groups);
      await transport.close();
    },
  });
  remoteCommandSuite('rabbitmq', async () => {
    const rcExchange = `rd-rc-${randomUUID().slice(0, 8)}`;
    const made: RabbitMqTransport[] = [];
    return {
      create: async () => {
        const transport = await RabbitMqTransport.connect({
          url: serverUrl('rabbitmq'),
          exchange: rcExchange,
        });
        made.push(transport);
        return transport;
      },
      cleanup: async () => {
        const transport = await RabbitMqTransport.connect({
          url: serverUrl('rabbitmq'),
          exchange: rcExchange,
        });
        await transport.deleteTopology(made.flatMap((t) => t.declaredGroups));
        await transport.close();
      },
    };
  });
});
