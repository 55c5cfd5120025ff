import { AckCommand, ListenerSources, MessageBuilder, Success, allCheckpoint } from './reactive-domain';
import { createTestEnvironment, reactiveDomainMatchers, type TestEnvironment } from '../../src/testing';
import {
  CancelOrder,
  ConfirmOrder,
  PlaceOrder,
  ReleaseStock,
  ReserveStock,
  StockProduct,
  TakePayment,
} from './commands';
import { OrderStatusError } from './errors';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderLine,
  OrderPlaced,
  PaymentCaptured,
  PaymentDeclined,
  StockReleased,
  StockReservationRejected,
  StockReserved,
  orderServiceEvents,
} from './events';
import { CustomerId, MAIN_WAREHOUSE, OrderId, ProductId } from './ids';
import { Order } from './order';
import { OrderService } from './order-service';
import { GetOrder } from './order-summaries';
import { InMemoryPaymentGateway } from './payment';
import { Warehouse } from './warehouse';

expect.extend(reactiveDomainMatchers);

/** The whole service on a TestEnvironment: its dispatcher, so env.queue sees every command the saga sends. */
describe('order fulfillment saga (whole service, in memory)', () => {
  let env: TestEnvironment;
  let service: OrderService;
  const now = new Date('2026-03-01T10:00:00.000Z');
  const poor = CustomerId.create();
  const keyboard = ProductId.create();

  beforeEach(async () => {
    env = createTestEnvironment({ registry: orderServiceEvents, ignore: [AckCommand] });
    service = env.track(
      new OrderService({
        ...env,
        payments: new InMemoryPaymentGateway(new Map([[poor, 5_000]])),
        now: () => now,
      }),
    );
    await service.start();
    await env.dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, keyboard, 3)));
    env.queue.clear();
    env.events.clear();
  });
  afterEach(() => env.dispose());

  it('reserves stock, takes payment and confirms, carrying the correlation id through every message', async () => {
    const orderId = OrderId.create();
    const customerId = CustomerId.create();
    const lines = [new OrderLine(keyboard, 2, 4_999)];
    const place = MessageBuilder.new(() => new PlaceOrder(orderId, customerId, lines));
    expect(await env.dispatcher.trySend(place)).toSucceed();

    const confirmed = await env.events.waitFor(OrderConfirmed, { where: (e) => e.orderId === orderId });
    // The conversation: every command and event shares the PlaceOrder's correlation id.
    for (const message of env.queue.messages) expect(message).toHaveProperty('correlationId', place.msgId);
    const placed = await env.events.waitFor(OrderPlaced);
    const reserved = await env.events.waitFor(StockReserved);
    const captured = await env.events.waitFor(PaymentCaptured);
    expect(placed).toBeCorrelatedWith(place);
    expect(env.queue.ofType(ReserveStock)[0]).toBeCorrelatedWith(placed);
    expect(reserved).toBeCorrelatedWith(env.queue.ofType(ReserveStock)[0]!);
    expect(env.queue.ofType(TakePayment)[0]).toBeCorrelatedWith(reserved);
    expect(env.queue.ofType(ConfirmOrder)[0]).toBeCorrelatedWith(captured);
    expect(confirmed).toBeCorrelatedWith(env.queue.ofType(ConfirmOrder)[0]!);

    // The commands in the order they were sent (acks ignored), each followed by its response.
    await env.queue.waitFor(Success, { where: (s) => s.command instanceof ConfirmOrder });
    env.queue
      .assertNext(PlaceOrder)
      .assertNext(Success, { correlationId: place.msgId })
      .assertNext(ReserveStock)
      .assertNext(Success)
      .assertNext(TakePayment)
      .assertNext(Success)
      .assertNext(ConfirmOrder)
      .assertNext(Success)
      .assertEmpty();
    expect(env.queue).toHaveReceived(TakePayment, { orderId, customerId, amountCents: 9_998 });

    await env.settle();
    await expect(env).toHaveAppended(
      Order,
      orderId,
      new OrderPlaced(orderId, customerId, lines, 9_998, now),
      new OrderConfirmed(orderId),
    );
    expect((await service.repository.getById(Warehouse, MAIN_WAREHOUSE)).availableOf(keyboard)).toBe(1);
    // Read your own write: wait until the read model has handled the order's last event, then query.
    const stored = await env.readStored([Order, orderId]);
    await service.summaries.waitFor(
      ListenerSources.category('order'),
      allCheckpoint(stored[stored.length - 1]!.recorded.position),
    );
    expect((await env.queries.fetch(new GetOrder(orderId)))?.status).toBe('confirmed');
  });

  it('cancels the order when the stock is short', async () => {
    const orderId = OrderId.create();
    await env.dispatcher.send(
      MessageBuilder.new(
        () => new PlaceOrder(orderId, CustomerId.create(), [new OrderLine(keyboard, 5, 4_999)]),
      ),
    );
    const rejected = await env.events.waitFor(StockReservationRejected);
    expect(rejected).toMatchObject({ requested: 5, available: 3 });
    const cancelled = await env.events.waitFor(OrderCancelled);
    expect(cancelled.reason).toMatch(/^out of stock: 5 x .* asked, 3 available$/);
    expect(env.queue).toHaveReceived(CancelOrder, { orderId });
    expect(env.queue).not.toHaveReceived(TakePayment);
  });

  it('releases the stock and cancels the order when the payment is declined', async () => {
    const orderId = OrderId.create();
    await env.dispatcher.send(
      MessageBuilder.new(() => new PlaceOrder(orderId, poor, [new OrderLine(keyboard, 2, 4_999)])),
    );
    await env.events.waitFor(PaymentDeclined);
    await env.events.waitFor(StockReleased);
    await env.events.waitFor(OrderCancelled);
    await env.settle();
    expect(env.queue).toHaveReceived(ReleaseStock, { orderId });
    expect((await service.repository.getById(Warehouse, MAIN_WAREHOUSE)).availableOf(keyboard)).toBe(3);
    await expect(env).toHaveAppended(
      Order,
      orderId,
      new OrderPlaced(orderId, poor, [new OrderLine(keyboard, 2, 4_999)], 9_998, now),
      new OrderCancelled(orderId, 'payment declined: credit limit exceeded (5000 cents left, 9998 asked)'),
    );
    // A cancelled order cannot be confirmed: the typed error comes back in the response.
    expect(await env.dispatcher.trySend(new ConfirmOrder(orderId))).toFailWith(OrderStatusError, 'cancelled');
  });
});
