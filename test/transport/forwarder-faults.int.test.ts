import { randomUUID } from 'node:crypto';
import { NatsTransport } from '../../src/adapters/nats';
import { RabbitMqTransport } from '../../src/adapters/rabbitmq';
import { NatsServerProcess, natsServerBinaryAvailable } from '../support/nats-server-process';
import { describeWithServer, serverUrl } from '../support/servers';
import { printFigures, runForwarderFaultScenario } from './forwarder-fault-scenario';

describeWithServer('rabbitmq', 'log forwarder under faults, RabbitMQ', () => {
  it('forwards 10,000 events through two connection cuts and a forwarder crash: 0 lost, duplicates absorbed', async () => {
    const url = new URL(serverUrl('rabbitmq'));
    const exchange = `rd-faults-${randomUUID().slice(0, 8)}`;
    const made: RabbitMqTransport[] = [];
    const connect = async (port: number) => {
      const at = new URL(url);
      at.port = String(port);
      const transport = await RabbitMqTransport.connect({
        url: at.toString(),
        exchange,
        onConnectionError: () => undefined,
      });
      made.push(transport);
      return transport;
    };
    const figures = await runForwarderFaultScenario({
      label: 'rabbitmq',
      brokerPort: Number(url.port) || 5672,
      forwarderTransport: connect,
      consumerTransport: () => connect(Number(url.port) || 5672),
    });
    printFigures(figures, 'RabbitMQ');
    const cleanup = await connect(Number(url.port) || 5672);
    await cleanup.deleteTopology(made.flatMap((t) => t.declaredGroups));
    await cleanup.close();
    expect(figures.lost).toBe(0);
    expect(figures.uniqueReceived).toBe(10_000);
    expect(figures.deliveries).toBe(figures.uniqueReceived + figures.duplicatesAbsorbed);
    expect(figures.forwarderFailures).toBeGreaterThanOrEqual(1);
  }, 120_000);
});

const describeNats = natsServerBinaryAvailable()
  ? describeWithServer
  : (_: 'nats', name: string, body: () => void) => {
      console.log(`[skip] ${name}: no nats-server binary (set NATS_SERVER_BIN)`);
      describe.skip(name, body);
    };

describeNats('nats', 'log forwarder under faults, NATS (private server killed and restarted)', () => {
  it('forwards 10,000 events through two connection cuts, a forwarder crash and a server kill: 0 lost', async () => {
    const server = await NatsServerProcess.start();
    try {
      const connect = (port: number) =>
        NatsTransport.connect({
          servers: `nats://127.0.0.1:${port}`,
          stream: 'RD_FAULTS',
          subjectPrefix: 'faults',
        });
      const figures = await runForwarderFaultScenario({
        label: 'nats',
        brokerPort: server.port,
        forwarderTransport: connect,
        consumerTransport: () => connect(server.port),
        restartServer: async () => {
          await server.kill();
          await server.startAgain();
        },
      });
      printFigures(figures, 'NATS');
      expect(figures.lost).toBe(0);
      expect(figures.uniqueReceived).toBe(10_000);
      expect(figures.deliveries).toBe(figures.uniqueReceived + figures.duplicatesAbsorbed);
      expect(figures.forwarderFailures).toBeGreaterThanOrEqual(1);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
