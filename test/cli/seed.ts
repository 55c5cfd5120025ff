import { Command, Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import { recordCommands } from '../../src/foundation';
import { CommandDispatcher, MessageBuilder } from '../../src/messaging';
import { EventSerializer, type StreamStore } from '../../src/persistence';

/** The same small saga as the config fixture (order-config.cjs), in TypeScript, for the SQL-store CLI suites. */
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
class PlaceOrder extends Command {
  constructor(readonly orderId: string) {
    super();
  }
}
class ReserveStock extends Command {
  constructor(readonly orderId: string) {
    super();
  }
}

const registry = new EventTypeRegistry();
registry.register(OrderPlaced, 'OrderPlaced');
registry.register(StockReserved, 'StockReserved');
const serializer = new EventSerializer({ registry });

/** Correlation id of conversation i (1-based). */
export const conversationId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/**
 * Runs `orders` conversations against `store`: PlaceOrder -> OrderPlaced -> ReserveStock -> StockReserved, each
 * command recorded by `recordCommands`. Streams: `order-<i>`, `warehouse-main`, `commands-<correlation id>`.
 */
export async function seedConversations(store: StreamStore, orders: number): Promise<void> {
  const dispatcher = new CommandDispatcher();
  dispatcher.use(recordCommands(store));
  const raise = async <E extends Event>(stream: string, source: Command, create: () => E): Promise<E> => {
    const event = MessageBuilder.from(source).build(create);
    await store.appendToStream(stream, 'any', [serializer.serialize(event)]);
    return event;
  };
  dispatcher.register(PlaceOrder, async (command) => {
    const placed = await raise(`order-${command.orderId}`, command, () => new OrderPlaced(command.orderId));
    await dispatcher.send(MessageBuilder.from(placed).build(() => new ReserveStock(command.orderId)));
  });
  dispatcher.register(ReserveStock, async (command) => {
    await raise('warehouse-main', command, () => new StockReserved(command.orderId));
  });
  for (let i = 1; i <= orders; i++) {
    const place = new PlaceOrder(String(i));
    place.msgId = conversationId(i);
    place.correlationId = place.msgId;
    await dispatcher.send(place);
  }
}
