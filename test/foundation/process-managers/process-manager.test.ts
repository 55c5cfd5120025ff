import { Command, Event, EventTypeRegistry, type ReactiveDomainError } from '../../../src/core';
import { StreamStoreRepository } from '../../../src/foundation/repository/stream-store-repository';
import {
  InMemoryCheckpointStore,
  ListenerSources,
  ProcessCommandError,
  ProcessInputReceived,
  ProcessManager,
  ProcessManagerHost,
  ReadModelHandlerError,
  type CommandDelivery,
} from '../../../src/foundation';
import { CommandDispatcher } from '../../../src/messaging/command-dispatcher';
import { MessageBuilder } from '../../../src/messaging/message-builder';
import { EventSerializer } from '../../../src/persistence/event-serializer';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import { eventually } from '../subscriptions/fixtures';

class OrderPlaced extends Event {
  constructor(readonly orderId: string) {
    super();
  }
}
class StockReserved extends Event {
  constructor(readonly orderId: string) {
    super();
  }
}
class ShippingRequested extends Event {
  constructor(readonly orderId: string) {
    super();
  }
}
/** Not an input of Fulfillment (and shaped differently: the compiler can tell). */
class PaymentRefused extends Event {
  constructor(readonly reason: string) {
    super();
  }
}
class ReserveStock extends Command {
  constructor(readonly orderId: string) {
    super();
  }
}
class ShipOrder extends Command {
  constructor(readonly orderId: string) {
    super();
  }
}

const registry = new EventTypeRegistry()
  .register(OrderPlaced, 'OrderPlaced')
  .register(StockReserved, 'StockReserved')
  .register(ShippingRequested, 'ShippingRequested');
const serializer = new EventSerializer({ registry });

/** Typed inputs: `handle` and the host's `correlate` see `OrderPlaced | StockReserved`. */
class Fulfillment extends ProcessManager<string, OrderPlaced | StockReserved> {
  static readonly typeName = 'Fulfillment';
  static override eventTypes = registry;
  shippingRequested = false;
  protected handle(input: OrderPlaced | StockReserved): void {
    if (input instanceof OrderPlaced) this.send(() => new ReserveStock(input.orderId));
    else if (input instanceof StockReserved) {
      this.raise(new ShippingRequested(input.orderId));
      this.send(() => new ShipOrder(input.orderId));
    }
  }
  protected applyShippingRequested(): void {
    this.shippingRequested = true;
  }
}

describe('ProcessManager', () => {
  let store: FaultyStreamStore;
  let repository: StreamStoreRepository;
  let dispatcher: CommandDispatcher;
  let sent: Command[];
  beforeEach(() => {
    store = new FaultyStreamStore(new InMemoryStreamStore());
    repository = new StreamStoreRepository({ store, serializer });
    dispatcher = new CommandDispatcher();
    sent = [];
    dispatcher.register(ReserveStock, (c) => void sent.push(c));
    dispatcher.register(ShipOrder, (c) => void sent.push(c));
  });
  afterEach(async () => {
    await store.close();
  });

  const host = (delivery?: CommandDelivery, onError?: (e: ReactiveDomainError) => void) =>
    new ProcessManagerHost({
      type: Fulfillment,
      inputs: [OrderPlaced, StockReserved],
      correlate: (e) => e.orderId, // typed by the process manager's inputs: no cast
      store,
      serializer,
      repository,
      dispatcher,
      ...(delivery ? { delivery } : {}),
      ...(onError ? { onError } : {}),
      reconnect: { initialDelayMs: 1 },
    });
  const publish = (stream: string, event: Event) =>
    store.appendToStream(stream, 'any', [serializer.serialize(event)]);

  it('sends commands with correlation carried forward and records its inputs in its own stream', async () => {
    const placed = MessageBuilder.new(() => new OrderPlaced('o1'));
    await publish('order-o1', placed);
    const running = host();
    await running.start(ListenerSources.category('order'));
    await running.whenLive();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(ReserveStock);
    expect(sent[0]!.correlationId).toBe(placed.msgId);
    expect(sent[0]!.causationId).toBe(placed.msgId);

    const instance = await repository.getById(Fulfillment, 'o1');
    expect(instance.hasHandled(placed.msgId)).toBe(true);
    const stream = await store.readStream('fulfillment-o1');
    expect(stream.status === 'ok' && stream.events.map((e) => e.type)).toEqual([
      'ProcessManager.InputReceived',
    ]);
    await running.stop();
  });

  it('types inputs: the host refuses an input class the process manager does not handle (compile time)', async () => {
    const typed = new ProcessManagerHost({
      type: Fulfillment,
      // @ts-expect-error PaymentRefused is not an input of Fulfillment (OrderPlaced | StockReserved)
      inputs: [OrderPlaced, PaymentRefused],
      correlate: (e) => e.orderId,
      store,
      serializer,
      repository,
      dispatcher,
    });
    const untypedInputs = new ProcessManagerHost({
      type: Fulfillment,
      inputs: [OrderPlaced],
      // @ts-expect-error correlate receives OrderPlaced | StockReserved, which has no customerId
      correlate: (e) => e.customerId,
      store,
      serializer,
      repository,
      dispatcher,
    });
    expect(typed.status).toBe('idle');
    expect(untypedInputs.status).toBe('idle');

    // And at run time: waitFor(position) reads the host's own writes.
    const running = host();
    await running.start(ListenerSources.category('order'));
    await running.whenLive();
    const { position } = await publish(
      'order-o9',
      MessageBuilder.new(() => new OrderPlaced('o9')),
    );
    await running.waitFor(position);
    expect(sent.map((c) => (c as ReserveStock).orderId)).toEqual(['o9']);
    await running.stop();
  });

  it('survives a restart without resending a command for an input already handled', async () => {
    const placed = MessageBuilder.new(() => new OrderPlaced('o1'));
    await publish('order-o1', placed);
    const first = host();
    await first.start(ListenerSources.category('order'));
    await first.whenLive();
    await first.stop();
    expect(sent.map((c) => c.constructor.name)).toEqual(['ReserveStock']);

    // A new host with no checkpoint replays the whole category; recorded inputs are skipped.
    const second = host();
    await second.start(ListenerSources.category('order'));
    await second.whenLive();
    expect(sent.map((c) => c.constructor.name)).toEqual(['ReserveStock']);
    expect(second.sentCount).toBe(0);

    const reserved = MessageBuilder.from(sent[0]!).build(() => new StockReserved('o1'));
    await publish('order-o1', reserved);
    await eventually(() => sent.length === 2);
    expect(sent[1]).toBeInstanceOf(ShipOrder);
    expect(sent[1]!.correlationId).toBe(placed.msgId);
    expect(sent[1]!.causationId).toBe(reserved.msgId);
    const instance = await repository.getById(Fulfillment, 'o1');
    expect(instance.shippingRequested).toBe(true);
    expect(instance.handledInputCount).toBe(2);
    await second.stop();
  });

  it('resumes from a checkpoint store when given one', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await publish(
      'order-o1',
      MessageBuilder.new(() => new OrderPlaced('o1')),
    );
    const make = () =>
      new ProcessManagerHost({
        type: Fulfillment,
        inputs: [OrderPlaced],
        correlate: (e) => (e as OrderPlaced).orderId,
        store,
        serializer,
        repository,
        dispatcher,
        checkpoints,
      });
    const first = make();
    await first.start(ListenerSources.category('order'));
    await first.whenLive();
    await first.stop();
    const second = make();
    await second.start(ListenerSources.category('order'));
    await second.whenLive();
    expect(second.handledCount).toBe(0);
    expect(sent).toHaveLength(1);
    await second.stop();
  });

  it('at-most-once: a failed save sends nothing; after the restart the input is handled and sent once', async () => {
    await publish(
      'order-o1',
      MessageBuilder.new(() => new OrderPlaced('o1')),
    );
    store.failNextAppend();
    const first = host(undefined, () => undefined);
    await first.start(ListenerSources.category('order'));
    await expect(first.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
    expect(sent).toHaveLength(0);
    await first.stop();
    const second = host();
    await second.start(ListenerSources.category('order'));
    await second.whenLive();
    expect(sent).toHaveLength(1);
    await second.stop();
  });

  it('at-least-once: a failed save after the send re-sends after the restart (handlers must be idempotent)', async () => {
    await publish(
      'order-o1',
      MessageBuilder.new(() => new OrderPlaced('o1')),
    );
    store.failNextAppend();
    const first = host('at-least-once', () => undefined);
    await first.start(ListenerSources.category('order'));
    await expect(first.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
    expect(sent).toHaveLength(1);
    await first.stop();
    const second = host('at-least-once');
    await second.start(ListenerSources.category('order'));
    await second.whenLive();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.causationId).toBe(sent[1]!.causationId);
    await second.stop();
  });

  it('reports a command that fails to send (at-most-once) and goes on', async () => {
    const failing = new CommandDispatcher();
    failing.register(ReserveStock, () => {
      throw new Error('stock service down');
    });
    const errors: ReactiveDomainError[] = [];
    const running = new ProcessManagerHost({
      type: Fulfillment,
      inputs: [OrderPlaced],
      correlate: (e) => (e as OrderPlaced).orderId,
      store,
      serializer,
      repository,
      dispatcher: failing,
      onError: (e) => errors.push(e),
    });
    await publish(
      'order-o1',
      MessageBuilder.new(() => new OrderPlaced('o1')),
    );
    await publish(
      'order-o2',
      MessageBuilder.new(() => new OrderPlaced('o2')),
    );
    await running.start(ListenerSources.category('order'));
    await running.whenLive();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(ProcessCommandError);
    expect(errors[0]!.message).toMatch(/Fulfillment "o1".*ReserveStock.*stock service down/);
    expect(running.status).toBe('live');
    await running.stop();
  });

  it('refuses send() outside of handling an input', () => {
    class Eager extends ProcessManager {
      static readonly typeName = 'Eager';
      protected handle(): void {}
      sendNow(): void {
        this.send(() => new ShipOrder('x'));
      }
    }
    expect(() => new Eager('e1').sendNow()).toThrow(/only allowed while handling an input/);
    expect(new ProcessInputReceived('id', 'T', 's', 0).inputEventId).toBe('id');
  });
});
