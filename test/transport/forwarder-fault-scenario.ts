import type { Checkpoint } from '../../src/foundation/subscriptions/checkpoint';
import type { CheckpointStore } from '../../src/foundation/subscriptions/checkpoint-store';
import { InMemoryCheckpointStore } from '../../src/foundation/subscriptions/in-memory-checkpoint-store';
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import { InMemoryInboxStore, LogForwarder, type MessageTransport, withInbox } from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';
import { TcpProxy } from '../support/tcp-proxy';
import { appendItems } from './transport-fixtures';

/** A checkpoint store that a "crash" freezes: saves after it are lost, as a killed process would lose them. */
class CrashableCheckpointStore implements CheckpointStore {
  frozen = false;
  constructor(private readonly inner: CheckpointStore) {}
  load(model: string): Promise<ReadonlyMap<string, Checkpoint>> {
    return this.inner.load(model);
  }
  async save(model: string, sourceKey: string, checkpoint: Checkpoint): Promise<void> {
    if (!this.frozen) await this.inner.save(model, sourceKey, checkpoint);
  }
  delete(model: string): Promise<void> {
    return this.inner.delete(model);
  }
}

/** What a fault run measured. */
export interface FaultFigures {
  readonly events: number;
  readonly uniqueReceived: number;
  readonly lost: number;
  readonly deliveries: number;
  readonly duplicatesAbsorbed: number;
  readonly publishes: number;
  readonly forwarderFailures: number;
  readonly connectionCuts: number;
  readonly forwarderRestarts: number;
  readonly serverRestarts: number;
  readonly orderViolations: number;
  readonly seconds: number;
}

export interface FaultScenario {
  readonly label: string;
  /** The broker's port (the proxy forwards to it). */
  readonly brokerPort: number;
  /** A transport for the forwarder, connected through the proxy port. */
  readonly forwarderTransport: (proxyPort: number) => Promise<MessageTransport>;
  /** A transport for the consumer, connected directly. */
  readonly consumerTransport: () => Promise<MessageTransport>;
  /** Optional: kill and restart the broker once, midway. */
  readonly restartServer?: () => Promise<void>;
  readonly events?: number;
}

/**
 * The required fault figure: N events (default 10,000, over 100 streams, most appended while forwarding runs)
 * forwarded through a TCP proxy that cuts the connection twice, with the forwarder "crashed" (transport closed,
 * later checkpoint saves lost) and restarted once. The consumer dedups with an inbox and counts.
 */
export async function runForwarderFaultScenario(scenario: FaultScenario): Promise<FaultFigures> {
  const total = scenario.events ?? 10_000;
  const started = Date.now();
  const store = new InMemoryStreamStore();
  const checkpoints = new CrashableCheckpointStore(new InMemoryCheckpointStore());
  const inbox = new InMemoryInboxStore();
  const proxy = await TcpProxy.start(scenario.brokerPort);
  const consumer = await scenario.consumerTransport();
  const group = `faults-${Date.now()}`;
  const seen = new Set<string>();
  const lastRevision = new Map<string, number>();
  let deliveries = 0;
  let orderViolations = 0;
  const subscription = await consumer.subscribe(
    { group, topics: ['events.>'], prefetch: 64, maxDeliveries: 50, onError: () => undefined },
    async (delivery) => {
      deliveries++;
      await withInbox(inbox, group, (d) => {
        const stream = d.message.headers?.stream ?? '';
        const revision = Number(d.message.headers?.revision);
        if ((lastRevision.get(stream) ?? -1) >= revision) orderViolations++;
        lastRevision.set(stream, revision);
        seen.add(d.message.messageId);
      })(delivery);
    },
  );

  const errors: string[] = [];
  const forwarderOf = (transport: MessageTransport) =>
    new LogForwarder({
      name: 'fault-forwarder',
      store,
      transport,
      checkpoints,
      maxInFlight: 256,
      publishTimeoutMs: 3_000,
      maxRetryDelayMs: 500,
      checkpointIntervalMs: 50,
      onError: (e) => errors.push(e.message),
    });

  let transport = await scenario.forwarderTransport(proxy.port);
  let forwarder = forwarderOf(transport);
  let publishes = 0;
  let failures = 0;
  let serverRestarts = 0;
  const waitMs = 60_000;
  // Each fault is injected right after a batch was appended, once publishes await their confirmation.
  const whilePublishing = () =>
    waitUntil(() => forwarder.stats.inFlight > 0, 5_000, 'publishes in flight').catch(() => undefined);
  const faults = new Map<number, () => Promise<void>>([
    [Math.round(total * 0.25), async () => proxy.cut()],
    [
      Math.round(total * 0.5),
      async () => {
        // Crash: the connection drops with publishes in flight and later checkpoint saves are lost.
        checkpoints.frozen = true;
        await transport.close();
        await forwarder.stop();
        publishes += forwarder.stats.published;
        failures += forwarder.stats.failures;
        checkpoints.frozen = false;
        transport = await scenario.forwarderTransport(proxy.port);
        forwarder = forwarderOf(transport);
        await forwarder.start();
      },
    ],
    [Math.round(total * 0.75), async () => proxy.cut()],
  ]);
  if (scenario.restartServer) {
    const restart = scenario.restartServer;
    faults.set(Math.round(total * 0.6), async () => {
      await restart();
      serverRestarts++;
    });
  }

  const ids = await appendItems(store, Math.round(total * 0.2), 100);
  await forwarder.start();
  try {
    const batch = 50;
    for (let i = ids.length; i < total; i += batch) {
      ids.push(...(await appendItems(store, Math.min(batch, total - i), 100, i)));
      const fault = faults.get(i + batch);
      if (fault) {
        await whilePublishing();
        await fault();
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitUntil(() => seen.size >= total, waitMs, `all ${total} received (${seen.size} so far)`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await forwarder.stop();
    publishes += forwarder.stats.published;
    failures += forwarder.stats.failures;
    await subscription.close();
    await consumer.close();
    await transport.close();
    await proxy.stop();
  }
  const unique = ids.filter((id) => seen.has(id)).length;
  return {
    events: ids.length,
    uniqueReceived: unique,
    lost: ids.length - unique,
    deliveries,
    duplicatesAbsorbed: inbox.duplicates,
    publishes,
    forwarderFailures: Math.max(failures, errors.length),
    connectionCuts: proxy.cuts - 1, // stop() cuts once more, with nothing left to cut
    forwarderRestarts: 1,
    serverRestarts,
    orderViolations,
    seconds: (Date.now() - started) / 1000,
  };
}

/** One line per figure, for the test log. */
export function printFigures(figures: FaultFigures, label: string): void {
  console.log(
    `[fault figures] ${label}: ${figures.events} events, ${figures.uniqueReceived} received, ${figures.lost} lost; ` +
      `${figures.deliveries} deliveries, ${figures.duplicatesAbsorbed} duplicates absorbed by the inbox; ` +
      `${figures.publishes} publishes, ${figures.forwarderFailures} forwarder failures/restarts from checkpoint; ` +
      `${figures.connectionCuts} connection cuts, ${figures.forwarderRestarts} forwarder crash+restart, ` +
      `${figures.serverRestarts} server kill+restart; ${figures.orderViolations} per-stream order violations ` +
      `(first deliveries); ${figures.seconds.toFixed(1)} s`,
  );
}
