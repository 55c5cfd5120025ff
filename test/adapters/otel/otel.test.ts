import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR,
  METRIC,
  ReactiveDomainTelemetry,
  extractTraceContext,
  formatTraceparent,
  parseTraceparent,
} from '../../../src/adapters/otel';
import {
  CommandDispatcher,
  EventSerializer,
  InMemoryStreamStore,
  MessageBuilder,
  QueryBus,
  StreamStoreRepository,
  type StreamSlice,
  type StreamStore,
} from '../../../src';
import { PlaceOrder, StockProduct } from '../../../examples/order-service/commands';
import { InMemoryCheckpointStore } from '../../../src/foundation';
import { InMemoryTransport, LogForwarder, type MessageTransport } from '../../../src/transport';
import { OrderLine, orderServiceEvents } from '../../../examples/order-service/events';
import { CustomerId, MAIN_WAREHOUSE, OrderId, ProductId } from '../../../examples/order-service/ids';
import { GetOrder } from '../../../examples/order-service/order-summaries';
import { OrderService } from '../../../examples/order-service/order-service';

class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

async function eventually<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function sdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = new ReactiveDomainTelemetry({ tracerProvider, meterProvider });
  const metrics = async (): Promise<MetricData[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  };
  return { exporter, telemetry, metrics };
}

function points(metrics: MetricData[], name: string): Array<DataPoint<unknown>> {
  return (metrics.find((metric) => metric.descriptor.name === name)?.dataPoints ?? []) as Array<
    DataPoint<unknown>
  >;
}

/** Span name with aggregate ids in stream names shortened, so a path can be compared. */
const label = (span: ReadableSpan): string => span.name.replace(/-[0-9a-f-]{36}$/, '-<id>');

function ancestry(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const chain = [span];
  let current = span;
  while (current.parentSpanContext) {
    const parent = byId.get(current.parentSpanContext.spanId);
    if (!parent) break;
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

describe('reactive-domain/otel on the order-service saga', () => {
  it('one trace from PlaceOrder to OrderConfirmed: command, save, append, the saga reacting, its commands', async () => {
    const { exporter, telemetry, metrics } = sdk();
    const memory = new InMemoryStreamStore();
    const store = telemetry.traceStore(memory);
    const serializer = new EventSerializer({ registry: orderServiceEvents });
    const repository = telemetry.traceRepository(new StreamStoreRepository({ store, serializer }));
    const dispatcher = new CommandDispatcher();
    const queries = new QueryBus();
    telemetry.instrument({ dispatcher, queries });
    const service = new OrderService({ store, serializer, repository, dispatcher, queries });
    await service.start();
    try {
      const keyboard = ProductId.create();
      await dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, keyboard, 10)));
      const orderId = OrderId.create();
      const place = MessageBuilder.new(
        () => new PlaceOrder(orderId, CustomerId.create(), [new OrderLine(keyboard, 2, 1_000)]),
      );
      await dispatcher.send(place);
      await eventually(
        () => queries.fetch(new GetOrder(orderId)),
        (order) => order?.status === 'confirmed',
        'the order to be confirmed',
      );
      await service.fulfillment.whenLive();

      const spans = await eventually(
        () => exporter.getFinishedSpans(),
        (all) => all.some((span) => span.name === 'handle ConfirmOrder'),
        'the ConfirmOrder span',
      );
      const root = spans.find((span) => span.name === 'handle PlaceOrder')!;
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.attributes).toMatchObject({
        [ATTR.messageKind]: 'command',
        [ATTR.messageType]: 'PlaceOrder',
        [ATTR.messageId]: place.msgId,
        [ATTR.correlationId]: place.msgId,
        [ATTR.outcome]: 'success',
      });
      const traceId = root.spanContext().traceId;
      const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));

      // The saga's last command sits at the end of one unbroken chain of parent links from PlaceOrder.
      const confirm = spans.find(
        (span) => span.name === 'handle ConfirmOrder' && span.spanContext().traceId === traceId,
      );
      expect(confirm).toBeDefined();
      expect(ancestry(confirm!, byId).map(label)).toEqual([
        'handle PlaceOrder',
        'save Order',
        'append order-<id>',
        'process OrderPlaced',
        'handle ReserveStock',
        'save Warehouse',
        'append warehouse-<id>',
        'process StockReserved',
        'handle TakePayment',
        'save Payment',
        'append payment-<id>',
        'process PaymentCaptured',
        'handle ConfirmOrder',
      ]);
      // ConfirmOrder's own work, and the read model seeing OrderConfirmed, are in the same trace.
      const inTrace = spans.filter((span) => span.spanContext().traceId === traceId).map(label);
      expect(inTrace).toEqual(
        expect.arrayContaining([
          'load Order',
          'read order-<id>',
          'process OrderConfirmed',
          'load Fulfillment',
        ]),
      );
      // The stock command was another conversation: another trace.
      const stock = spans.find((span) => span.name === 'handle StockProduct')!;
      expect(stock.spanContext().traceId).not.toBe(traceId);

      // Event spans carry stream, revision, position, correlation and causation.
      const placed = spans.find(
        (span) => span.name === 'process OrderPlaced' && span.spanContext().traceId === traceId,
      )!;
      expect(placed.attributes).toMatchObject({
        [ATTR.messageKind]: 'event',
        [ATTR.stream]: `order-${orderId}`,
        [ATTR.revision]: 0,
        [ATTR.correlationId]: place.msgId,
        [ATTR.causationId]: place.msgId,
      });
      expect(placed.attributes[ATTR.position]).toMatch(/^\d+$/);
      const append = byId.get(placed.parentSpanContext!.spanId)!;
      expect(append.attributes).toMatchObject({ [ATTR.stream]: `order-${orderId}`, [ATTR.revision]: 0 });

      // The trace context is stored in the event's metadata headers, as W3C traceparent.
      const stored = await memory.readStream(`order-${orderId}`, { maxCount: 1 });
      const metadata = JSON.parse((stored as StreamSlice).events[0]!.metadata) as {
        headers: { traceparent: string };
      };
      expect(parseTraceparent(metadata.headers.traceparent)).toMatchObject({
        traceId,
        spanId: append.spanContext().spanId,
      });

      const collected = await metrics();
      const handled = points(collected, METRIC.commandsHandled);
      const placeOrders = handled.find(
        (point) =>
          point.attributes[ATTR.messageType] === 'PlaceOrder' && point.attributes[ATTR.outcome] === 'success',
      );
      expect(placeOrders?.value).toBe(1);
      const durations = points(collected, METRIC.commandDuration);
      expect(durations.some((point) => (point.value as { count: number }).count >= 1)).toBe(true);
      const appended = points(collected, METRIC.eventsAppended);
      expect(appended.find((point) => point.attributes[ATTR.messageType] === 'OrderConfirmed')?.value).toBe(
        1,
      );
      // Every subscription is caught up with what this process appended.
      const lag = points(collected, METRIC.lagEvents);
      expect(lag.length).toBeGreaterThan(0);
      expect(lag.every((point) => point.value === 0)).toBe(true);
      expect(points(collected, METRIC.lagSeconds).every((point) => point.value === 0)).toBe(true);
    } finally {
      await service.stop();
      await store.close();
    }
  });

  it('a failing command span is marked failed; a dropped subscription is counted and still reported', async () => {
    const { exporter, telemetry, metrics } = sdk();
    const store: StreamStore = telemetry.traceStore(new InMemoryStreamStore());
    const dispatcher = new CommandDispatcher();
    telemetry.instrument({ dispatcher });
    dispatcher.register(StockProduct, () => {
      throw new Error('warehouse closed');
    });
    const response = await dispatcher.trySend(
      MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, ProductId.create(), 1)),
    );
    expect(response.kind).toBe('fail');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'handle StockProduct')!;
    expect(span.status.code).toBe(2 /* ERROR */);
    expect(span.attributes[ATTR.outcome]).toBe('fail');
    expect(span.events.some((event) => event.name === 'exception')).toBe(true);

    await store.appendToStream('s-1', 'any', [
      { eventId: crypto.randomUUID(), type: 'T', data: '{}', metadata: '{}' },
    ]);
    const drops: unknown[] = [];
    store.subscribeToStream(
      's-1',
      { after: 'start' },
      {
        onEvent: () => {
          throw new Error('handler broke');
        },
        onDropped: (error) => void drops.push(error),
      },
    );
    await eventually(
      () => drops.length,
      (n) => n === 1,
      'the drop',
    );
    const dropped = points(await metrics(), METRIC.subscriptionDrops);
    expect(dropped).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: { [ATTR.dropReason]: 'handler_error', [ATTR.subscription]: 'stream s-1' },
      }),
    ]);
    const outcomes = points(await metrics(), METRIC.commandsHandled);
    expect(outcomes.map((point) => point.attributes[ATTR.outcome])).toEqual(['fail']);
    await store.close();
  });

  it('lag gauges count events appended here and not yet handled, and their age', async () => {
    const { telemetry, metrics, exporter } = sdk();
    const memory = new InMemoryStreamStore();
    const store = telemetry.traceStore(memory);
    // The model subscribes through its own wrapper, named: spans and lag carry its name.
    const modelStore = telemetry.traceStore(memory, { subscriber: 'order-list' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const subscription = modelStore.subscribeToAll(
      { after: 'start', filter: { on: 'streamName', prefixes: ['order-'] } },
      {
        onEvent: async (event) => {
          await gate;
          handled.push(event.streamName);
        },
      },
    );
    const event = () => ({ eventId: crypto.randomUUID(), type: 'T', data: '{}', metadata: '{}' });
    await store.appendToStream('order-1', 'any', [event(), event()]);
    await store.appendToStream('other-1', 'any', [event()]);
    const lagOf = async () =>
      points(await metrics(), METRIC.lagEvents).find(
        (point) => point.attributes[ATTR.subscription] === 'order-list ($all streamName order-)',
      )?.value;
    expect(await lagOf()).toBe(2);
    const age = points(await metrics(), METRIC.lagSeconds)[0]!.value as number;
    expect(age).toBeGreaterThanOrEqual(0);
    release();
    await eventually(
      () => handled.length,
      (n) => n === 2,
      'both events handled',
    );
    await eventually(lagOf, (lag) => lag === 0, 'lag 0');
    const processed = exporter.getFinishedSpans().filter((span) => span.name === 'process T');
    expect(processed).toHaveLength(2);
    expect(processed[0]!.attributes).toMatchObject({
      [ATTR.subscriber]: 'order-list',
      [ATTR.stream]: 'order-1',
    });
    expect(telemetry.lagTrackers.size).toBe(1);
    await subscription.close();
    expect(telemetry.lagTrackers.size).toBe(0); // a closed subscription is no longer observed
    await store.close();
  });
});

describe('reactive-domain/otel across a broker', () => {
  it('the log forwarder publishes in the trace of the event, and the remote consumer continues it', async () => {
    const { exporter, telemetry } = sdk();
    const memory = new InMemoryStreamStore();
    const store = telemetry.traceStore(memory);
    const dispatcher = new CommandDispatcher();
    telemetry.instrument({ dispatcher });
    dispatcher.register(StockProduct, async (command) => {
      await store.appendToStream('warehouse-1', 'any', [
        {
          eventId: crypto.randomUUID(),
          type: 'StockAdded',
          data: '{}',
          metadata: JSON.stringify({ $correlationId: command.correlationId, $causationId: command.msgId }),
        },
      ]);
    });
    // Both sides of the broker go through the traced transport.
    const transport: MessageTransport = telemetry.traceTransport(new InMemoryTransport());
    const consumed: string[] = [];
    const subscription = await transport.subscribe(
      { group: 'remote', topics: ['events.>'] },
      async (delivery) => {
        consumed.push(delivery.message.type);
        await delivery.ack();
      },
    );
    const forwarder = new LogForwarder({
      name: 'out',
      store: memory,
      transport,
      checkpoints: new InMemoryCheckpointStore(),
    });
    await forwarder.start();
    const command = MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, ProductId.create(), 1));
    await dispatcher.send(command);
    await eventually(
      () => consumed.length,
      (n) => n === 1,
      'the remote consumer',
    );
    await forwarder.stop();
    await subscription.close();

    const spans = await eventually(
      () => exporter.getFinishedSpans(),
      (all) => all.some((span) => span.name === 'consume StockAdded'),
      'the consume span',
    );
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const consume = spans.find((span) => span.name === 'consume StockAdded')!;
    expect(ancestry(consume, byId).map(label)).toEqual([
      'handle StockProduct',
      'append warehouse-1',
      'publish events.warehouse.StockAdded',
      'consume StockAdded',
    ]);
    expect(consume.attributes).toMatchObject({
      [ATTR.correlationId]: command.msgId,
      'messaging.destination.name': 'events.warehouse.StockAdded',
    });
    await store.close();
  });
});

describe('reactive-domain/otel without a registered provider', () => {
  it('records nothing and leaves event metadata untouched', async () => {
    expect(trace.getTracerProvider()).toBeDefined();
    const telemetry = new ReactiveDomainTelemetry();
    expect(telemetry.active()).toBeUndefined();
    const memory = new InMemoryStreamStore();
    const store = telemetry.traceStore(memory);
    const dispatcher = new CommandDispatcher();
    telemetry.instrument({ dispatcher });
    dispatcher.register(StockProduct, async () => {
      await store.appendToStream('s-1', 'any', [
        { eventId: crypto.randomUUID(), type: 'T', data: '{}', metadata: '{"$correlationId":"c"}' },
      ]);
    });
    await dispatcher.send(MessageBuilder.new(() => new StockProduct(MAIN_WAREHOUSE, ProductId.create(), 1)));
    const read = await memory.readStream('s-1');
    expect((read as StreamSlice).events[0]!.metadata).toBe('{"$correlationId":"c"}');
    await store.close();
  });
});

describe('W3C trace context helpers', () => {
  it('format and parse round-trip; invalid values are refused', () => {
    const spanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const header = formatTraceparent(spanContext);
    expect(header).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    expect(parseTraceparent(header)).toEqual({ ...spanContext, isRemote: true });
    for (const bad of [
      undefined,
      42,
      '',
      '01-aa-bb-01',
      `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  it('extractTraceContext continues a trace from headers and leaves the context alone without them', () => {
    const telemetry = new ReactiveDomainTelemetry();
    const api = telemetry.api;
    const headers = { traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`, tracestate: 'vendor=x' };
    const continued = extractTraceContext(api, headers, api.ROOT_CONTEXT);
    const spanContext = api.trace.getSpanContext(continued)!;
    expect(spanContext).toMatchObject({ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), isRemote: true });
    expect(spanContext.traceState?.get('vendor')).toBe('x');
    expect(extractTraceContext(api, { other: 1 }, api.ROOT_CONTEXT)).toBe(api.ROOT_CONTEXT);
    expect(extractTraceContext(api, null, api.ROOT_CONTEXT)).toBe(api.ROOT_CONTEXT);
  });
});
