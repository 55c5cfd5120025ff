/**
 * Transport benchmarks on the real brokers (`npm --prefix bench run bench:transport`, after `npm run build`):
 *
 * 1. Forwarder throughput: N events from an in-memory store to the broker through `LogForwarder` (publish with
 *    confirmation, checkpoint), beside a raw-client floor that publishes the same messages (same body and headers)
 *    with the same number in flight and waits for every confirmation.
 * 2. Remote command round trip: `RemoteCommandSender.trySend` to `serveRemoteCommands` in the same process (durable
 *    queues both ways, ack + outcome replies), one at a time, p50/p99; beside the raw client's own RPC floor
 *    (RabbitMQ direct reply-to, NATS core request/reply: neither durable nor acknowledged, so the ratio is the price of
 *    durability, not overhead to remove).
 *
 * Results are printed and written to bench/results/transport.json. Needs RabbitMQ (RABBITMQ_URL) and NATS
 * (NATS_URL); a broker that is not reachable is skipped with one line.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import * as amqplib from 'amqplib';
import { connect as natsConnect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  Command,
  CommandDispatcher,
  Event,
  EventSerializer,
  EventTypeRegistry,
  ExpectedVersion,
  InMemoryCheckpointStore,
  InMemoryStreamStore,
  LogForwarder,
  MessageBuilder,
  MessageCodec,
  RemoteCommandSender,
  Success,
  messageOfRecordedEvent,
  serveRemoteCommands,
  toWireHeaders,
  defaultEventTopic,
  type MessageTransport,
  type RecordedEvent,
} from '../dist';
import { NatsTransport } from '../dist/adapters/nats';
import { RabbitMqTransport } from '../dist/adapters/rabbitmq';

const QUICK = process.env.BENCH_QUICK === '1';
const EVENTS = QUICK ? 2_000 : 20_000;
const COMMANDS = QUICK ? 200 : 1_000;
const IN_FLIGHT = 256;
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

class Deposited extends Event {
  constructor(
    readonly account: string,
    readonly amount: number,
  ) {
    super();
  }
}
class Deposit extends Command {
  constructor(
    readonly account: string,
    readonly amount: number,
  ) {
    super();
  }
}
const registry = new EventTypeRegistry().register(Deposited, 'Deposited').register(Deposit, 'Deposit');
const serializer = new EventSerializer({ registry });
const codec = new MessageCodec(serializer);

async function filledStore(): Promise<{ store: InMemoryStreamStore; events: RecordedEvent[] }> {
  const store = new InMemoryStreamStore();
  for (let i = 0; i < EVENTS; i++) {
    const cause = MessageBuilder.new(() => new Deposit(`a${i % 100}`, i));
    const event = MessageBuilder.from(cause).build(() => new Deposited(`a${i % 100}`, i));
    await store.appendToStream(`account-a${i % 100}`, ExpectedVersion.Any, [serializer.serialize(event)]);
  }
  const events: RecordedEvent[] = [];
  for (let after: bigint | 'start' = 'start'; ;) {
    const slice = await store.readAll({ after, maxCount: 1_000 });
    events.push(...slice.events);
    if (slice.isEnd || slice.events.length === 0) break;
    after = slice.events[slice.events.length - 1]!.position;
  }
  return { store, events };
}

/** Forwards a freshly filled store (new event ids: NATS would drop repeated ids as duplicates). */
async function forwarderRate(transport: MessageTransport): Promise<number> {
  const { store, events } = await filledStore();
  const last = events[events.length - 1]!.position;
  const forwarder = new LogForwarder({
    name: `bench-${randomUUID()}`,
    store,
    transport,
    checkpoints: new InMemoryCheckpointStore(),
    maxInFlight: IN_FLIGHT,
  });
  const started = performance.now();
  await forwarder.start();
  await forwarder.waitForPosition(last, 120_000);
  const seconds = (performance.now() - started) / 1000;
  await forwarder.stop();
  return EVENTS / seconds;
}

/** Publishes `count` messages with at most IN_FLIGHT awaiting confirmation. */
async function windowed(count: number, publish: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await publish(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Runs a, b, a, b and returns the better rate of each. */
async function bestOfTwo(a: () => Promise<number>, b: () => Promise<number>): Promise<[number, number]> {
  const a1 = await a();
  const b1 = await b();
  const a2 = await a();
  const b2 = await b();
  return [Math.max(a1, a2), Math.max(b1, b2)];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latencies(n: number, once: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(100, n); i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function remoteCommands(
  create: () => Promise<MessageTransport>,
): Promise<{ p50: number; p99: number }> {
  const serverSide = await create();
  const clientSide = await create();
  const dispatcher = new CommandDispatcher();
  dispatcher.register(Deposit, () => undefined);
  const server = await serveRemoteCommands({ transport: serverSide, dispatcher, types: [Deposit], codec });
  const sender = new RemoteCommandSender({ transport: clientSide, codec });
  await sender.start();
  try {
    return await latencies(COMMANDS, async () => {
      const response = await sender.trySend(MessageBuilder.new(() => new Deposit('a', 1)));
      if (!(response instanceof Success)) throw new Error(`unexpected ${response.kind}`);
    });
  } finally {
    await sender.stop();
    await server.stop();
    await serverSide.close();
    await clientSide.close();
  }
}

interface BrokerFigures {
  forwarderEventsPerSecond: number;
  floorEventsPerSecond: number;
  ratio: number;
  command: { p50: number; p99: number };
  floorRpc: { p50: number; p99: number };
}

async function rabbit(events: RecordedEvent[]): Promise<BrokerFigures> {
  const exchange = `rd-bench-${randomUUID().slice(0, 8)}`;
  const group = `bench-${randomUUID().slice(0, 8)}`;
  const transport = await RabbitMqTransport.connect({ url: RABBIT_URL, exchange });
  await transport.ensureGroup({ group, topics: ['events.>'] });
  // Floor: the same messages (converted from the same events), same exchange and queue, straight through a
  // confirm channel. Two alternating rounds each; the better round counts (the machine is shared).
  const connection = await amqplib.connect(RABBIT_URL, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const floor = () =>
    windowed(
      events.length,
      (i) =>
        new Promise<void>((resolve, reject) => {
          const topic = defaultEventTopic(events[i]!);
          const message = messageOfRecordedEvent(events[i]!);
          channel.publish(
            exchange,
            topic,
            Buffer.from(message.body),
            {
              persistent: true,
              messageId: message.messageId,
              type: message.type,
              headers: toWireHeaders(message),
            },
            (error: unknown) => (error ? reject(error) : resolve()),
          );
        }),
    );
  const [forwarderEventsPerSecond, floorEventsPerSecond] = await bestOfTwo(
    () => forwarderRate(transport),
    floor,
  );
  const command = await remoteCommands(() => RabbitMqTransport.connect({ url: RABBIT_URL, exchange }));
  // RPC floor: direct reply-to, no durability.
  const rpcQueue = `rd-bench-rpc-${randomUUID().slice(0, 8)}`;
  const serverChannel = await connection.createChannel();
  await serverChannel.assertQueue(rpcQueue, { exclusive: true });
  await serverChannel.consume(rpcQueue, (msg) => {
    if (!msg) return;
    serverChannel.sendToQueue(msg.properties.replyTo as string, Buffer.from('{"ok":true}'), {
      correlationId: msg.properties.correlationId as string,
    });
    serverChannel.ack(msg);
  });
  const clientChannel = await connection.createChannel();
  const waiting = new Map<string, () => void>();
  await clientChannel.consume(
    'amq.rabbitmq.reply-to',
    (msg) => msg && waiting.get(msg.properties.correlationId as string)?.(),
    { noAck: true },
  );
  const floorRpc = await latencies(
    COMMANDS,
    () =>
      new Promise<void>((resolve) => {
        const id = randomUUID();
        waiting.set(id, () => (waiting.delete(id), resolve()));
        clientChannel.sendToQueue(rpcQueue, Buffer.from('{"account":"a","amount":1}'), {
          replyTo: 'amq.rabbitmq.reply-to',
          correlationId: id,
        });
      }),
  );
  await connection.close();
  await transport.deleteTopology([group, 'commands.Deposit']);
  await transport.close();
  return {
    forwarderEventsPerSecond,
    floorEventsPerSecond,
    ratio: forwarderEventsPerSecond / floorEventsPerSecond,
    command,
    floorRpc,
  };
}

async function nats(events: RecordedEvent[]): Promise<BrokerFigures> {
  const stream = `RD_BENCH_${randomUUID().slice(0, 8)}`;
  const prefix = stream.toLowerCase();
  const transport = await NatsTransport.connect({ servers: NATS_URL, stream, subjectPrefix: prefix });
  await transport.ensureGroup({ group: 'bench', topics: ['events.>'] });
  // Floor: the same messages and headers (converted from the same events), JetStream publish awaited for the
  // PubAck (fresh msg ids: the forwarder's ids are still in the duplicate window).
  const connection = await natsConnect({ servers: NATS_URL });
  const js = jetstream(connection);
  const encoder = new TextEncoder();
  const floor = () =>
    windowed(events.length, async (i) => {
      const topic = defaultEventTopic(events[i]!);
      const message = messageOfRecordedEvent(events[i]!);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(toWireHeaders(message))) h.set(k, v);
      await js.publish(`${prefix}.${topic}`, encoder.encode(message.body), {
        msgID: randomUUID(),
        headers: h,
      });
    });
  const [forwarderEventsPerSecond, floorEventsPerSecond] = await bestOfTwo(
    () => forwarderRate(transport),
    floor,
  );
  const command = await remoteCommands(() =>
    NatsTransport.connect({ servers: NATS_URL, stream, subjectPrefix: prefix }),
  );
  // RPC floor: core NATS request/reply (no JetStream).
  const rpcSubject = `${prefix}-rpc`;
  const sub = connection.subscribe(rpcSubject, {
    callback: (_e, msg) => {
      msg.respond('{"ok":true}');
    },
  });
  const floorRpc = await latencies(COMMANDS, async () => {
    await connection.request(rpcSubject, '{"account":"a","amount":1}', { timeout: 5_000 });
  });
  sub.unsubscribe();
  await (await jetstreamManager(connection)).streams.delete(stream);
  await connection.close();
  await transport.close();
  return {
    forwarderEventsPerSecond,
    floorEventsPerSecond,
    ratio: forwarderEventsPerSecond / floorEventsPerSecond,
    command,
    floorRpc,
  };
}

async function main(): Promise<void> {
  const { events } = await filledStore();
  const results: Record<string, BrokerFigures | string> = {};
  for (const [name, bench] of [
    ['rabbitmq', rabbit],
    ['nats', nats],
  ] as const) {
    try {
      results[name] = await bench(events);
    } catch (error) {
      results[name] = `skipped: ${error instanceof Error ? error.message : String(error)}`;
    }
    const r = results[name]!;
    if (typeof r === 'string') console.log(`${name}: ${r}`);
    else
      console.log(
        `${name}: forwarder ${Math.round(r.forwarderEventsPerSecond)} events/s vs raw floor ${Math.round(r.floorEventsPerSecond)} ` +
          `(${r.ratio.toFixed(2)}x); remote command p50 ${r.command.p50.toFixed(2)} ms p99 ${r.command.p99.toFixed(2)} ms ` +
          `vs raw RPC p50 ${r.floorRpc.p50.toFixed(2)} ms p99 ${r.floorRpc.p99.toFixed(2)} ms`,
      );
  }
  mkdirSync(resolve(__dirname, 'results'), { recursive: true });
  writeFileSync(
    resolve(__dirname, 'results', QUICK ? 'transport-quick.json' : 'transport.json'),
    JSON.stringify(
      {
        measured: new Date().toISOString(),
        node: process.version,
        events: EVENTS,
        commands: COMMANDS,
        inFlight: IN_FLIGHT,
        results,
      },
      null,
      2,
    ),
  );
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
