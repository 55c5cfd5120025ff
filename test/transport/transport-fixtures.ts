import { Command, Event } from '../../src/core/message';
import { EventTypeRegistry } from '../../src/core/event-type-registry';
import { EventSerializer } from '../../src/persistence/event-serializer';
import { ExpectedVersion } from '../../src/persistence/expected-version';
import type { StreamStore } from '../../src/persistence/stream-store';
import { MessageBuilder } from '../../src/messaging/message-builder';
import { MessageCodec } from '../../src/transport';

/** Shared sample messages of the transport tests. */
export class ItemAdded extends Event {
  constructor(
    readonly cartId: string,
    readonly n: number,
  ) {
    super();
  }
}

export class AddItem extends Command {
  constructor(
    readonly cartId: string,
    readonly n: number,
  ) {
    super();
  }
}

export class Checkout extends Command {
  constructor(readonly cartId: string) {
    super();
  }
}

export const registry = new EventTypeRegistry()
  .register(ItemAdded, 'Cart.ItemAdded')
  .register(AddItem, 'Cart.AddItem')
  .register(Checkout, 'Cart.Checkout');
export const serializer = new EventSerializer({ registry });
export const codec = new MessageCodec(serializer);

/**
 * Appends `count` events spread over `streams` carts (`cart-0` ... ), one event per append, each caused by a
 * command, so correlation ids are set. Returns the appended event ids in log order.
 */
export async function appendItems(
  store: StreamStore,
  count: number,
  streams: number,
  start = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = start; i < start + count; i++) {
    const cartId = `c${i % streams}`;
    const cause = MessageBuilder.new(() => new AddItem(cartId, i));
    const event = MessageBuilder.from(cause).build(() => new ItemAdded(cartId, i));
    await store.appendToStream(`cart-${cartId}`, ExpectedVersion.Any, [serializer.serialize(event)]);
    ids.push(event.msgId);
  }
  return ids;
}
