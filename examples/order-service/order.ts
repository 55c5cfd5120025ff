import { AggregateRoot, type CorrelatedMessage } from './reactive-domain';
import type { CustomerId, OrderId } from './ids';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderLine,
  OrderPlaced,
  OrderShipped,
  orderServiceEvents,
} from './events';
import {
  CancellationReasonRequiredError,
  EmptyOrderError,
  InvalidOrderLineError,
  OrderStatusError,
  TrackingNumberRequiredError,
} from './errors';

export type OrderStatus = 'pending' | 'confirmed' | 'shipped' | 'cancelled';

/**
 * An order: placed with its lines (total computed here, never trusted from outside), then confirmed, shipped or
 * cancelled. Every rule is checked before an event is raised; state changes only in the `apply...` methods.
 */
export class Order extends AggregateRoot<OrderId> {
  static readonly typeName = 'Order';
  static override eventTypes = orderServiceEvents;
  static override strictRouting = true;

  status: OrderStatus = 'pending';
  customerId: CustomerId | undefined;
  totalCents = 0;

  /** Places a new order. `source` is the command being handled (correlation). */
  static place(
    id: OrderId,
    customerId: CustomerId,
    lines: readonly OrderLine[],
    placedAt: Date,
    source: CorrelatedMessage,
  ): Order {
    if (lines.length === 0) throw new EmptyOrderError(id);
    lines.forEach((line, i) => {
      if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
        throw new InvalidOrderLineError(id, i, `quantity must be a positive integer, got ${line.quantity}`);
      }
      if (!Number.isSafeInteger(line.unitPriceCents) || line.unitPriceCents <= 0) {
        throw new InvalidOrderLineError(
          id,
          i,
          `unit price must be a positive number of cents, got ${line.unitPriceCents}`,
        );
      }
    });
    const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    const order = new Order(id, source);
    // Copies: the event must not share mutable arrays with the caller.
    const copies = lines.map((l) => new OrderLine(l.productId, l.quantity, l.unitPriceCents));
    order.raise(new OrderPlaced(id, customerId, copies, total, placedAt));
    return order;
  }

  confirm(): void {
    if (this.status !== 'pending') throw new OrderStatusError(this.id, 'confirm', this.status, 'pending');
    this.raise(new OrderConfirmed(this.id));
  }

  ship(trackingNumber: string): void {
    if (this.status !== 'confirmed') throw new OrderStatusError(this.id, 'ship', this.status, 'confirmed');
    if (typeof trackingNumber !== 'string' || trackingNumber.trim() === '')
      throw new TrackingNumberRequiredError(this.id);
    this.raise(new OrderShipped(this.id, trackingNumber.trim()));
  }

  /** Cancels the order. Cancelling a cancelled order does nothing (compensation may run twice). */
  cancel(reason: string): void {
    if (typeof reason !== 'string' || reason.trim() === '')
      throw new CancellationReasonRequiredError(this.id);
    if (this.status === 'cancelled') return;
    if (this.status === 'shipped')
      throw new OrderStatusError(this.id, 'cancel', this.status, 'pending or confirmed');
    this.raise(new OrderCancelled(this.id, reason.trim()));
  }

  protected applyOrderPlaced(e: OrderPlaced): void {
    this.status = 'pending';
    this.customerId = e.customerId;
    this.totalCents = e.totalCents;
  }
  protected applyOrderConfirmed(): void {
    this.status = 'confirmed';
  }
  protected applyOrderShipped(): void {
    this.status = 'shipped';
  }
  protected applyOrderCancelled(): void {
    this.status = 'cancelled';
  }
}
