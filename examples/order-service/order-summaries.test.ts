import { ListenerSources } from './reactive-domain';
import { readModelSpec, type TestEnvironment } from '../../src/testing';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderLine,
  OrderPlaced,
  OrderShipped,
  orderServiceEvents,
} from './events';
import { CustomerId, OrderId, ProductId } from './ids';
import { Order } from './order';
import { GetOrder, ListOrders, OrderSummaries } from './order-summaries';

const ada = CustomerId.create();
const bob = CustomerId.create();
const product = ProductId.create();
const day = (n: number) => new Date(Date.UTC(2026, 2, n));
const placedOn = (orderId: OrderId, customerId: CustomerId, n: number) =>
  new OrderPlaced(orderId, customerId, [new OrderLine(product, n, 100)], n * 100, day(n));

const model = (env: TestEnvironment) => new OrderSummaries({ store: env.store, serializer: env.serializer });
const options = {
  registry: orderServiceEvents,
  sources: [ListenerSources.category('order')],
  queries: (m: OrderSummaries, env: TestEnvironment) => void m.registerQueries(env.queries),
};

describe('OrderSummaries', () => {
  const first = OrderId.create();
  const second = OrderId.create();
  const third = OrderId.create();

  it('follows an order through its life (catch-up, then live)', async () => {
    await readModelSpec(model, options)
      .given(Order, first, placedOn(first, ada, 1), new OrderConfirmed(first))
      .when(Order, first, new OrderShipped(first, 'T-1'))
      .thenQuery(new GetOrder(first), {
        orderId: first,
        customerId: ada,
        status: 'shipped',
        totalCents: 100,
        itemCount: 1,
        placedAt: day(1),
        trackingNumber: 'T-1',
        version: 2,
      });
  });

  it('keeps the cancellation reason', async () => {
    await readModelSpec(model, options)
      .given(Order, first, placedOn(first, ada, 1))
      .when(Order, first, new OrderCancelled(first, 'out of stock'))
      .thenState((m) => [m.get(first)?.status, m.get(first)?.cancelReason], ['cancelled', 'out of stock']);
  });

  it("lists a customer's orders newest first, by status, paged", async () => {
    const spec = () =>
      readModelSpec(model, options)
        .given(Order, first, placedOn(first, ada, 1))
        .given(Order, second, placedOn(second, ada, 2), new OrderCancelled(second, 'x'))
        .given(Order, third, placedOn(third, ada, 3))
        .given(Order, OrderId.create(), placedOn(OrderId.create(), bob, 4));
    await spec().then(async (_m, env) => {
      const all = await env.queries.fetch(new ListOrders(ada));
      expect(all.total).toBe(3);
      expect(all.items.map((o) => o.orderId)).toEqual([third, second, first]);
      const pending = await env.queries.fetch(new ListOrders(ada, { status: 'pending' }));
      expect(pending.items.map((o) => o.orderId)).toEqual([third, first]);
      const page2 = await env.queries.fetch(new ListOrders(ada, { page: 2, pageSize: 2 }));
      expect(page2).toEqual({
        items: [expect.objectContaining({ orderId: first })],
        page: 2,
        pageSize: 2,
        total: 3,
      });
    });
    await spec().thenQuery(new GetOrder(OrderId.create()), null);
  });

  it('fails loudly on a stream that does not start with OrderPlaced', async () => {
    const failure = await readModelSpec(model, options)
      .given(Order, first, new OrderConfirmed(first))
      .thenFails(Error);
    expect(failure.message).toContain('OrderConfirmed for unknown order');
  });
});
