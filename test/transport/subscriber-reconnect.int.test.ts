import { randomUUID } from 'node:crypto';
import { NatsTransport } from '../../src/adapters/nats';
import { RabbitMqTransport } from '../../src/adapters/rabbitmq';
import { InMemoryInboxStore, type MessageTransport, withInbox } from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';
import { describeWithServer, serverUrl } from '../support/servers';
import { TcpProxy } from '../support/tcp-proxy';

/** A subscribed instance whose connection is cut reconnects and receives everything, each message once. */
async function survivesCut(
  brokerPort: number,
  connect: (port: number) => Promise<MessageTransport>,
): Promise<{ received: number; duplicates: number }> {
  const proxy = await TcpProxy.start(brokerPort);
  const publisher = await connect(brokerPort);
  const subscriber = await connect(proxy.port);
  const inbox = new InMemoryInboxStore();
  const seen = new Set<string>();
  const group = `reconnect-${randomUUID().slice(0, 8)}`;
  const topic = `${group}.t`;
  const subscription = await subscriber.subscribe(
    { group, topics: [topic], ackTimeoutMs: 1_000, onError: () => undefined },
    withInbox(inbox, group, ({ message }) => void seen.add(message.messageId)),
  );
  const publish = async (n: number) => {
    for (let i = 0; i < n; i++)
      await publisher.publish(topic, { messageId: randomUUID(), type: 'T', body: '{}' });
  };
  try {
    await publish(20);
    await waitUntil(() => seen.size === 20, 20_000, 'the first 20');
    proxy.cut();
    await publish(20);
    await waitUntil(() => seen.size === 40, 30_000, `all 40 after the cut (${seen.size} so far)`);
    return { received: seen.size, duplicates: inbox.duplicates };
  } finally {
    await subscription.close();
    await subscriber.close();
    if (publisher instanceof RabbitMqTransport) await publisher.deleteTopology([group]);
    if (publisher instanceof NatsTransport) await publisher.deleteStream();
    await publisher.close();
    await proxy.stop();
  }
}

describeWithServer('rabbitmq', 'RabbitMQ subscriber across a connection cut', () => {
  it('reconnects, consumes again and misses nothing', async () => {
    const url = new URL(serverUrl('rabbitmq'));
    const exchange = `rd-reconnect-${randomUUID().slice(0, 8)}`;
    const result = await survivesCut(Number(url.port) || 5672, (port) => {
      const at = new URL(url);
      at.port = String(port);
      return RabbitMqTransport.connect({ url: at.toString(), exchange, onConnectionError: () => undefined });
    });
    expect(result.received).toBe(40);
  }, 60_000);
});

describeWithServer('nats', 'NATS subscriber across a connection cut', () => {
  it('reconnects, consumes again and misses nothing', async () => {
    const url = new URL(serverUrl('nats'));
    const stream = `RD_RECONNECT_${randomUUID().slice(0, 8)}`;
    const result = await survivesCut(Number(url.port) || 4222, (port) =>
      NatsTransport.connect({
        servers: `nats://127.0.0.1:${port}`,
        stream,
        subjectPrefix: stream.toLowerCase(),
      }),
    );
    expect(result.received).toBe(40);
  }, 60_000);
});
