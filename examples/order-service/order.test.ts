import { MessageBuilder } from './reactive-domain';
import { aggregateSpec, reactiveDomainMatchers } from '../../src/testing';
import { CancelOrder, PlaceOrder, ShipOrder } from './commands';
import {
  CancellationReasonRequiredError,
  EmptyOrderError,
  InvalidOrderLineError,
  OrderStatusError,
  TrackingNumberRequiredError,
} from './errors';
import { OrderCancelled, OrderConfirmed, OrderLine, OrderPlaced, OrderShipped } from './events';
import { CustomerId, OrderId, ProductId } from './ids';
import { Order } from './order';

expect.extend(reactiveDomainMatchers);

const orderId = OrderId.create();
const customerId = CustomerId.create();
const keyboard = ProductId.create();
const mouse = ProductId.create();
const at = new Date('2026-03-01T10:00:00.000Z');
const lines = [new OrderLine(keyboard, 1, 4_999), new OrderLine(mouse, 2, 1_950)];
const placed = new OrderPlaced(orderId, customerId, lines, 8_899, at);

describe('Order', () => {
  describe('place', () => {
    it('computes the total from the lines', async () => {
      await aggregateSpec(Order)
        .whenCreating((source) => Order.place(orderId, customerId, lines, at, source))
        .then(new OrderPlaced(orderId, customerId, lines, 8_899, at));
    });

    it('carries the command correlation into the event', async () => {
      const command = MessageBuilder.new(() => new PlaceOrder(orderId, customerId, lines));
      const { aggregate } = await aggregateSpec(Order)
        .whenCreating(command, (c) => Order.place(c.orderId, c.customerId, c.lines, at, c))
        .then(
          MessageBuilder.from(command).build(() => new OrderPlaced(orderId, customerId, lines, 8_899, at)),
        );
      expect(aggregate.pendingEvents[0]).toBeCorrelatedWith(command);
    });

    it('needs at least one line', async () => {
      await aggregateSpec(Order)
        .whenCreating((source) => Order.place(orderId, customerId, [], at, source))
        .thenThrows(EmptyOrderError, 'at least one line');
    });

    it.each([
      ['a zero quantity', new OrderLine(keyboard, 0, 100), 'quantity must be a positive integer'],
      ['a fractional quantity', new OrderLine(keyboard, 1.5, 100), 'quantity must be a positive integer'],
      ['a zero price', new OrderLine(keyboard, 1, 0), 'unit price must be a positive number of cents'],
      ['a negative price', new OrderLine(keyboard, 1, -5), 'unit price must be a positive number of cents'],
    ])('rejects %s', async (_label, line, message) => {
      const error = await aggregateSpec(Order)
        .whenCreating((source) => Order.place(orderId, customerId, [lines[0]!, line], at, source))
        .thenThrows(InvalidOrderLineError, message);
      expect(error.lineIndex).toBe(1);
    });
  });

  describe('confirm', () => {
    it('confirms a pending order', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed)
        .when((o) => o.confirm())
        .then(new OrderConfirmed(orderId));
    });

    it('refuses any other status', async () => {
      const error = await aggregateSpec(Order, orderId)
        .given(placed, new OrderConfirmed(orderId))
        .when((o) => o.confirm())
        .thenThrows(OrderStatusError, 'cannot confirm an order that is confirmed (only when pending)');
      expect(error.code).toBe('ORDER_STATUS');
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderCancelled(orderId, 'x'))
        .when((o) => o.confirm())
        .thenThrows(OrderStatusError, 'cancelled');
    });
  });

  describe('ship', () => {
    it('ships a confirmed order with its tracking number', async () => {
      const ship = MessageBuilder.new(() => new ShipOrder(orderId, ' TRACK-1 '));
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderConfirmed(orderId))
        .when(ship, (o, c) => o.ship(c.trackingNumber))
        .then(MessageBuilder.from(ship).build(() => new OrderShipped(orderId, 'TRACK-1')));
    });

    it('requires a tracking number', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderConfirmed(orderId))
        .when((o) => o.ship('  '))
        .thenThrows(TrackingNumberRequiredError);
    });

    it('only ships confirmed orders', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed)
        .when((o) => o.ship('T'))
        .thenThrows(OrderStatusError, 'cannot ship an order that is pending');
    });
  });

  describe('cancel', () => {
    it('cancels with a reason, pending or confirmed', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed)
        .when((o) => o.cancel('customer request'))
        .then(new OrderCancelled(orderId, 'customer request'));
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderConfirmed(orderId))
        .when((o) => o.cancel('fraud'))
        .then(new OrderCancelled(orderId, 'fraud'));
    });

    it('requires a reason', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed)
        .when((o) => o.cancel(''))
        .thenThrows(CancellationReasonRequiredError);
    });

    it('never cancels a shipped order', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderConfirmed(orderId), new OrderShipped(orderId, 'T'))
        .when((o) => o.cancel('too late'))
        .thenThrows(OrderStatusError, 'cannot cancel an order that is shipped');
    });

    it('does nothing on an order already cancelled (compensation may run twice)', async () => {
      await aggregateSpec(Order, orderId)
        .given(placed, new OrderCancelled(orderId, 'first'))
        .when((o) => o.cancel('second'))
        .thenNothing();
    });
  });

  it('reads well with the toHaveRaised matcher too', () => {
    const order = new Order(orderId);
    order.restoreFromEvents([placed]);
    order.source = MessageBuilder.new(() => new CancelOrder(orderId, 'why not'));
    order.cancel('why not');
    expect(order).toHaveRaised(new OrderCancelled(orderId, 'why not'));
    expect(order.status).toBe('cancelled');
  });
});
