import type { MsgHdrs, NatsConnection, ConnectionOptions } from '@nats-io/transport-node';
import type * as NatsNodePackage from '@nats-io/transport-node';
import type * as JetStreamPackage from '@nats-io/jetstream';
import type {
  ConsumerConfig,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import {
  TransportClosedError,
  TransportPackageMissingError,
  assertTopic,
  assertTransportMessage,
  checkGroup,
  createDelivery,
  deadLetterCopy,
  deadLetterGroupOf,
  deadLetterTopic,
  delay,
  fromWireHeaders,
  publishDeadline,
  publishFailure,
  subscriptionLimits,
  runDelivery,
  toWireHeaders,
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
import { NatsFeatureUnsupportedError } from './nats.errors';

/** The two NATS packages, loaded. */
export interface NatsModules {
  /** `@nats-io/transport-node`. */
  readonly nats: typeof NatsNodePackage;
  /** `@nats-io/jetstream`. */
  readonly jetstream: typeof JetStreamPackage;
}
let modules: NatsModules | undefined;

/** Loads the optional peers `@nats-io/transport-node` and `@nats-io/jetstream` on first use. */
export function loadNatsModules(): NatsModules {
  if (modules) return modules;
  const load = <T>(name: string): T => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name) as T;
    } catch (error) {
      throw new TransportPackageMissingError(name, { cause: error });
    }
  };
  modules = {
    nats: load<typeof NatsNodePackage>('@nats-io/transport-node'),
    jetstream: load<typeof JetStreamPackage>('@nats-io/jetstream'),
  };
  return modules;
}

/** Options of {@link NatsTransport.connect}. */
export interface NatsTransportOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | string[];
  /** JetStream stream that keeps the messages (created or updated on connect). Default `REACTIVE_DOMAIN`. */
  readonly stream?: string;
  /** Subject prefix: topic `orders.placed` is subject `<prefix>.orders.placed`. Default `rd`. */
  readonly subjectPrefix?: string;
  /** How long the stream keeps a message (default 7 days); consumers that fall further behind lose messages. */
  readonly maxAgeMs?: number;
  /** Window in which the server drops a second publish with the same `Nats-Msg-Id` (default 2 min). */
  readonly duplicateWindowMs?: number;
  /** Deadline of connecting and of each management call (default 10 s). */
  readonly timeoutMs?: number;
  /** Further connection options for `@nats-io/transport-node` (reconnect settings, credentials...). */
  readonly connection?: Partial<ConnectionOptions>;
}

const DAY_MS = 86_400_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const nanos = (ms: number): number => Math.round(ms * 1_000_000);

/**
 * {@link MessageTransport} over NATS JetStream (`@nats-io/transport-node` + `@nats-io/jetstream` 3.x, checked on
 * Node 20 and server 2.9.10).
 *
 * - One stream (limits retention, `maxAgeMs`) captures `<prefix>.>`. A publish is a JetStream publish awaited for
 *   its PubAck (the server stored it), with `Nats-Msg-Id` = the message id: a second publish of the same id within
 *   `duplicateWindowMs` is dropped by the server (a forwarder that replays after a crash does not even reach the
 *   inbox).
 * - A group is a durable pull consumer (explicit ack, `max_deliver` = maxDeliveries + 1 as a safety net, `ack_wait` =
 *   ackTimeoutMs, deliver policy `new`). Instances of a group pull from the same consumer and compete. A crashed
 *   instance's unacked messages are redelivered after `ack_wait`.
 * - Dead letters are published (their own msg id) to `dead-letter.<group>`, kept by the durable consumer of
 *   `<group>.dead-letters`, then the original is terminated.
 * - Group names become durable names with `.` replaced by `_`. Several topics per group need server 2.10
 *   (`filter_subjects`); on older servers {@link NatsFeatureUnsupportedError}.
 */
export class NatsTransport implements MessageTransport {
  readonly name = 'nats';
  private closing: Promise<void> | undefined;
  private readonly subscriptions = new Set<NatsSubscription>();

  private constructor(
    /** The connection (owned: closed by {@link close}). */
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The JetStream stream name. */
    readonly stream: string,
    /** The subject prefix. */
    readonly subjectPrefix: string,
    private readonly timeoutMs: number,
  ) {}

  /** Connects, then creates (or updates) the stream. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const { nats, jetstream } = loadNatsModules();
    const stream = options.stream ?? 'REACTIVE_DOMAIN';
    const prefix = options.subjectPrefix ?? 'rd';
    assertTopic(prefix, 'subjectPrefix');
    const timeoutMs = validTimeoutMs(options.timeoutMs ?? 10_000, 'timeoutMs');
    const connection = await withDeadline(
      'nats',
      `connect to ${String(options.servers)}`,
      timeoutMs,
      undefined,
      nats.connect({
        servers: options.servers,
        timeout: timeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        ...options.connection,
      }),
    );
    try {
      const jsm = await withDeadline(
        'nats',
        'open JetStream',
        timeoutMs,
        undefined,
        jetstream.jetstreamManager(connection, { timeout: timeoutMs }),
      );
      const config = {
        name: stream,
        subjects: [`${prefix}.>`],
        retention: jetstream.RetentionPolicy.Limits,
        storage: jetstream.StorageType.File,
        max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
        duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
      };
      const existing = await jsm.streams.info(stream).catch(() => undefined);
      if (existing) await jsm.streams.update(stream, config);
      else await jsm.streams.add(config);
      return new NatsTransport(
        connection,
        jetstream.jetstream(connection, { timeout: timeoutMs }),
        jsm,
        stream,
        prefix,
        timeoutMs,
      );
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** Subject of a topic. */
  subjectOf(topic: string): string {
    return `${this.subjectPrefix}.${topic}`;
  }

  async publish(topic: string, message: TransportMessage, options?: PublishOptions): Promise<void> {
    assertTopic(topic);
    assertTransportMessage(message);
    await this.publishRaw(topic, message, message.messageId, options);
  }

  private async publishRaw(
    topic: string,
    message: TransportMessage,
    msgID: string,
    options?: PublishOptions,
  ): Promise<void> {
    const operation = `publish to ${topic}`;
    if (this.closing || this.connection.isClosed()) throw new TransportClosedError(this.name, operation);
    const timeoutMs = publishDeadline(this.name, operation, options);
    const { nats } = loadNatsModules();
    const headers: MsgHdrs = nats.headers();
    for (const [name, value] of Object.entries(toWireHeaders(message))) headers.set(name, value);
    const ack = this.js.publish(this.subjectOf(topic), encoder.encode(message.body), {
      msgID,
      headers,
      timeout: timeoutMs,
    });
    try {
      await withDeadline(this.name, operation, timeoutMs + 1_000, options?.signal, ack);
    } catch (error) {
      const closed = this.closing !== undefined || this.connection.isClosed();
      throw publishFailure(this.name, operation, topic, message.messageId, error, closed);
    }
  }

  async ensureGroup(options: GroupOptions): Promise<void> {
    checkGroup(options);
    if (this.closing) throw new TransportClosedError(this.name, `declare group ${options.group}`);
    const { jetstream } = loadNatsModules();
    const topics = options.topics.map((t) => this.subjectOf(t));
    const ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    const maxDeliveries = options.maxDeliveries ?? 5;
    const config: Partial<ConsumerConfig> = {
      durable_name: durableName(options.group),
      ack_policy: jetstream.AckPolicy.Explicit,
      deliver_policy: jetstream.DeliverPolicy.New,
      ack_wait: nanos(ackTimeoutMs),
      // One more than the policy's limit: the limit is enforced by dead-lettering; this only stops a message that
      // crashes every instance before its handler can settle it (the server then gives up on it).
      max_deliver: maxDeliveries + 1,
      max_ack_pending: 10_000,
    };
    if (options.ephemeral) config.inactive_threshold = nanos(Math.max(ackTimeoutMs, 60_000));
    if (topics.length === 1) config.filter_subject = topics[0] as string;
    else {
      const version = this.connection.info?.version ?? '0.0.0';
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < 2 || (major === 2 && minor < 10)) {
        throw new NatsFeatureUnsupportedError(
          `group ${options.group}: several topics per group need NATS server 2.10+ (filter_subjects); ` +
            `this server is ${version}. Use one topic pattern, e.g. "orders.>"`,
        );
      }
      config.filter_subjects = topics;
    }
    await withDeadline(
      this.name,
      `declare group ${options.group}`,
      this.timeoutMs,
      undefined,
      this.addConsumer(config),
    );
    const deadLetters = deadLetterGroupOf(options);
    if (deadLetters) await this.ensureGroup(deadLetters);
  }

  private async addConsumer(config: Partial<ConsumerConfig>): Promise<void> {
    const name = config.durable_name as string;
    const existing = await this.jsm.consumers.info(this.stream, name).catch(() => undefined);
    if (!existing) {
      await this.jsm.consumers.add(this.stream, config);
      return;
    }
    if (
      existing.config.filter_subject !== config.filter_subject ||
      existing.config.ack_wait !== config.ack_wait ||
      existing.config.max_deliver !== config.max_deliver
    ) {
      // Changeable settings are updated; the deliver policy of an existing consumer stays.
      await this.jsm.consumers.update(this.stream, name, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        filter_subject: config.filter_subject,
      });
    }
  }

  async subscribe(
    options: TransportSubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<TransportSubscription> {
    const { prefetch, maxDeliveries } = subscriptionLimits(options);
    await this.ensureGroup(options);
    const consumer = await withDeadline(
      this.name,
      `open group ${options.group}`,
      this.timeoutMs,
      undefined,
      this.js.consumers.get(this.stream, durableName(options.group)),
    );
    const messages = await consumer.consume({ max_messages: prefetch });
    const subscription = new NatsSubscription(
      this,
      options,
      prefetch,
      maxDeliveries,
      messages,
      handler,
      options.onError ?? warnTransportError(this.name, options.group),
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** @internal Publishes the dead-letter copy of a message. */
  async publishDeadLetter(
    group: string,
    topic: string,
    message: TransportMessage,
    attempt: number,
    reason: string,
  ): Promise<void> {
    // Its own Nats-Msg-Id: the original's id is inside the duplicate window and would be dropped.
    await this.publishRaw(
      deadLetterTopic(group),
      deadLetterCopy(message, topic, attempt, reason),
      `${message.messageId}:dead-letter:${group}`,
    );
  }

  /** @internal Deletes an ephemeral group's consumer. */
  async deleteGroup(group: string): Promise<void> {
    await withDeadline(
      this.name,
      `delete group ${group}`,
      this.timeoutMs,
      undefined,
      this.jsm.consumers.delete(this.stream, durableName(group)),
    ).catch(() => undefined);
  }

  /** Deletes the stream and every group in it (tests, teardown). */
  async deleteStream(): Promise<void> {
    await withDeadline(
      this.name,
      `delete stream ${this.stream}`,
      this.timeoutMs,
      undefined,
      this.jsm.streams.delete(this.stream),
    );
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const subscription of this.subscriptions) subscription.abandon();
      this.subscriptions.clear();
      await withDeadline(this.name, 'close', this.timeoutMs, undefined, this.connection.close()).catch(
        () => undefined,
      );
    })();
    return this.closing;
  }
}

/** A durable name for a group (NATS durable names cannot contain `.`). */
function durableName(group: string): string {
  return group.replace(/\./g, '_');
}

class NatsSubscription implements TransportSubscription {
  private closedFlag = false;
  private closing: Promise<void> | undefined;
  private readonly running = new Map<Promise<void>, JsMsg>();
  private readonly loop: Promise<void>;
  readonly group: string;

  constructor(
    private readonly transport: NatsTransport,
    private readonly options: TransportSubscribeOptions,
    private readonly prefetch: number,
    private readonly maxDeliveries: number,
    private readonly messages: ConsumerMessages,
    private readonly handler: DeliveryHandler,
    private readonly onError: (error: unknown) => void,
    private readonly forget: () => void,
  ) {
    this.group = options.group;
    this.loop = this.pump();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private async pump(): Promise<void> {
    try {
      for await (const msg of this.messages) {
        if (this.closedFlag) {
          msg.nak();
          continue;
        }
        this.start(msg);
        while (this.running.size >= this.prefetch) await Promise.race(this.running.keys());
      }
    } catch (error) {
      if (!this.closedFlag) this.onError(error);
    }
  }

  private start(msg: JsMsg): void {
    const topic = msg.subject.slice(this.transport.subjectPrefix.length + 1);
    let message: TransportMessage;
    try {
      const headers = msg.headers;
      message = fromWireHeaders(
        (name) => headers?.get(name) || undefined,
        headers ? headers.keys() : [],
        decoder.decode(msg.data),
      );
    } catch (error) {
      // Not ours to read: never redeliver it forever; report and terminate.
      this.onError(error);
      msg.term(String(error));
      return;
    }
    const attempt = msg.info.deliveryCount;
    const delivery = createDelivery(message, topic, attempt, this.maxDeliveries, {
      ack: async () => msg.ack(),
      retry: async () => msg.nak(),
      deadLetter: async (reason) => {
        await this.transport.publishDeadLetter(this.group, topic, message, attempt, reason);
        msg.term(reason.slice(0, 200));
      },
    });
    const run = runDelivery(delivery, this.handler, this.onError).finally(() => this.running.delete(run));
    this.running.set(run, msg);
  }

  /** Stops pulling; unsettled messages are left to the server's ack wait (used when the connection closes). */
  abandon(): void {
    this.closedFlag = true;
    this.closing ??= Promise.resolve();
    this.messages.stop();
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.closedFlag = true;
      this.messages.stop();
      await this.loop;
      await Promise.race([Promise.allSettled(this.running.keys()), delay(10_000)]);
      for (const msg of this.running.values()) msg.nak();
      if (this.options.ephemeral) await this.transport.deleteGroup(this.group);
      this.forget();
    })();
    return this.closing;
  }
}
