import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type {
  TransportDelivery,
  MessageTransport,
  TransportSubscription,
} from '../../transport/message-transport';
import {
  WIRE_HEADERS,
  deadLetterGroup,
  deadLetterTopic,
  type TransportMessage,
} from '../../transport/transport-message';
import { eventually } from './contract-support';

/** How {@link transportContract} gets transports to test. */
export interface TransportContractTarget {
  /**
   * A new, independent transport (its own connection, like another process) to the SAME broker as the others the
   * suite creates. The suite closes every transport it creates.
   */
  create(): Promise<MessageTransport> | MessageTransport;
  /** Runs once after the suite (delete the broker-side objects the run created). */
  cleanup?(): Promise<void>;
  /**
   * `ackTimeoutMs` the crash test declares its group with (default 1,500): how soon the broker gives an abandoned
   * delivery to another instance. RabbitMQ does it at once on disconnect; NATS waits for this.
   */
  readonly ackTimeoutMs?: number;
  /** Upper bound of any single wait in the suite (default 20 s). */
  readonly waitMs?: number;
}

type TestFn = (name: string, fn: () => Promise<void>, timeout?: number) => void;
interface TestApi {
  readonly describe: (name: string, body: () => void) => void;
  readonly it: TestFn;
  readonly afterAll: (fn: () => Promise<void>, timeout?: number) => void;
}

/** The host test framework's globals (Jest, Vitest with globals, Mocha's `after`), found at call time. */
function testApi(): TestApi {
  const g = globalThis as Record<string, unknown>;
  const describe = g.describe as TestApi['describe'] | undefined;
  const it = g.it as TestFn | undefined;
  const afterAll = (g.afterAll ?? g.after) as TestApi['afterAll'] | undefined;
  if (!describe || !it || !afterAll) {
    throw new Error(
      'transportContract must be called from a test file (describe/it/afterAll globals not found)',
    );
  }
  return { describe, it, afterAll };
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs` ({@link eventually}, arguments reordered). */
export function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return eventually(condition, what, timeoutMs);
}

function message(overrides: Partial<TransportMessage> = {}): TransportMessage {
  return { messageId: randomUUID(), type: 'ContractPing', body: '{"n":1}', ...overrides };
}

/**
 * The contract every {@link MessageTransport} must pass: confirmed publish, the wire format of every field,
 * fan-out across groups, competing instances within a group, redelivery, dead letters after N attempts (visible in
 * the dead-letter group with their reason), redelivery of a crashed instance's unsettled messages, typed errors.
 * Call it from a test file: `transportContract('rabbitmq', { create: () => RabbitMqTransport.connect(url) })`.
 * Topic and group names are unique per run, so a shared broker can be used.
 */
export function transportContract(name: string, target: TransportContractTarget): void {
  const { describe, it, afterAll } = testApi();
  const waitMs = target.waitMs ?? 20_000;
  const testTimeout = waitMs * 2 + 10_000;
  const run = `c${randomUUID().slice(0, 8)}`;
  const opened: MessageTransport[] = [];
  const subscriptions: TransportSubscription[] = [];
  let counter = 0;
  const unique = (what: string): string => `${run}.${what}${++counter}`;

  const open = async (): Promise<MessageTransport> => {
    const transport = await target.create();
    opened.push(transport);
    return transport;
  };
  const collect = async (
    transport: MessageTransport,
    group: string,
    topics: string[],
    into: TransportDelivery[],
    options: { prefetch?: number; maxDeliveries?: number; ackTimeoutMs?: number } = {},
    handle?: (delivery: TransportDelivery) => void | Promise<void>,
  ): Promise<TransportSubscription> => {
    const subscription = await transport.subscribe({ group, topics, ...options }, async (delivery) => {
      into.push(delivery);
      if (handle) await handle(delivery);
    });
    subscriptions.push(subscription);
    return subscription;
  };

  describe(`MessageTransport contract: ${name}`, () => {
    afterAll(async () => {
      for (const subscription of subscriptions) await subscription.close().catch(() => undefined);
      for (const transport of opened) await transport.close().catch(() => undefined);
      await target.cleanup?.();
    }, testTimeout);

    it(
      'delivers a confirmed publish with every field intact',
      async () => {
        const transport = await open();
        const topic = unique('fields');
        const got: TransportDelivery[] = [];
        await collect(transport, unique('g'), [topic], got);
        const sent = message({
          type: 'Orders.Placed',
          body: JSON.stringify({ text: 'ünïcødé "quoted"', n: 42 }),
          metadata: '{"$correlationId":"c","schemaVersion":1}',
          correlationId: randomUUID(),
          causationId: randomUUID(),
          tenant: 'tenant-7',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          tracestate: 'rd=1',
          headers: { 'user-id': 'u-1', region: 'eu' },
        });
        await transport.publish(topic, sent);
        await waitUntil(() => got.length === 1, waitMs, 'the message');
        const received = got[0] as TransportDelivery;
        assert.equal(received.topic, topic);
        assert.equal(received.attempt, 1);
        for (const key of [
          'messageId',
          'type',
          'body',
          'metadata',
          'correlationId',
          'causationId',
          'tenant',
          'traceparent',
          'tracestate',
        ] as const) {
          assert.equal(received.message[key], sent[key], `field ${key}`);
        }
        assert.deepEqual(received.message.headers, sent.headers);
      },
      testTimeout,
    );

    it(
      'gives every group every message of its topics, and nothing else',
      async () => {
        const transport = await open();
        const base = unique('fan');
        const a: TransportDelivery[] = [];
        const b: TransportDelivery[] = [];
        await collect(transport, unique('ga'), [`${base}.>`], a);
        await collect(transport, unique('gb'), [`${base}.one`], b);
        await transport.publish(`${base}.one`, message({ type: 'One' }));
        await transport.publish(`${base}.two`, message({ type: 'Two' }));
        await transport.publish(`${base}x.one`, message({ type: 'Other' }));
        await waitUntil(() => a.length === 2 && b.length === 1, waitMs, 'both groups');
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(a.map((d) => d.message.type).sort(), ['One', 'Two']);
        assert.deepEqual(
          b.map((d) => d.message.type),
          ['One'],
        );
      },
      testTimeout,
    );

    it(
      'keeps publish order for one group and one instance',
      async () => {
        const transport = await open();
        const topic = unique('order');
        const got: TransportDelivery[] = [];
        await collect(transport, unique('g'), [topic], got, { prefetch: 1 });
        const sent = Array.from({ length: 50 }, (_, i) => message({ body: String(i) }));
        await Promise.all(sent.map((m) => transport.publish(topic, m)));
        await waitUntil(() => got.length === 50, waitMs, '50 messages');
        assert.deepEqual(
          got.map((d) => d.message.body),
          sent.map((m) => m.body),
        );
      },
      testTimeout,
    );

    it(
      'shares a group between instances: each message is handled by exactly one',
      async () => {
        const publisher = await open();
        const topic = unique('compete');
        const group = unique('g');
        const first: TransportDelivery[] = [];
        const second: TransportDelivery[] = [];
        const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
        await collect(await open(), group, [topic], first, { prefetch: 2 }, slow);
        await collect(await open(), group, [topic], second, { prefetch: 2 }, slow);
        const sent = Array.from({ length: 40 }, () => message());
        for (const m of sent) await publisher.publish(topic, m);
        await waitUntil(() => first.length + second.length >= 40, waitMs, '40 deliveries');
        await new Promise((resolve) => setTimeout(resolve, 300));
        const ids = [...first, ...second].map((d) => d.message.messageId);
        assert.equal(ids.length, 40, 'no message handled twice');
        assert.deepEqual(new Set(ids), new Set(sent.map((m) => m.messageId)));
        assert.ok(
          first.length > 0 && second.length > 0,
          `both instances worked (${first.length}/${second.length})`,
        );
      },
      testTimeout,
    );

    it(
      'redelivers a nacked message, counting the attempt',
      async () => {
        const transport = await open();
        const topic = unique('nack');
        const got: TransportDelivery[] = [];
        await collect(transport, unique('g'), [topic], got, { maxDeliveries: 5 }, async (d) => {
          if (d.attempt === 1) await d.nack(new Error('not yet'));
        });
        const sent = message();
        await transport.publish(topic, sent);
        await waitUntil(() => got.length === 2, waitMs, 'the redelivery');
        assert.equal(got[1]?.message.messageId, sent.messageId);
        assert.deepEqual(
          got.map((d) => d.attempt),
          [1, 2],
        );
      },
      testTimeout,
    );

    it(
      'dead-letters a poison message after maxDeliveries attempts, visibly, with the reason',
      async () => {
        const transport = await open();
        const topic = unique('poison');
        const group = unique('g');
        const attempts: TransportDelivery[] = [];
        await collect(transport, group, [topic], attempts, { maxDeliveries: 3 }, () => {
          throw new Error('cannot digest this');
        });
        const poison = message({ headers: { keep: 'me' } });
        await transport.publish(topic, poison);
        const dead: TransportDelivery[] = [];
        await collect(transport, deadLetterGroup(group), [deadLetterTopic(group)], dead);
        await waitUntil(() => dead.length === 1, waitMs, 'the dead letter');
        assert.deepEqual(
          attempts.map((d) => d.attempt),
          [1, 2, 3],
        );
        const letter = dead[0] as TransportDelivery;
        assert.equal(letter.message.messageId, poison.messageId);
        assert.equal(letter.message.headers?.keep, 'me');
        assert.match(letter.message.headers?.[WIRE_HEADERS.deadLetterReason] ?? '', /cannot digest this/);
        assert.equal(letter.message.headers?.[WIRE_HEADERS.originalTopic], topic);
        assert.equal(letter.message.headers?.[WIRE_HEADERS.attempts], '3');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(attempts.length, 3, 'no attempt after the dead letter');
      },
      testTimeout,
    );

    it(
      "gives a crashed instance's unsettled message to another instance",
      async () => {
        const publisher = await open();
        const crashing = await open();
        const topic = unique('crash');
        const group = unique('g');
        const ackTimeoutMs = target.ackTimeoutMs ?? 1_500;
        const held: TransportDelivery[] = [];
        const survivor: TransportDelivery[] = [];
        await collect(
          crashing,
          group,
          [topic],
          held,
          { ackTimeoutMs },
          () => new Promise<void>(() => undefined),
        );
        const sent = message();
        await publisher.publish(topic, sent);
        await waitUntil(() => held.length === 1, waitMs, 'the first delivery');
        await collect(await open(), group, [topic], survivor, { ackTimeoutMs });
        await crashing.close();
        await waitUntil(() => survivor.length === 1, waitMs, 'the redelivery to the other instance');
        assert.equal(survivor[0]?.message.messageId, sent.messageId);
        assert.ok((survivor[0]?.attempt ?? 0) >= 2, 'the redelivery counts as another attempt');
      },
      testTimeout,
    );

    it(
      'rejects bad topics, bad messages, aborted and closed publishes with typed errors',
      async () => {
        const transport = await open();
        await assert.rejects(transport.publish('bad topic', message()), { code: 'INVALID_TOPIC' });
        await assert.rejects(transport.publish('a..b', message()), { code: 'INVALID_TOPIC' });
        await assert.rejects(transport.publish(unique('t'), message({ messageId: '' })), {
          code: 'INVALID_TOPIC',
        });
        await assert.rejects(
          transport.subscribe({ group: 'no spaces', topics: ['x'] }, () => undefined),
          { code: 'INVALID_TOPIC' },
        );
        await assert.rejects(
          transport.publish(unique('t'), message(), { signal: AbortSignal.abort(new Error('stop')) }),
          { code: 'TRANSPORT_ABORTED' },
        );
        const closing = await open();
        await closing.close();
        await assert.rejects(closing.publish(unique('t'), message()), { code: 'TRANSPORT_CLOSED' });
        await closing.close();
      },
      testTimeout,
    );
  });
}
