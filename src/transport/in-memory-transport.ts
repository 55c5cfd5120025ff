import { createDelivery, runDelivery, warnTransportError } from './delivery-runner';
import {
  type DeliveryHandler,
  type GroupOptions,
  type MessageTransport,
  type PublishOptions,
  type TransportSubscribeOptions,
  type TransportSubscription,
} from './message-transport';
import { withDeadline } from './deadline';
import { publishDeadline } from './publish-checks';
import { TransportClosedError } from './transport.errors';
import { checkGroup, deadLetterGroupOf, subscriptionLimits } from './check-group';
import {
  assertTopic,
  assertTransportMessage,
  deadLetterCopy,
  deadLetterTopic,
  topicMatches,
  type TransportMessage,
} from './transport-message';

/** A message waiting in a group. */
interface Queued {
  readonly topic: string;
  readonly message: TransportMessage;
  attempt: number;
}

interface Consumer {
  readonly prefetch: number;
  readonly maxDeliveries: number;
  readonly handler: DeliveryHandler;
  readonly onError: (error: unknown) => void;
  readonly owner: InMemoryTransport;
  readonly inFlight: Set<Queued>;
  readonly running: Set<Promise<void>>;
  active: boolean;
}

interface Group {
  readonly name: string;
  topics: Set<string>;
  readonly ephemeral: boolean;
  readonly queue: Queued[];
  readonly consumers: Consumer[];
  next: number;
}

/**
 * The broker that {@link InMemoryTransport}s share: several transports over one broker behave like several
 * processes connected to one RabbitMQ or NATS server (competing instances, crashes, redelivery), in memory.
 * Messages are copied on publish (JSON round trip), so a receiver never shares objects with the sender.
 */
export class InMemoryBroker {
  private readonly groups = new Map<string, Group>();
  private scheduled = false;

  /** Names of the declared groups (for tests and diagnostics). */
  get groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** Messages waiting (not in flight) in `group`; 0 for an unknown group. */
  pending(group: string): number {
    return this.groups.get(group)?.queue.length ?? 0;
  }

  /** @internal */
  declare(options: GroupOptions): void {
    const existing = this.groups.get(options.group);
    if (existing) {
      for (const topic of options.topics) existing.topics.add(topic);
      return;
    }
    this.groups.set(options.group, {
      name: options.group,
      topics: new Set(options.topics),
      ephemeral: options.ephemeral ?? false,
      queue: [],
      consumers: [],
      next: 0,
    });
    const deadLetters = deadLetterGroupOf(options);
    if (deadLetters) this.declare(deadLetters);
  }

  /** @internal */
  publish(topic: string, message: TransportMessage): void {
    const copy = JSON.parse(JSON.stringify(message)) as TransportMessage;
    for (const group of this.groups.values()) {
      for (const pattern of group.topics) {
        if (topicMatches(pattern, topic)) {
          group.queue.push({ topic, message: copy, attempt: 1 });
          break;
        }
      }
    }
    this.schedule();
  }

  /** @internal */
  attach(groupName: string, consumer: Consumer): void {
    this.groups.get(groupName)?.consumers.push(consumer);
    this.schedule();
  }

  /** @internal Removes a consumer; its unsettled deliveries go back to the head of the queue. */
  detach(groupName: string, consumer: Consumer): void {
    const group = this.groups.get(groupName);
    consumer.active = false;
    if (!group) return;
    const index = group.consumers.indexOf(consumer);
    if (index >= 0) group.consumers.splice(index, 1);
    const returned = [...consumer.inFlight];
    consumer.inFlight.clear();
    for (const item of returned) item.attempt += 1;
    group.queue.unshift(...returned);
    if (group.ephemeral && group.consumers.length === 0) this.groups.delete(groupName);
    this.schedule();
  }

  /** @internal */
  settle(groupName: string, consumer: Consumer, item: Queued, outcome: 'ack' | 'retry'): void {
    if (!consumer.inFlight.delete(item)) return;
    if (outcome === 'retry') {
      item.attempt += 1;
      this.groups.get(groupName)?.queue.push(item);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Delivery is never on the publisher's call stack, as with a real broker.
    setImmediate(() => {
      this.scheduled = false;
      for (const group of this.groups.values()) this.dispatch(group);
    });
  }

  private dispatch(group: Group): void {
    while (group.queue.length > 0) {
      const ready = group.consumers.filter((c) => c.active && c.inFlight.size < c.prefetch);
      if (ready.length === 0) return;
      const consumer = ready[group.next++ % ready.length] as Consumer;
      const item = group.queue.shift() as Queued;
      consumer.inFlight.add(item);
      this.deliver(group.name, consumer, item);
    }
  }

  private deliver(groupName: string, consumer: Consumer, item: Queued): void {
    const delivery = createDelivery(item.message, item.topic, item.attempt, consumer.maxDeliveries, {
      ack: async () => this.settle(groupName, consumer, item, 'ack'),
      retry: async () => this.settle(groupName, consumer, item, 'retry'),
      deadLetter: async (reason) => {
        if (!consumer.inFlight.has(item)) return;
        this.publish(
          deadLetterTopic(groupName),
          deadLetterCopy(item.message, item.topic, item.attempt, reason),
        );
        this.settle(groupName, consumer, item, 'ack');
      },
    });
    const run = runDelivery(delivery, consumer.handler, consumer.onError).finally(() =>
      consumer.running.delete(run),
    );
    consumer.running.add(run);
  }
}

/** Options of {@link InMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** The broker to connect to; share one between transports to simulate several processes. Default: a new one. */
  readonly broker?: InMemoryBroker;
}

/**
 * A {@link MessageTransport} in memory, for tests: same semantics as the broker adapters (groups, competing
 * instances, redelivery of a closed instance's unsettled messages, dead letters with their reason). Dead-lettered
 * copies carry the reason in `headers['rd-dead-letter-reason']` (and `rd-original-topic`, `rd-attempts`) — the broker
 * adapters put them in the same user headers.
 */
export class InMemoryTransport implements MessageTransport {
  readonly name = 'in-memory';
  /** The broker this transport is connected to. */
  readonly broker: InMemoryBroker;
  private closed = false;
  private readonly subscriptions = new Set<{ group: string; consumer: Consumer }>();

  constructor(options: InMemoryTransportOptions = {}) {
    this.broker = options.broker ?? new InMemoryBroker();
  }

  async publish(topic: string, message: TransportMessage, options?: PublishOptions): Promise<void> {
    assertTopic(topic);
    assertTransportMessage(message);
    if (this.closed) throw new TransportClosedError(this.name, `publish to ${topic}`);
    const timeoutMs = publishDeadline(this.name, `publish to ${topic}`, options);
    await withDeadline(this.name, `publish to ${topic}`, timeoutMs, options?.signal, Promise.resolve());
    this.broker.publish(topic, message);
  }

  async ensureGroup(options: GroupOptions): Promise<void> {
    checkGroup(options);
    if (this.closed) throw new TransportClosedError(this.name, `declare group ${options.group}`);
    this.broker.declare(options);
  }

  async subscribe(
    options: TransportSubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<TransportSubscription> {
    await this.ensureGroup(options);
    const consumer: Consumer = {
      ...subscriptionLimits(options),
      handler,
      onError: options.onError ?? warnTransportError(this.name, options.group),
      owner: this,
      inFlight: new Set(),
      running: new Set(),
      active: true,
    };
    const entry = { group: options.group, consumer };
    this.subscriptions.add(entry);
    this.broker.attach(options.group, consumer);
    const broker = this.broker;
    const subscriptions = this.subscriptions;
    let closed = false;
    return {
      group: options.group,
      get closed() {
        return closed || !consumer.active;
      },
      async close() {
        if (closed) return;
        closed = true;
        if (!consumer.active) return; // the transport was closed: nothing left to hand back
        consumer.active = false;
        await withDeadline(
          'in-memory',
          `close subscription to ${options.group}`,
          10_000,
          undefined,
          Promise.allSettled([...consumer.running]),
        ).catch(() => undefined);
        subscriptions.delete(entry);
        broker.detach(options.group, consumer);
      },
    };
  }

  /** Drops the connection as a crash would: unsettled deliveries go back to the broker for other instances. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { group, consumer } of this.subscriptions) this.broker.detach(group, consumer);
    this.subscriptions.clear();
  }
}
