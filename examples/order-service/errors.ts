import { ReactiveDomainError } from './reactive-domain';

/** Base of the order service's domain errors: each has a stable `code` and names the order or product involved. */
export abstract class OrderServiceError extends ReactiveDomainError {}

/** An order must have at least one line. */
export class EmptyOrderError extends OrderServiceError {
  readonly code = 'ORDER_EMPTY';
  constructor(readonly orderId: string) {
    super(`Order ${orderId}: an order needs at least one line`);
  }
}

/** A line's quantity or unit price is not a positive integer. */
export class InvalidOrderLineError extends OrderServiceError {
  readonly code = 'ORDER_LINE_INVALID';
  constructor(
    readonly orderId: string,
    readonly lineIndex: number,
    readonly reason: string,
  ) {
    super(`Order ${orderId}: line ${lineIndex} ${reason}`);
  }
}

/** The order is not in a status that allows the action (confirm a shipped order, ship a pending one...). */
export class OrderStatusError extends OrderServiceError {
  readonly code = 'ORDER_STATUS';
  constructor(
    readonly orderId: string,
    readonly action: 'confirm' | 'ship' | 'cancel',
    readonly status: string,
    readonly allowed: string,
  ) {
    super(`Order ${orderId}: cannot ${action} an order that is ${status} (only when ${allowed})`);
  }
}

/** Shipping needs a tracking number. */
export class TrackingNumberRequiredError extends OrderServiceError {
  readonly code = 'TRACKING_NUMBER_REQUIRED';
  constructor(readonly orderId: string) {
    super(`Order ${orderId}: a tracking number is required to ship`);
  }
}

/** Cancelling needs a reason. */
export class CancellationReasonRequiredError extends OrderServiceError {
  readonly code = 'CANCELLATION_REASON_REQUIRED';
  constructor(readonly orderId: string) {
    super(`Order ${orderId}: a reason is required to cancel`);
  }
}

/** A stock quantity is not a positive integer. */
export class InvalidQuantityError extends OrderServiceError {
  readonly code = 'INVALID_QUANTITY';
  constructor(
    readonly productId: string,
    readonly quantity: number,
  ) {
    super(`Product ${productId}: quantity must be a positive integer, got ${quantity}`);
  }
}
