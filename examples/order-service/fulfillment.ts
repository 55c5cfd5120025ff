import { ProcessManager } from './reactive-domain';
import { MAIN_WAREHOUSE, PaymentId, type CustomerId, type OrderId, type WarehouseId } from './ids';
import {
  FulfillmentStarted,
  PaymentCaptured,
  PaymentDeclined,
  StockReservationRejected,
  StockReserved,
  OrderPlaced,
  orderServiceEvents,
} from './events';
import { CancelOrder, ConfirmOrder, ReleaseStock, ReserveStock, TakePayment } from './commands';

/** The input events of the saga; each carries the `orderId` that selects the saga instance. */
export const fulfillmentInputs = [
  OrderPlaced,
  StockReserved,
  StockReservationRejected,
  PaymentCaptured,
  PaymentDeclined,
] as const;

/**
 * The order saga, one instance per order (its own stream `fulfillment-<orderId>`):
 *
 * ```
 * OrderPlaced              -> ReserveStock
 * StockReserved            -> TakePayment
 * PaymentCaptured          -> ConfirmOrder
 * StockReservationRejected -> CancelOrder("out of stock")                (compensation)
 * PaymentDeclined          -> ReleaseStock, CancelOrder("payment ...")   (compensation)
 * ```
 *
 * Every command is built from the input event (`send` uses `MessageBuilder.from(input)`), so the whole
 * conversation carries the correlation id of the `PlaceOrder` that started it. The saga picks the warehouse when the
 * order is placed and remembers it (with the customer and total) in its own `FulfillmentStarted` event.
 */
export class OrderFulfillment extends ProcessManager<OrderId> {
  static readonly typeName = 'Fulfillment';
  static override eventTypes = orderServiceEvents;
  private customerId: CustomerId | undefined;
  private warehouseId: WarehouseId = MAIN_WAREHOUSE;
  private totalCents = 0;

  protected handle(input: object): void {
    const warehouseId = this.warehouseId;
    if (input instanceof OrderPlaced) {
      this.raise(new FulfillmentStarted(input.orderId, input.customerId, input.totalCents, MAIN_WAREHOUSE));
      this.send(() => new ReserveStock(MAIN_WAREHOUSE, input.orderId, input.lines));
    } else if (input instanceof StockReserved) {
      const customerId = this.customerId;
      if (customerId === undefined)
        throw new Error(`Fulfillment ${this.id}: stock reserved before the order was seen`);
      this.send(() => new TakePayment(PaymentId.create(), input.orderId, customerId, this.totalCents));
    } else if (input instanceof StockReservationRejected) {
      this.send(
        () =>
          new CancelOrder(
            input.orderId,
            `out of stock: ${input.requested} x ${input.productId} asked, ${input.available} available`,
          ),
      );
    } else if (input instanceof PaymentCaptured) {
      this.send(() => new ConfirmOrder(input.orderId));
    } else if (input instanceof PaymentDeclined) {
      this.send(() => new ReleaseStock(warehouseId, input.orderId));
      this.send(() => new CancelOrder(input.orderId, `payment declined: ${input.reason}`));
    }
  }

  protected applyFulfillmentStarted(e: FulfillmentStarted): void {
    this.customerId = e.customerId;
    this.totalCents = e.totalCents;
    this.warehouseId = e.warehouseId;
  }
}
