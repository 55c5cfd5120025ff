import {
  Query,
  ReadModelBase,
  type EventContext,
  type QueryBus,
  type ReadModelOptions,
  type BusSubscription,
} from './reactive-domain';
import type { CustomerId, OrderId } from './ids';
import {
  type OrderCancelled,
  type OrderConfirmed,
  type OrderPlaced,
  type OrderShipped,
  orderServiceEvents,
} from './events';
import type { OrderStatus } from './order';

/** What the order list shows about one order. */
export interface OrderSummary {
  readonly orderId: OrderId;
  readonly customerId: CustomerId;
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly itemCount: number;
  readonly placedAt: Date;
  readonly trackingNumber?: string;
  readonly cancelReason?: string;
  /** Revision of the order's last event reflected here. */
  readonly version: number;
}

/** A page of results. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
}

/** One order by id, or `null`. */
export class GetOrder extends Query<OrderSummary | null> {
  constructor(readonly orderId: OrderId) {
    super();
  }
}

/** A customer's orders, newest first, optionally of one status, paged (page 1 is the first). */
export class ListOrders extends Query<Page<OrderSummary>> {
  constructor(
    readonly customerId: CustomerId,
    readonly options: {
      readonly status?: OrderStatus;
      readonly page?: number;
      readonly pageSize?: number;
    } = {},
  ) {
    super();
  }
}

/**
 * The order list: a read model following the `order` category, answering {@link GetOrder} and {@link ListOrders}.
 * State is in memory (rebuilt from the events at start); a production model would keep it in its own database.
 */
export class OrderSummaries extends ReadModelBase {
  static override eventTypes = orderServiceEvents;
  private readonly orders = new Map<OrderId, OrderSummary>();

  constructor(options: ReadModelOptions) {
    super('order-summaries', options);
  }

  get(orderId: OrderId): OrderSummary | null {
    return this.orders.get(orderId) ?? null;
  }

  list(customerId: CustomerId, options: ListOrders['options'] = {}): Page<OrderSummary> {
    const page = Math.max(1, Math.floor(options.page ?? 1));
    const pageSize = Math.min(100, Math.max(1, Math.floor(options.pageSize ?? 20)));
    const matching = [...this.orders.values()]
      .filter(
        (o) => o.customerId === customerId && (options.status === undefined || o.status === options.status),
      )
      .sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime() || (a.orderId < b.orderId ? -1 : 1));
    return {
      items: matching.slice((page - 1) * pageSize, page * pageSize),
      page,
      pageSize,
      total: matching.length,
    };
  }

  /** Every order, newest first (the demo shows orders of earlier runs with it). */
  all(): OrderSummary[] {
    return [...this.orders.values()].sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime());
  }

  /** Answers the queries on `queries` from this model. */
  registerQueries(queries: QueryBus): BusSubscription[] {
    return [
      queries.register(GetOrder, (q) => this.get(q.orderId)),
      queries.register(ListOrders, (q) => this.list(q.customerId, q.options)),
    ];
  }

  protected override reset(): void {
    this.orders.clear();
  }

  protected applyOrderPlaced(e: OrderPlaced, context: EventContext): void {
    this.orders.set(e.orderId, {
      orderId: e.orderId,
      customerId: e.customerId,
      status: 'pending',
      totalCents: e.totalCents,
      itemCount: e.lines.reduce((n, l) => n + l.quantity, 0),
      placedAt: e.placedAt,
      version: context.recorded.revision,
    });
  }
  protected applyOrderConfirmed(e: OrderConfirmed, context: EventContext): void {
    this.update(e.orderId, context, { status: 'confirmed' });
  }
  protected applyOrderShipped(e: OrderShipped, context: EventContext): void {
    this.update(e.orderId, context, { status: 'shipped', trackingNumber: e.trackingNumber });
  }
  protected applyOrderCancelled(e: OrderCancelled, context: EventContext): void {
    this.update(e.orderId, context, { status: 'cancelled', cancelReason: e.reason });
  }

  private update(orderId: OrderId, context: EventContext, change: Partial<OrderSummary>): void {
    const current = this.orders.get(orderId);
    // An order's stream starts with OrderPlaced; anything else first means the store is inconsistent: fail loudly.
    if (!current) throw new Error(`order-summaries: ${context.recorded.type} for unknown order ${orderId}`);
    this.orders.set(orderId, { ...current, ...change, version: context.recorded.revision });
  }
}
