import { AggregateRoot, type CorrelatedMessage } from './reactive-domain';
import type { OrderId, ProductId, WarehouseId } from './ids';
import {
  OrderLine,
  ProductStocked,
  StockReleased,
  StockReservationRejected,
  StockReserved,
  orderServiceEvents,
} from './events';
import { InvalidQuantityError } from './errors';

/**
 * The inventory: stock per product and reservations per order. One aggregate, so an order's lines are reserved
 * all together or not at all. A reservation that cannot be met is recorded as a rejection (a fact, not an error):
 * the saga reacts to it.
 */
export class Warehouse extends AggregateRoot<WarehouseId> {
  static readonly typeName = 'Warehouse';
  static override eventTypes = orderServiceEvents;
  static override strictRouting = true;

  private readonly available = new Map<ProductId, number>();
  private readonly reservations = new Map<OrderId, readonly OrderLine[]>();

  static open(id: WarehouseId, source: CorrelatedMessage): Warehouse {
    return new Warehouse(id, source);
  }

  availableOf(productId: ProductId): number {
    return this.available.get(productId) ?? 0;
  }

  hasReservation(orderId: OrderId): boolean {
    return this.reservations.has(orderId);
  }

  stock(productId: ProductId, quantity: number): void {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new InvalidQuantityError(productId, quantity);
    this.raise(new ProductStocked(this.id, productId, quantity));
  }

  /** Reserves every line of the order, or records why not. Reserving twice for one order does nothing. */
  reserve(orderId: OrderId, lines: readonly OrderLine[]): void {
    if (this.reservations.has(orderId)) return;
    const wanted = new Map<ProductId, number>();
    for (const line of lines) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    for (const [productId, requested] of wanted) {
      const available = this.availableOf(productId);
      if (requested > available) {
        this.raise(new StockReservationRejected(this.id, orderId, productId, requested, available));
        return;
      }
    }
    this.raise(
      new StockReserved(
        this.id,
        orderId,
        lines.map((l) => new OrderLine(l.productId, l.quantity, l.unitPriceCents)),
      ),
    );
  }

  /** Gives back what was reserved for the order (compensation); nothing reserved, nothing to do. */
  release(orderId: OrderId): void {
    if (!this.reservations.has(orderId)) return;
    this.raise(new StockReleased(this.id, orderId));
  }

  protected applyProductStocked(e: ProductStocked): void {
    this.available.set(e.productId, this.availableOf(e.productId) + e.quantity);
  }
  protected applyStockReserved(e: StockReserved): void {
    for (const line of e.lines)
      this.available.set(line.productId, this.availableOf(line.productId) - line.quantity);
    this.reservations.set(e.orderId, e.lines);
  }
  protected applyStockReservationRejected(): void {}
  protected applyStockReleased(e: StockReleased): void {
    for (const line of this.reservations.get(e.orderId) ?? []) {
      this.available.set(line.productId, this.availableOf(line.productId) + line.quantity);
    }
    this.reservations.delete(e.orderId);
  }
}
