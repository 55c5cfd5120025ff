import { lastValueFrom, take, toArray } from 'rxjs';
import { Command, Event, EventTypeRegistry } from '../../../src/core';
import { ListenerHandlerError, ListenerSources, storedEvents$ } from '../../../src/foundation';
import { CommandDispatcher } from '../../../src/messaging/command-dispatcher';
import { MessageBuilder } from '../../../src/messaging/message-builder';
import { buildFrom, ofType, runSaga, sendCommands } from '../../../src/messaging/saga-operators';
import { EventSerializer } from '../../../src/persistence/event-serializer';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import { eventually } from '../subscriptions/fixtures';

class OrderPlaced extends Event {
  constructor(readonly orderId: string) {
    super();
  }
}
class OrderCancelled extends Event {
  constructor(readonly orderId: string) {
    super();
  }
}
class ReserveStock extends Command {
  constructor(readonly orderId: string) {
    super();
  }
}
const registry = new EventTypeRegistry()
  .register(OrderPlaced, 'OrderPlaced')
  .register(OrderCancelled, 'OrderCancelled');
const serializer = new EventSerializer({ registry });

describe('stateless sagas', () => {
  let store: InMemoryStreamStore;
  let dispatcher: CommandDispatcher;
  let reserved: ReserveStock[];
  beforeEach(() => {
    store = new InMemoryStreamStore();
    dispatcher = new CommandDispatcher();
    reserved = [];
    dispatcher.register(ReserveStock, (c) => void reserved.push(c));
  });
  afterEach(async () => {
    await store.close();
  });
  const publish = (stream: string, event: Event) =>
    store.appendToStream(stream, 'any', [serializer.serialize(event)]);

  it('over the bus: ofType + buildFrom turns published events into correlated commands', async () => {
    const subscription = runSaga(dispatcher, (messages$) =>
      messages$.pipe(
        ofType(OrderPlaced),
        buildFrom((e) => new ReserveStock(e.orderId)),
      ),
    );
    const placed = MessageBuilder.new(() => new OrderPlaced('o1'));
    await dispatcher.bus.publish(placed);
    await dispatcher.bus.publish(MessageBuilder.new(() => new OrderCancelled('o1')));
    await eventually(() => reserved.length === 1);
    expect(reserved[0]!.correlationId).toBe(placed.msgId);
    expect(reserved[0]!.causationId).toBe(placed.msgId);
    subscription.unsubscribe();
  });

  it('over stored events: storedEvents$ feeds the same operators, from the end or from the start', async () => {
    const old = MessageBuilder.new(() => new OrderPlaced('old'));
    await publish('order-old', old);
    const fromEnd = storedEvents$(store, ListenerSources.category('order'), serializer, { after: 'end' })
      .pipe(
        ofType(OrderPlaced),
        buildFrom((e) => new ReserveStock(e.orderId)),
        sendCommands(dispatcher),
      )
      .subscribe();
    await eventually(() => store.subscriptionCount === 1, 'listener subscribed at the end');
    const placed = MessageBuilder.new(() => new OrderPlaced('o2'));
    await publish('order-o2', placed);
    await eventually(() => reserved.length === 1);
    expect(reserved.map((c) => c.orderId)).toEqual(['o2']); // not the event appended before
    expect(reserved[0]!.correlationId).toBe(placed.msgId);
    fromEnd.unsubscribe();
    await eventually(() => store.subscriptionCount === 0, 'listener stopped on unsubscribe');

    const all = await lastValueFrom(
      storedEvents$(store, ListenerSources.category('order'), serializer).pipe(take(2), toArray()),
    );
    expect(all.map((e) => (e as OrderPlaced).orderId)).toEqual(['old', 'o2']);
  });

  it('errors the observable when an event cannot be read, instead of skipping it silently', async () => {
    await store.appendToStream('order-x', 'any', [
      { eventId: new OrderPlaced('x').msgId, type: 'Mystery', data: '{}', metadata: '{}' },
    ]);
    await expect(
      lastValueFrom(storedEvents$(store, ListenerSources.stream('order-x'), serializer)),
    ).rejects.toBeInstanceOf(ListenerHandlerError);
    await publish('order-x', new OrderPlaced('x'));
    const skipped = await lastValueFrom(
      storedEvents$(store, ListenerSources.stream('order-x'), serializer, { unknownEventTypes: 'skip' }).pipe(
        take(1),
        toArray(),
      ),
    );
    expect(skipped).toHaveLength(1);
  });
});
