import type { BusSubscription, CommandDispatcher, CorrelatedRepository } from './reactive-domain';
import {
  CancelOrder,
  ConfirmOrder,
  PlaceOrder,
  ReleaseStock,
  ReserveStock,
  ShipOrder,
  StockProduct,
  TakePayment,
} from './commands';
import { Order } from './order';
import { Payment, type PaymentGateway } from './payment';
import { Warehouse } from './warehouse';

/** What the command handlers need. */
export interface OrderServiceHandlerDeps {
  readonly dispatcher: CommandDispatcher;
  /** Loads aggregates on behalf of the command, so every event it raises is correlated with it. */
  readonly repository: CorrelatedRepository;
  readonly payments: PaymentGateway;
  /** Time source (tests pass a fixed one). */
  readonly now?: () => Date;
}

/**
 * Registers one handler per command on the dispatcher. Each handler is "load, act, save": domain errors thrown by
 * the aggregates reach the sender as a `Fail` response (or a rejected `send`). Returns the registrations.
 */
export function registerOrderServiceHandlers(deps: OrderServiceHandlerDeps): BusSubscription[] {
  const { dispatcher, repository, payments } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    dispatcher.register(PlaceOrder, async (c) => {
      await repository.save(Order.place(c.orderId, c.customerId, c.lines, now(), c));
    }),
    dispatcher.register(ConfirmOrder, async (c) => {
      const order = await repository.getById(Order, c.orderId, c);
      order.confirm();
      await repository.save(order);
    }),
    dispatcher.register(ShipOrder, async (c) => {
      const order = await repository.getById(Order, c.orderId, c);
      order.ship(c.trackingNumber);
      await repository.save(order);
    }),
    dispatcher.register(CancelOrder, async (c) => {
      const order = await repository.getById(Order, c.orderId, c);
      order.cancel(c.reason);
      await repository.save(order);
    }),
    dispatcher.register(StockProduct, async (c) => {
      const warehouse =
        (await repository.tryGetById(Warehouse, c.warehouseId, c)) ?? Warehouse.open(c.warehouseId, c);
      warehouse.stock(c.productId, c.quantity);
      await repository.save(warehouse);
    }),
    dispatcher.register(ReserveStock, async (c) => {
      const warehouse =
        (await repository.tryGetById(Warehouse, c.warehouseId, c)) ?? Warehouse.open(c.warehouseId, c);
      warehouse.reserve(c.orderId, c.lines);
      await repository.save(warehouse);
    }),
    dispatcher.register(ReleaseStock, async (c) => {
      const warehouse = await repository.getById(Warehouse, c.warehouseId, c);
      warehouse.release(c.orderId);
      await repository.save(warehouse);
    }),
    dispatcher.register(TakePayment, async (c, { signal }) => {
      // Idempotent: a payment is taken once, whatever the number of deliveries.
      if (await repository.tryGetById(Payment, c.paymentId, c)) return;
      const result = await payments.charge(c.customerId, c.amountCents, signal);
      await repository.save(Payment.record(c.paymentId, c.orderId, c.amountCents, result, c));
    }),
  ];
}
