import { Event, EventTypeRegistry, registerProcessManagerEvents, type Redacted } from './reactive-domain';
import type { CustomerId, OrderId, PaymentId, ProductId, WarehouseId } from './ids';

/** One line of an order. Prices are integer cents: money never goes through floating point. */
export class OrderLine {
  constructor(
    readonly productId: ProductId,
    readonly quantity: number,
    readonly unitPriceCents: number,
  ) {}
}

// ---- Order ---------------------------------------------------------------------------------------------------------

export class OrderPlaced extends Event {
  constructor(
    readonly orderId: OrderId,
    readonly customerId: CustomerId,
    readonly lines: readonly OrderLine[],
    readonly totalCents: number,
    readonly placedAt: Date,
  ) {
    super();
  }
}
export class OrderConfirmed extends Event {
  constructor(readonly orderId: OrderId) {
    super();
  }
}
export class OrderShipped extends Event {
  constructor(
    readonly orderId: OrderId,
    readonly trackingNumber: string,
  ) {
    super();
  }
}
export class OrderCancelled extends Event {
  constructor(
    readonly orderId: OrderId,
    readonly reason: string,
  ) {
    super();
  }
}

// ---- Warehouse (inventory) ------------------------------------------------------------------------------------------

export class ProductStocked extends Event {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly productId: ProductId,
    readonly quantity: number,
  ) {
    super();
  }
}
/** Quantities reserved for one order (all its lines at once, or none). */
export class StockReserved extends Event {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly orderId: OrderId,
    readonly lines: readonly OrderLine[],
  ) {
    super();
  }
}
export class StockReservationRejected extends Event {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly orderId: OrderId,
    readonly productId: ProductId,
    readonly requested: number,
    readonly available: number,
  ) {
    super();
  }
}
export class StockReleased extends Event {
  constructor(
    readonly warehouseId: WarehouseId,
    readonly orderId: OrderId,
  ) {
    super();
  }
}

// ---- Payment --------------------------------------------------------------------------------------------------------

export class PaymentCaptured extends Event {
  constructor(
    readonly paymentId: PaymentId,
    readonly orderId: OrderId,
    readonly amountCents: number,
  ) {
    super();
  }
}
export class PaymentDeclined extends Event {
  constructor(
    readonly paymentId: PaymentId,
    readonly orderId: OrderId,
    readonly amountCents: number,
    readonly reason: string,
  ) {
    super();
  }
}

// ---- Fulfillment (the saga's own state) ------------------------------------------------------------------------------

/** The saga remembered what later steps need (who pays, how much). */
export class FulfillmentStarted extends Event {
  constructor(
    readonly orderId: OrderId,
    readonly customerId: CustomerId,
    readonly totalCents: number,
    readonly warehouseId: WarehouseId,
  ) {
    super();
  }
}

/**
 * Every event type of the service, registered once under a stable name. `OrderLine` values and the `Date` are
 * declared, so they round-trip exactly through JSON.
 */
export const orderServiceEvents = new EventTypeRegistry()
  .register(OrderPlaced, 'OrderPlaced', { fields: { lines: { arrayOf: OrderLine }, placedAt: Date } })
  .register(OrderConfirmed, 'OrderConfirmed')
  .register(OrderShipped, 'OrderShipped')
  .register(OrderCancelled, 'OrderCancelled')
  .register(ProductStocked, 'ProductStocked')
  .register(StockReserved, 'StockReserved', { fields: { lines: { arrayOf: OrderLine } } })
  .register(StockReservationRejected, 'StockReservationRejected')
  .register(StockReleased, 'StockReleased')
  .register(PaymentCaptured, 'PaymentCaptured')
  .register(PaymentDeclined, 'PaymentDeclined')
  .register(FulfillmentStarted, 'FulfillmentStarted');
// The saga's host records every input it handled in the saga's stream: its event type lives in this registry too.
registerProcessManagerEvents(orderServiceEvents);

// ---- Customers (personal data) -------------------------------------------------------------------------------------

/**
 * A customer signed up. `email` and `name` are personal data of the customer: registered below as `personal`, so a
 * store wrapped with `encryptPersonalData` keeps them encrypted with the customer's key, and once the customer is
 * forgotten they read back as `Redacted` (hence the type).
 */
export class CustomerRegistered extends Event {
  constructor(
    readonly customerId: CustomerId,
    readonly email: string | Redacted,
    readonly name: string | Redacted,
  ) {
    super();
  }
}
/** A customer changed their e-mail address (personal data too). */
export class CustomerEmailChanged extends Event {
  constructor(
    readonly customerId: CustomerId,
    readonly email: string | Redacted,
  ) {
    super();
  }
}

orderServiceEvents
  .register(CustomerRegistered, 'CustomerRegistered', {
    personal: { subject: 'customerId', fields: ['email', 'name'] },
  })
  .register(CustomerEmailChanged, 'CustomerEmailChanged', {
    personal: { subject: 'customerId', fields: ['email'] },
  });
