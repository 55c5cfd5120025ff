import {
  EventSerializer,
  EventTypeRegistry,
  MessageCodec,
  type MessageTransport,
} from '../order-service/reactive-domain';
import { OrderLine } from '../order-service/events';
import { ReleaseStock, ReserveStock, StockProduct, TakePayment } from '../order-service/commands';
import { CustomerId } from '../order-service/ids';
import { join } from 'node:path';
import { NatsTransport, RabbitMqTransport } from './reactive-domain-brokers';

/** The commands that cross from the order service to the warehouse and payment side. */
export const remoteCommandTypes = [StockProduct, ReserveStock, ReleaseStock, TakePayment] as const;

/** Both processes register the crossing commands under the same names, with the same field schemas. */
export const commandRegistry = new EventTypeRegistry()
  .register(StockProduct, 'StockProduct')
  .register(ReserveStock, 'ReserveStock', { fields: { lines: { arrayOf: OrderLine } } })
  .register(ReleaseStock, 'ReleaseStock')
  .register(TakePayment, 'TakePayment');
export const codec = new MessageCodec(new EventSerializer({ registry: commandRegistry }));

/** Customers known to both sides: Cy's card has a 50-dollar limit. */
export const ADA = CustomerId.parse('0190f5a2-0000-7000-8000-00000000ada0');
export const CY = CustomerId.parse('0190f5a2-0000-7000-8000-0000000000c7');
export const CARD_LIMITS = new Map([[CY as string, 5_000]]);

/** The directory of this run's SQLite files (set by `main.ts`; one file per process). */
export function dataFile(name: string): string {
  const dir = process.env.DEMO_DATA_DIR;
  if (!dir) throw new Error('DEMO_DATA_DIR is not set: start the demo with npm run demo:distributed');
  return join(dir, name);
}

/** The consumer group through which the order service receives the other side's events. */
export const ORDERS_REPLICA_GROUP = 'orders.replica';

export type BrokerKind = 'nats' | 'rabbitmq';

/** Connects to the broker named by `DEMO_BROKER`, with this run's names (`DEMO_RUN`), so runs never collide. */
export async function connectBroker(): Promise<MessageTransport> {
  const kind = (process.env.DEMO_BROKER ?? 'nats') as BrokerKind;
  const run = process.env.DEMO_RUN ?? 'local';
  if (kind === 'rabbitmq') {
    return RabbitMqTransport.connect({
      url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      exchange: `rd-demo-${run}`,
    });
  }
  return NatsTransport.connect({
    servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    stream: `RD_DEMO_${run}`,
    subjectPrefix: `demo${run}`,
  });
}

/** Deletes what this process declared on the broker (its queues; the parent deletes the stream or exchange). */
export async function cleanUpBroker(transport: MessageTransport): Promise<void> {
  if (transport instanceof RabbitMqTransport) await transport.deleteTopology(transport.declaredGroups, true);
}

export const short = (id: string | undefined): string => (id === undefined ? '-' : `…${id.slice(-6)}`);
export const log = (line = ''): void => void process.stdout.write(`${line}\n`);
