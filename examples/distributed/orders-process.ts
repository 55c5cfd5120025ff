/**
 * The order service: its own store, the Order aggregate, the order list and the fulfillment saga. The saga's
 * warehouse and payment commands go to the other process through the broker (`forwardCommands`), and that
 * process's events come back through the broker into this store, where the saga follows them as before: each
 * received event is appended in the same SQLite transaction as its id in the inbox, so a redelivered one is never
 * appended twice. Exits 0 when every expected outcome was observed and the correlation chain of an order is
 * unbroken across both processes.
 */
import {
  CommandDispatcher,
  CorrelatedRepository,
  EventSerializer,
  ExpectedVersion,
  ListenerSources,
  MessageBuilder,
  ProcessManagerHost,
  QueryBus,
  RemoteCommandSender,
  StreamStoreRepository,
  forwardCommands,
  type Command,
  type RecordedEvent,
} from '../order-service/reactive-domain';
import { SqliteDatabase, SqliteInboxStore, SqliteStreamStore } from '../order-service/reactive-domain-sqlite';
import { CancelOrder, ConfirmOrder, PlaceOrder, StockProduct } from '../order-service/commands';
import { OrderLine, orderServiceEvents } from '../order-service/events';
import { fulfillmentInputs, OrderFulfillment } from '../order-service/fulfillment';
import { MAIN_WAREHOUSE, OrderId, ProductId } from '../order-service/ids';
import { Order } from '../order-service/order';
import { GetOrder, OrderSummaries, type OrderSummary } from '../order-service/order-summaries';
import {
  ADA,
  CY,
  ORDERS_REPLICA_GROUP,
  cleanUpBroker,
  codec,
  connectBroker,
  dataFile,
  log,
  remoteCommandTypes,
  short,
} from './shared';

const WATCHDOG_MS = 40_000;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`Unexpected outcome: ${message}`);
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`orders: did not finish within ${WATCHDOG_MS} ms\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  // This process's own SQLite file: its events, and the inbox of the events it receives.
  const database = SqliteDatabase.open(dataFile('orders.sqlite'));
  const store = new SqliteStreamStore({ database });
  log(`store: SQLite ${database.path}, inbox in the same file`);
  const serializer = new EventSerializer({ registry: orderServiceEvents });
  const repository = new StreamStoreRepository({ store, serializer });
  const correlated = new CorrelatedRepository(repository);
  const dispatcher = new CommandDispatcher();
  const queries = new QueryBus();
  const sent: Command[] = [];
  dispatcher.commands$.subscribe((command) => sent.push(command));

  // The order's own commands are handled here.
  dispatcher.register(PlaceOrder, async (c) => {
    await correlated.save(Order.place(c.orderId, c.customerId, c.lines, new Date(), c));
  });
  dispatcher.register(ConfirmOrder, async (c) => {
    const order = await correlated.getById(Order, c.orderId, c);
    order.confirm();
    await correlated.save(order);
  });
  dispatcher.register(CancelOrder, async (c) => {
    const order = await correlated.getById(Order, c.orderId, c);
    order.cancel(c.reason);
    await correlated.save(order);
  });

  const transport = await connectBroker();
  // Warehouse and payment commands: handled in the other process.
  const sender = new RemoteCommandSender({ transport, codec, defaultTimeoutMs: 10_000 });
  await sender.start();
  forwardCommands({ dispatcher, sender, types: remoteCommandTypes });

  // The other side's events, into this store under their own stream names, once each: the append and the inbox
  // record commit in one SQLite transaction.
  const inbox = new SqliteInboxStore(database);
  const received = new Set<string>();
  const replica = await transport.subscribe(
    { group: ORDERS_REPLICA_GROUP, topics: ['events.>'], prefetch: 1 },
    async ({ message }) => {
      const stream = message.headers?.stream;
      if (!stream) throw new Error(`event ${message.messageId} has no stream header`);
      await inbox.handleOnceSync(ORDERS_REPLICA_GROUP, message.messageId, (tx) =>
        store.appendInTransaction(tx, stream, ExpectedVersion.Any, [
          {
            eventId: message.messageId,
            type: message.type,
            data: message.body,
            metadata: message.metadata ?? '',
          },
        ]),
      );
      received.add(message.messageId);
    },
  );

  const summaries = new OrderSummaries({ store, serializer });
  summaries.registerQueries(queries);
  const fulfillment = new ProcessManagerHost({
    type: OrderFulfillment,
    inputs: fulfillmentInputs,
    correlate: (input) => (input as { orderId?: OrderFulfillment['id'] }).orderId,
    store,
    serializer,
    repository,
    dispatcher,
  });
  await summaries.start(ListenerSources.category('order'));
  await fulfillment.start(
    ListenerSources.category('order'),
    ListenerSources.category('warehouse'),
    ListenerSources.category('payment'),
  );

  const statusOf = async (orderId: OrderId, status: OrderSummary['status']): Promise<OrderSummary> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const order = await queries.fetch(new GetOrder(orderId));
      if (order?.status === status) return order;
      if (Date.now() > deadline)
        throw new Error(`order ${short(orderId)} did not become ${status}: ${order?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  try {
    const keyboard = ProductId.create();
    const mouse = ProductId.create();
    log('== Stock the warehouse (commands sent to the other process)');
    await dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, keyboard, 10)));
    await dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, mouse, 5)));

    log('== Ada orders a keyboard and two mice: reserve (remote), pay (remote), confirm (here)');
    const adaOrder = OrderId.create();
    const place = MessageBuilder.new(
      () =>
        new PlaceOrder(adaOrder, ADA, [new OrderLine(keyboard, 1, 4_999), new OrderLine(mouse, 2, 1_950)]),
    );
    await dispatcher.send(place);
    const ada = await statusOf(adaOrder, 'confirmed');
    log(`   order ${short(adaOrder)}: ${ada.status}, $${(ada.totalCents / 100).toFixed(2)}`);

    log("== Cy's card is declined on the other side: stock released there, order cancelled here");
    const cyOrder = OrderId.create();
    await dispatcher.send(
      MessageBuilder.new(() => new PlaceOrder(cyOrder, CY, [new OrderLine(keyboard, 2, 4_999)])),
    );
    const cy = await statusOf(cyOrder, 'cancelled');
    log(`   order ${short(cyOrder)}: ${cy.status} ("${cy.cancelReason}")`);

    log(`== Correlation chain of Ada's order (correlation id ${short(place.msgId)}), across both processes`);
    const labels = new Map<string, string>([[place.msgId, 'PlaceOrder']]);
    for (const command of sent) labels.set(command.msgId, command.constructor.name);
    const chain: RecordedEvent[] = [];
    for (let after: bigint | 'start' = 'start'; ;) {
      const slice = await store.readAll({ after, maxCount: 500 });
      for (const event of slice.events) {
        labels.set(event.eventId, event.type);
        const meta = JSON.parse(event.metadata) as { $correlationId?: string };
        if (meta.$correlationId === place.msgId && !event.streamName.startsWith('fulfillment-'))
          chain.push(event);
      }
      if (slice.isEnd || slice.events.length === 0) break;
      after = slice.events[slice.events.length - 1]!.position;
    }
    const commands = new Map(sent.map((c) => [c.msgId, c]));
    const line = (what: string, id: string, where: string, cause: string | undefined): void => {
      const causeLabel = cause === undefined ? undefined : labels.get(cause);
      if (cause !== undefined && !causeLabel) broken++;
      const because =
        cause === undefined
          ? '(starts the conversation)'
          : `caused by ${causeLabel ?? 'UNKNOWN'} ${short(cause)}`;
      log(`   ${what.padEnd(16)} ${short(id)}  ${where.padEnd(29)} ${because}`);
    };
    let broken = 0;
    line('PlaceOrder', place.msgId, 'command, handled here', undefined);
    for (const event of chain) {
      const cause = (JSON.parse(event.metadata) as { $causationId?: string }).$causationId;
      const command = cause === undefined ? undefined : commands.get(cause);
      if (command && command !== place) {
        const remote = remoteCommandTypes.some((t) => command instanceof t);
        line(
          command.constructor.name,
          command.msgId,
          `command, handled ${remote ? 'over there' : 'here'}`,
          command.causationId,
        );
      }
      line(
        event.type,
        event.eventId,
        `event, ${received.has(event.eventId) ? 'from the other process' : 'appended here'}`,
        cause,
      );
    }
    const types = chain.map((e) => e.type);
    for (const expected of ['OrderPlaced', 'StockReserved', 'PaymentCaptured', 'OrderConfirmed']) {
      check(types.includes(expected), `the correlation chain must include ${expected}`);
    }
    check(
      chain.some((e) => received.has(e.eventId)),
      'part of the chain must come from the other process',
    );
    check(broken === 0, `${broken} event(s) of the chain have a cause outside it`);
    log(
      `   correlation chain unbroken across processes: ${chain.length} events, ` +
        `${chain.filter((e) => received.has(e.eventId)).length} from the other process; ` +
        `inbox absorbed ${inbox.duplicates} duplicate(s)`,
    );
  } finally {
    await fulfillment.stop();
    await summaries.stop();
    await sender.stop();
    await replica.close();
    await cleanUpBroker(transport);
    await transport.close();
    await store.close();
    database.close();
    clearTimeout(watchdog);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `orders failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
