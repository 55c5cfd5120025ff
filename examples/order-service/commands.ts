import { Command } from './reactive-domain';
import type { CustomerId, OrderId, PaymentId, ProductId, WarehouseId } from './ids';
import type { OrderLine } from './events';

export class PlaceOrder extends Command {
  constructor(
    readonly orderId: OrderId,
    readonly customerId: CustomerId,
    readonly lines: readonly OrderLine[],
  ) {
    super();
  }
}
export class ConfirmOrder extends Command {
  constructor(readonly orderId: OrderId) {
    super();
  }
}
export class ShipOrder extends Command {
  constructor(
    readonly orderId: OrderId,
    readonly trackingNumber: string,
  ) {
    super();
  }
}
export class CancelOrder extends Command {
  constructor(
    readonly orderId: OrderId,
    readonly reason: string,
  ) {
    super();
  }
}
export class StockProduct extends Command {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly productId: ProductId,
    readonly quantity: number,
  ) {
    super();
  }
}
export class ReserveStock extends Command {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly orderId: OrderId,
    readonly lines: readonly OrderLine[],
  ) {
    super();
  }
}
export class ReleaseStock extends Command {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly orderId: OrderId,
  ) {
    super();
  }
}
export class TakePayment extends Command {
  constructor(
    readonly paymentId: PaymentId,
    readonly orderId: OrderId,
    readonly customerId: CustomerId,
    readonly amountCents: number,
  ) {
    super();
  }
}
