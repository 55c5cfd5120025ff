import { logSafely } from '../../core/logger';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type * as AmqplibPackage from 'amqplib';
import {
  TransportClosedError,
  TransportPackageMissingError,
  assertTopic,
  assertTransportMessage,
  checkGroup,
  createDelivery,
  deadLetterCopy,
  deadLetterGroup,
  deadLetterGroupOf,
  deadLetterTopic,
  delay,
  fromWireHeaders,
  isDeadLetterGroup,
  publishDeadline,
  publishFailure,
  subscriptionLimits,
  runDelivery,
  toWireHeaders,
  validPositiveInteger,
  validTimeoutMs,
  warnTransportError,
  withDeadline,
  type DeliveryHandler,
  type GroupOptions,
  type MessageTransport,
  type PublishOptions,
  type TransportMessage,
  type TransportSubscribeOptions,
  type TransportSubscription,
} from '../../transport';
import { RabbitMqDeclarationError } from './rabbitmq.errors';

type Amqplib = typeof AmqplibPackage;
let amqplibModule: Amqplib | undefined;

/** Loads the optional peer `amqplib` on first use. */
export function loadAmqplib(): Amqplib {
  if (amqplibModule) return amqplibModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    amqplibModule = require('amqplib') as Amqplib;
  } catch (error) {
    throw new TransportPackageMissingError('amqplib', { cause: error });
  }
  return amqplibModule;
}

/** Options of {@link RabbitMqTransport.connect}. */
export interface RabbitMqTransportOptions {
  /** `amqp://user:password@host:5672/vhost`. */
  readonly url: string;
  /** The durable topic exchange every message is published to. Default `reactive-domain`. */
  readonly exchange?: string;
  /** Deadline of connecting and of each declaration (default 10 s). */
  readonly timeoutMs?: number;
  /** Heartbeat interval in seconds (default 10): a dead peer is noticed within about two intervals. */
  readonly heartbeatSeconds?: number;
  /** Called when the connection is lost and when reconnecting fails (default: a process warning). */
  readonly onConnectionError?: (error: unknown) => void;
}

interface Live {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  readonly generation: number;
}

/**
 * {@link MessageTransport} over RabbitMQ with `amqplib` 2.x (AMQP 0-9-1).
 *
 * - One durable topic exchange; a publish is persistent and awaited for its publisher confirm.
 * - A group is a durable quorum queue of the same name, bound with the topic patterns (`>` becomes `#`). Quorum
 *   queues count deliveries (`x-delivery-count`, which gives `attempt`) and have a delivery limit: the policy
 *   dead-letters on the attempt that reaches `maxDeliveries`; the queue's own limit (one more) dead-letters a
 *   message that crashed every instance before it could be settled, through the exchange to the same dead-letter
 *   topic (reason then in RabbitMQ's `x-death` header).
 * - Instances share the queue with `prefetch` unacked deliveries each; a closed channel's unacked deliveries go
 *   back to the queue at once.
 * - Ephemeral groups are classic auto-delete queues that expire 60 s after their last consumer left.
 * - The connection is re-established with backoff when lost; subscriptions consume again on the new connection.
 *   Publishes in flight when it drops reject ({@link index!PublishNotConfirmedError}): publish again (receivers dedup).
 */
export class RabbitMqTransport implements MessageTransport {
  readonly name = 'rabbitmq';
  private live: Live | undefined;
  private connecting: Promise<Live> | undefined;
  private generation = 0;
  private closing: Promise<void> | undefined;
  private readonly subscriptions = new Set<RabbitSubscription>();
  private readonly declared = new Map<string, Promise<void>>();
  /** The exchange name. */
  readonly exchange: string;
  private readonly timeoutMs: number;
  private readonly heartbeat: number;
  private readonly reportError: (error: unknown) => void;

  private constructor(private readonly options: RabbitMqTransportOptions) {
    this.exchange = options.exchange ?? 'reactive-domain';
    this.timeoutMs = validTimeoutMs(options.timeoutMs ?? 10_000, 'timeoutMs');
    this.heartbeat = validPositiveInteger(options.heartbeatSeconds ?? 10, 'heartbeatSeconds');
    this.reportError =
      options.onConnectionError ??
      ((error) =>
        logSafely(
          'warn',
          { type: 'Warning', code: 'RD_TRANSPORT', err: error },
          `Transport rabbitmq: ${error instanceof Error ? error.message : String(error)}`,
        ));
  }

  /** Connects and declares the exchange. */
  static async connect(options: RabbitMqTransportOptions): Promise<RabbitMqTransport> {
    loadAmqplib();
    const transport = new RabbitMqTransport(options);
    await transport.connection();
    return transport;
  }

  /** The live connection, connecting when there is none. */
  private connection(): Promise<Live> {
    if (this.closing) return Promise.reject(new TransportClosedError(this.name, 'connect'));
    if (this.live) return Promise.resolve(this.live);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<Live> {
    const amqplib = loadAmqplib();
    const url = new URL(this.options.url);
    url.searchParams.set('heartbeat', String(this.heartbeat));
    const model = await withDeadline(
      this.name,
      `connect to ${url.host}`,
      this.timeoutMs,
      undefined,
      amqplib.connect(url.toString(), { timeout: this.timeoutMs, noDelay: true }),
    );
    try {
      const publisher = await model.createConfirmChannel();
      await publisher.assertExchange(this.exchange, 'topic', { durable: true });
      const live: Live = { model, publisher, generation: ++this.generation };
      model.on('error', (error: Error) => this.reportError(error));
      publisher.on('error', (error: Error) => this.reportError(error));
      model.on('close', () => this.lost(live));
      publisher.on('close', () => this.lost(live));
      this.live = live;
      return live;
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  /** The connection (or its publish channel) is gone: forget it and, while subscribed, reconnect with backoff. */
  private lost(live: Live): void {
    if (this.live !== live) return;
    this.live = undefined;
    live.model.close().catch(() => undefined);
    this.declared.clear();
    if (this.closing || this.subscriptions.size === 0) return;
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      await delay(Math.min(100 * 2 ** attempt, 5_000));
      if (this.closing) return;
      try {
        await this.connection();
        for (const subscription of this.subscriptions) await subscription.attach();
        return;
      } catch (error) {
        this.reportError(error);
      }
    }
  }

  async publish(topic: string, message: TransportMessage, options?: PublishOptions): Promise<void> {
    assertTopic(topic);
    assertTransportMessage(message);
    await this.publishRaw(topic, message, options);
  }

  private async publishRaw(
    topic: string,
    message: TransportMessage,
    options?: PublishOptions,
  ): Promise<void> {
    const operation = `publish to ${topic}`;
    if (this.closing) throw new TransportClosedError(this.name, operation);
    const timeoutMs = publishDeadline(this.name, operation, options);
    const confirmed = (async () => {
      // The live channel when there is one (no extra turn of the event loop per publish), else (re)connect.
      const { publisher } = this.live ?? (await this.connection());
      const properties: Options.Publish = {
        persistent: true,
        contentType: 'application/json',
        messageId: message.messageId,
        type: message.type,
        headers: toWireHeaders(message),
      };
      if (message.correlationId) properties.correlationId = message.correlationId;
      await new Promise<void>((resolve, reject) => {
        try {
          publisher.publish(this.exchange, topic, Buffer.from(message.body), properties, (error: unknown) =>
            error ? reject(error) : resolve(),
          );
        } catch (error) {
          reject(error);
        }
      });
    })();
    try {
      await withDeadline(this.name, operation, timeoutMs, options?.signal, confirmed);
    } catch (error) {
      throw publishFailure(this.name, operation, topic, message.messageId, error, this.closing !== undefined);
    }
  }

  async ensureGroup(options: GroupOptions): Promise<void> {
    checkGroup(options);
    const key = JSON.stringify([options.group, options.topics, options.maxDeliveries, options.ephemeral]);
    let declared = this.declared.get(key);
    if (!declared) {
      declared = withDeadline(
        this.name,
        `declare group ${options.group}`,
        this.timeoutMs,
        undefined,
        this.declare(options),
      );
      this.declared.set(key, declared);
      declared.catch(() => this.declared.delete(key));
    }
    await declared;
    const deadLetters = deadLetterGroupOf(options);
    if (deadLetters) await this.ensureGroup(deadLetters);
  }

  private async declare(options: GroupOptions): Promise<void> {
    const { model } = await this.connection();
    // A declaration that fails closes its channel: never use the publish channel for it.
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      const maxDeliveries = options.maxDeliveries ?? 5;
      const queueOptions: Options.AssertQueue = options.ephemeral
        ? { durable: false, autoDelete: true, arguments: { 'x-expires': 60_000 } }
        : {
            durable: true,
            arguments: {
              'x-queue-type': 'quorum',
              'x-delivery-limit': maxDeliveries,
              ...(isDeadLetterGroup(options.group)
                ? {}
                : {
                    'x-dead-letter-exchange': this.exchange,
                    'x-dead-letter-routing-key': deadLetterTopic(options.group),
                  }),
            },
          };
      await channel.assertQueue(options.group, queueOptions);
      for (const topic of options.topics) {
        await channel.bindQueue(options.group, this.exchange, topic.replace(/(^|\.)>$/, '$1#'));
      }
    } catch (error) {
      throw new RabbitMqDeclarationError(options.group, error);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async subscribe(
    options: TransportSubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<TransportSubscription> {
    const { prefetch, maxDeliveries } = subscriptionLimits(options);
    await this.ensureGroup(options);
    const subscription = new RabbitSubscription(
      this,
      options,
      prefetch,
      maxDeliveries,
      handler,
      options.onError ?? warnTransportError(this.name, options.group),
      () => this.subscriptions.delete(subscription),
    );
    await subscription.attach();
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** @internal A new consumer channel on the live connection. */
  async consumerChannel(): Promise<{ channel: Channel; generation: number }> {
    const live = await this.connection();
    const channel = await live.model.createChannel();
    channel.on('error', () => undefined);
    return { channel, generation: live.generation };
  }

  /** @internal */
  isCurrent(generation: number): boolean {
    return this.live?.generation === generation;
  }

  /** @internal Publishes the dead-letter copy of a message. */
  async publishDeadLetter(
    group: string,
    topic: string,
    message: TransportMessage,
    attempt: number,
    reason: string,
  ): Promise<void> {
    await this.publishRaw(deadLetterTopic(group), deadLetterCopy(message, topic, attempt, reason));
  }

  /**
   * Deletes the given groups' queues with their dead-letter queues, then (unless `keepExchange`) the exchange
   * (tests, teardown).
   */
  async deleteTopology(groups: readonly string[], keepExchange = false): Promise<void> {
    const { model } = await this.connection();
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      for (const group of groups) {
        await channel.deleteQueue(group).catch(() => undefined);
        await channel.deleteQueue(deadLetterGroup(group)).catch(() => undefined);
      }
      if (!keepExchange) await channel.deleteExchange(this.exchange);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Names of the groups this transport declared (for cleanup in tests). */
  get declaredGroups(): string[] {
    return [...new Set([...this.declared.keys()].map((key) => (JSON.parse(key) as [string])[0]))];
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const subscription of this.subscriptions) subscription.abandon();
      this.subscriptions.clear();
      const live = this.live;
      this.live = undefined;
      if (live)
        await withDeadline(this.name, 'close', this.timeoutMs, undefined, live.model.close()).catch(
          () => undefined,
        );
    })();
    return this.closing;
  }
}

class RabbitSubscription implements TransportSubscription {
  private closedFlag = false;
  private closing: Promise<void> | undefined;
  private current: { channel: Channel; generation: number; tag: string } | undefined;
  /** Deliveries whose handler is running (close waits for them). */
  private readonly running = new Set<Promise<void>>();
  readonly group: string;

  constructor(
    private readonly transport: RabbitMqTransport,
    private readonly options: TransportSubscribeOptions,
    private readonly prefetch: number,
    private readonly maxDeliveries: number,
    private readonly handler: DeliveryHandler,
    private readonly onError: (error: unknown) => void,
    private readonly forget: () => void,
  ) {
    this.group = options.group;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Consumes on the live connection (again, after a reconnect). */
  async attach(): Promise<void> {
    if (this.closedFlag) return;
    if (this.current && this.transport.isCurrent(this.current.generation)) return; // consuming already
    // Declared again on every (re)connect: an ephemeral queue died with the old connection.
    await this.transport.ensureGroup(this.options);
    const { channel, generation } = await this.transport.consumerChannel();
    await channel.prefetch(this.prefetch);
    const { consumerTag } = await channel.consume(this.group, (msg) => {
      if (msg) this.start(channel, generation, msg);
    });
    this.current = { channel, generation, tag: consumerTag };
  }

  private start(channel: Channel, generation: number, msg: ConsumeMessage): void {
    const raw = msg.properties.headers ?? {};
    let message: TransportMessage;
    try {
      message = fromWireHeaders(
        (name) => headerText(raw[name]),
        Object.keys(raw),
        msg.content.toString('utf8'),
      );
    } catch (error) {
      this.onError(error);
      channel.nack(msg, false, false); // unreadable: to the dead-letter exchange, never redelivered forever
      return;
    }
    const count = Number(raw['x-delivery-count'] ?? 0);
    const attempt = (Number.isFinite(count) ? count : 0) + 1;
    const topic = msg.fields.routingKey;
    // A settlement on a channel of a lost connection is void: the broker redelivers the message anyway.
    const usable = (): boolean => this.transport.isCurrent(generation);
    const delivery = createDelivery(message, topic, attempt, this.maxDeliveries, {
      ack: async () => {
        if (usable()) settleQuietly(() => channel.ack(msg));
      },
      retry: async () => {
        if (usable()) settleQuietly(() => channel.nack(msg, false, true));
      },
      deadLetter: async (reason) => {
        await this.transport.publishDeadLetter(this.group, topic, message, attempt, reason);
        if (usable()) settleQuietly(() => channel.ack(msg));
      },
    });
    const run = runDelivery(delivery, this.handler, this.onError).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** The connection closed: the broker requeues everything unacked. */
  abandon(): void {
    this.closedFlag = true;
    this.closing ??= Promise.resolve();
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.closedFlag = true;
      const current = this.current;
      if (current && this.transport.isCurrent(current.generation)) {
        await current.channel.cancel(current.tag).catch(() => undefined);
      }
      await Promise.race([Promise.allSettled(this.running), delay(10_000)]);
      if (current) await current.channel.close().catch(() => undefined); // unacked go back to the queue
      this.forget();
    })();
    return this.closing;
  }
}

/** A header value as text (a byte-array header, as another publisher may send, arrives as a `Buffer`). */
function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/**
 * Settles on a channel that may have closed meanwhile (the subscription's close, a channel error). amqplib then
 * throws; the broker has requeued the message already, so there is nothing left to settle.
 */
function settleQuietly(settle: () => void): void {
  try {
    settle();
  } catch {
    // channel closed: the message is back in the queue
  }
}
