import { InMemoryCheckpointStore } from '../../src/foundation/subscriptions/in-memory-checkpoint-store';
import { ListenerSources } from '../../src/foundation/subscriptions/listener-source';
import { InMemoryStreamStore } from '../../src/persistence/in-memory-stream-store';
import {
  type TransportDelivery,
  InMemoryBroker,
  InMemoryInboxStore,
  InMemoryTransport,
  LogForwarder,
  type MessageTransport,
  type PublishOptions,
  PublishNotConfirmedError,
  type TransportMessage,
  withInbox,
} from '../../src/transport';
import { waitUntil } from '../../src/testing/contracts';
import { AddItem, ItemAdded, appendItems, codec } from './transport-fixtures';

/** Fails chosen publishes (by call number), as a broker that drops the connection would. */
class FlakyTransport extends InMemoryTransport {
  calls = 0;
  failOn = new Set<number>();
  override async publish(topic: string, message: TransportMessage, options?: PublishOptions): Promise<void> {
    const call = ++this.calls;
    if (this.failOn.has(call)) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      throw new PublishNotConfirmedError(this.name, topic, message.messageId, new Error('connection reset'));
    }
    return super.publish(topic, message, options);
  }
}

async function consume(transport: MessageTransport, group: string, inbox: InMemoryInboxStore) {
  const handled: TransportDelivery[] = [];
  const duplicates: TransportDelivery[] = [];
  const subscription = await transport.subscribe(
    { group, topics: ['events.>'], prefetch: 1 },
    withInbox(inbox, group, (delivery) => void handled.push(delivery), {
      onDuplicate: (d) => duplicates.push(d),
    }),
  );
  return { handled, duplicates, subscription };
}

describe('LogForwarder', () => {
  it('publishes every event with its ids, topic and log place, and checkpoints what the broker confirmed', async () => {
    const store = new InMemoryStreamStore();
    const transport = new InMemoryTransport();
    const checkpoints = new InMemoryCheckpointStore();
    const inbox = new InMemoryInboxStore();
    const { handled } = await consume(transport, 'reader', inbox);
    const ids = await appendItems(store, 20, 3);
    const forwarder = new LogForwarder({ name: 'out', store, transport, checkpoints });
    await forwarder.start();
    await waitUntil(() => handled.length === 20, 10_000, '20 events');
    await forwarder.stop();
    expect(handled.map((d) => d.message.messageId)).toEqual(ids);
    const first = handled[0] as TransportDelivery;
    expect(first.topic).toBe('events.cart.Cart_ItemAdded');
    expect(first.message.headers).toEqual({ stream: 'cart-c0', revision: '0', position: expect.any(String) });
    const event = codec.decode<ItemAdded>(first.message);
    expect(event).toBeInstanceOf(ItemAdded);
    expect(event.msgId).toBe(ids[0]);
    expect(event.correlationId).toBe(first.message.correlationId);
    expect(event.causationId).toBe(first.message.causationId);
    expect(event.correlationId).toBeDefined();
    const saved = (await checkpoints.load('out')).get('$all');
    expect(saved).toEqual({ kind: 'all', position: forwarder.stats.confirmedPosition });
    expect(
      saved?.kind === 'all' &&
        saved.position === BigInt((handled[19] as TransportDelivery).message.headers?.position ?? -1),
    ).toBe(true);
  });

  it('resumes after its checkpoint: a restarted forwarder publishes only what was not confirmed', async () => {
    const store = new InMemoryStreamStore();
    const transport = new InMemoryTransport();
    const checkpoints = new InMemoryCheckpointStore();
    const { handled } = await consume(transport, 'reader', new InMemoryInboxStore());
    await appendItems(store, 10, 2);
    const first = new LogForwarder({ name: 'out', store, transport, checkpoints });
    await first.start();
    await waitUntil(() => handled.length === 10, 10_000, 'first 10');
    await first.stop();
    await appendItems(store, 5, 2, 10);
    const second = new LogForwarder({ name: 'out', store, transport, checkpoints });
    await second.start();
    await waitUntil(() => handled.length === 15, 10_000, 'next 5');
    await second.stop();
    expect(handled.map((d) => codec.decode<ItemAdded>(d.message).n)).toEqual([...Array(15).keys()]);
  });

  it('republishes from the last confirmed event after a failed publish; the inbox absorbs the duplicates', async () => {
    const store = new InMemoryStreamStore();
    const broker = new InMemoryBroker();
    const transport = new FlakyTransport({ broker });
    transport.failOn = new Set([7, 30]);
    const errors: Error[] = [];
    const inbox = new InMemoryInboxStore();
    const { handled, duplicates } = await consume(new InMemoryTransport({ broker }), 'reader', inbox);
    const ids = await appendItems(store, 50, 4);
    const forwarder = new LogForwarder({
      name: 'out',
      store,
      transport,
      checkpoints: new InMemoryCheckpointStore(),
      maxInFlight: 8,
      onError: (e) => errors.push(e),
    });
    await forwarder.start();
    await waitUntil(() => handled.length === 50, 10_000, 'all 50 handled');
    await forwarder.stop();
    expect(new Set(handled.map((d) => d.message.messageId))).toEqual(new Set(ids));
    expect(handled).toHaveLength(50);
    expect(errors).toHaveLength(2);
    expect(errors[0]?.message).toMatch(/connection reset/);
    expect(forwarder.stats.failures).toBe(2);
    // Every confirmed publish reaches the consumer (duplicates may still be on their way when the 50th arrives).
    await waitUntil(
      () => forwarder.stats.published === 50 + duplicates.length + 2,
      10_000,
      'every confirmed publish delivered',
    );
    expect(duplicates.length).toBeGreaterThan(0);
  });

  it('forwards only the chosen source', async () => {
    const store = new InMemoryStreamStore();
    const transport = new InMemoryTransport();
    const { handled } = await consume(transport, 'reader', new InMemoryInboxStore());
    await appendItems(store, 4, 2);
    await store.appendToStream('other-1', 'any', [
      { eventId: crypto.randomUUID(), type: 'Other', data: '{}', metadata: '{}' },
    ]);
    const forwarder = new LogForwarder({
      name: 'out',
      store,
      transport,
      checkpoints: new InMemoryCheckpointStore(),
      source: ListenerSources.category('cart'),
    });
    await forwarder.start();
    await waitUntil(() => handled.length === 4, 10_000, '4 cart events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await forwarder.stop();
    expect(handled.every((d) => d.message.type === 'Cart.ItemAdded')).toBe(true);
    expect(
      () =>
        new LogForwarder({
          name: 'x',
          store,
          transport,
          checkpoints: new InMemoryCheckpointStore(),
          source: ListenerSources.stream('cart-c0'),
        }),
    ).toThrow(/not one stream/);
    expect(AddItem).toBeDefined();
  });
});
