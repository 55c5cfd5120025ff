import { CommandNotHandledError } from './reactive-domain';
import { appended, commandSpec, reactiveDomainMatchers, type TestEnvironment } from '../../src/testing';
import {
  ConfirmOrder,
  PlaceOrder,
  ReleaseStock,
  ReserveStock,
  ShipOrder,
  StockProduct,
  TakePayment,
} from './commands';
import { EmptyOrderError, InvalidQuantityError, OrderStatusError } from './errors';
import {
  OrderConfirmed,
  OrderLine,
  OrderPlaced,
  PaymentCaptured,
  PaymentDeclined,
  ProductStocked,
  StockReleased,
  StockReservationRejected,
  StockReserved,
  orderServiceEvents,
} from './events';
import { registerOrderServiceHandlers } from './handlers';
import { CustomerId, MAIN_WAREHOUSE, OrderId, PaymentId, ProductId } from './ids';
import { Order } from './order';
import { InMemoryPaymentGateway, Payment } from './payment';
import { Warehouse } from './warehouse';

expect.extend(reactiveDomainMatchers);

const now = new Date('2026-03-01T10:00:00.000Z');
const orderId = OrderId.create();
const customerId = CustomerId.create();
const keyboard = ProductId.create();
const lines = [new OrderLine(keyboard, 2, 4_999)];
const placed = new OrderPlaced(orderId, customerId, lines, 9_998, now);

/** The handlers under test, on the specification's environment, with a fixed clock and a 50-dollar limit for one customer. */
const poorCustomer = CustomerId.create();
const handlers = (env: TestEnvironment) =>
  registerOrderServiceHandlers({
    dispatcher: env.dispatcher,
    repository: env.correlated,
    payments: new InMemoryPaymentGateway(new Map([[poorCustomer, 5_000]])),
    now: () => now,
  });
const spec = () => commandSpec(handlers, { registry: orderServiceEvents });

describe('order service command handlers', () => {
  it('PlaceOrder stores OrderPlaced with the computed total and the clock time', async () => {
    const outcome = await spec()
      .when(new PlaceOrder(orderId, customerId, lines))
      .then(appended(Order, orderId, new OrderPlaced(orderId, customerId, lines, 9_998, now)));
    expect(outcome.response).toSucceed();
  });

  it('PlaceOrder fails with the typed domain error and stores nothing', async () => {
    await spec()
      .when(new PlaceOrder(orderId, customerId, []))
      .thenFails(EmptyOrderError);
  });

  it('ConfirmOrder confirms a placed order; ShipOrder refuses a pending one', async () => {
    await spec()
      .given(Order, orderId, placed)
      .when(new ConfirmOrder(orderId))
      .then(appended(Order, orderId, new OrderConfirmed(orderId)));
    await spec()
      .given(Order, orderId, placed)
      .when(new ShipOrder(orderId, 'T-1'))
      .thenFails(OrderStatusError, 'pending');
  });

  it('StockProduct opens the warehouse on first use and validates quantities', async () => {
    await spec()
      .when(new StockProduct(MAIN_WAREHOUSE, keyboard, 3))
      .then(appended(Warehouse, MAIN_WAREHOUSE, new ProductStocked(MAIN_WAREHOUSE, keyboard, 3)));
    await spec()
      .when(new StockProduct(MAIN_WAREHOUSE, keyboard, -1))
      .thenFails(InvalidQuantityError, 'positive integer');
  });

  it('ReserveStock reserves all lines or records the rejection', async () => {
    await spec()
      .given(Warehouse, MAIN_WAREHOUSE, new ProductStocked(MAIN_WAREHOUSE, keyboard, 5))
      .when(new ReserveStock(MAIN_WAREHOUSE, orderId, lines))
      .then(appended(Warehouse, MAIN_WAREHOUSE, new StockReserved(MAIN_WAREHOUSE, orderId, lines)));
    await spec()
      .given(Warehouse, MAIN_WAREHOUSE, new ProductStocked(MAIN_WAREHOUSE, keyboard, 1))
      .when(new ReserveStock(MAIN_WAREHOUSE, orderId, lines))
      .then(
        appended(
          Warehouse,
          MAIN_WAREHOUSE,
          new StockReservationRejected(MAIN_WAREHOUSE, orderId, keyboard, 2, 1),
        ),
      );
  });

  it('ReleaseStock gives a reservation back, once', async () => {
    await spec()
      .given(
        Warehouse,
        MAIN_WAREHOUSE,
        new ProductStocked(MAIN_WAREHOUSE, keyboard, 5),
        new StockReserved(MAIN_WAREHOUSE, orderId, lines),
      )
      .when(new ReleaseStock(MAIN_WAREHOUSE, orderId))
      .then(appended(Warehouse, MAIN_WAREHOUSE, new StockReleased(MAIN_WAREHOUSE, orderId)));
    await spec()
      .given(
        Warehouse,
        MAIN_WAREHOUSE,
        new ProductStocked(MAIN_WAREHOUSE, keyboard, 5),
        new StockReserved(MAIN_WAREHOUSE, orderId, lines),
        new StockReleased(MAIN_WAREHOUSE, orderId),
      )
      .when(new ReleaseStock(MAIN_WAREHOUSE, orderId))
      .then();
  });

  it('TakePayment records a capture or a decline, and is idempotent', async () => {
    const paymentId = PaymentId.create();
    await spec()
      .when(new TakePayment(paymentId, orderId, customerId, 9_998))
      .then(appended(Payment, paymentId, new PaymentCaptured(paymentId, orderId, 9_998)));
    await spec()
      .when(new TakePayment(paymentId, orderId, poorCustomer, 9_998))
      .then(
        appended(
          Payment,
          paymentId,
          new PaymentDeclined(
            paymentId,
            orderId,
            9_998,
            'credit limit exceeded (5000 cents left, 9998 asked)',
          ),
        ),
      );
    await spec()
      .given(Payment, paymentId, new PaymentCaptured(paymentId, orderId, 9_998))
      .when(new TakePayment(paymentId, orderId, customerId, 9_998))
      .then();
  });

  it('a command without a handler is reported, not lost', async () => {
    const outcome = await commandSpec(() => undefined, { registry: orderServiceEvents })
      .when(new ConfirmOrder(orderId))
      .thenFails(CommandNotHandledError);
    expect(outcome.message).toContain('ConfirmOrder');
  });
});
