import {
  CommandDispatcher,
  CorrelatedRepository,
  EventSerializer,
  ListenerSources,
  ProcessManagerHost,
  QueryBus,
  StreamStoreRepository,
  recordCommands,
  type BusSubscription,
  type CheckpointStore,
  type ReactiveDomainError,
  type StreamStore,
} from './reactive-domain';
import { orderServiceEvents } from './events';
import { fulfillmentInputs, OrderFulfillment } from './fulfillment';
import { registerOrderServiceHandlers } from './handlers';
import { OrderSummaries } from './order-summaries';
import { InMemoryPaymentGateway, type PaymentGateway } from './payment';

/** What the service is built from. A `TestEnvironment` has all of the first five. */
export interface OrderServiceDeps {
  readonly store: StreamStore;
  readonly serializer: EventSerializer;
  readonly repository: StreamStoreRepository;
  readonly dispatcher: CommandDispatcher;
  readonly queries: QueryBus;
  /** Default: an {@link InMemoryPaymentGateway}. */
  readonly payments?: PaymentGateway;
  /** Time source for order dates. */
  readonly now?: () => Date;
  /**
   * Where the saga keeps its checkpoints, so a restarted service resumes after the last handled event instead of
   * reacting to old events again (its own state is durable in its streams). Default: none (memory only).
   */
  readonly checkpoints?: CheckpointStore;
  /** Errors of the read model and the saga (drops, failed sends...). Default: process warnings. */
  readonly onError?: (error: ReactiveDomainError) => void;
}

/**
 * The order service, wired: command handlers on the dispatcher, the order list (read model + queries) and the
 * fulfillment saga (process manager host). `start()` catches both up with the store and resolves once they are live.
 */
export class OrderService {
  readonly dispatcher: CommandDispatcher;
  readonly queries: QueryBus;
  readonly repository: StreamStoreRepository;
  readonly summaries: OrderSummaries;
  readonly fulfillment: ProcessManagerHost<OrderFulfillment>;
  private readonly registrations: BusSubscription[];

  constructor(deps: OrderServiceDeps) {
    if (deps.serializer.registry !== orderServiceEvents) {
      throw new Error(
        'OrderService: the serializer must use orderServiceEvents (the registry of the service)',
      );
    }
    this.dispatcher = deps.dispatcher;
    this.queries = deps.queries;
    this.repository = deps.repository;
    const onError = deps.onError ? { onError: deps.onError } : {};
    this.registrations = registerOrderServiceHandlers({
      dispatcher: deps.dispatcher,
      repository: new CorrelatedRepository(deps.repository),
      payments: deps.payments ?? new InMemoryPaymentGateway(),
      ...(deps.now ? { now: deps.now } : {}),
    });
    this.summaries = new OrderSummaries({ store: deps.store, serializer: deps.serializer, ...onError });
    this.registrations.push(...this.summaries.registerQueries(deps.queries));
    this.fulfillment = new ProcessManagerHost({
      type: OrderFulfillment,
      inputs: fulfillmentInputs,
      correlate: (input) => (input as { orderId?: OrderFulfillment['id'] }).orderId,
      store: deps.store,
      serializer: deps.serializer,
      repository: deps.repository,
      dispatcher: deps.dispatcher,
      ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}),
      ...onError,
    });
  }

  /** Starts the read model and the saga; resolves once both have caught up with the store. */
  async start(): Promise<void> {
    await this.summaries.start(ListenerSources.category('order'));
    await this.fulfillment.start(
      ListenerSources.category('order'),
      ListenerSources.category('warehouse'),
      ListenerSources.category('payment'),
    );
    await Promise.all([this.summaries.whenLive(), this.fulfillment.whenLive()]);
  }

  /** Stops the saga and the read model, and unregisters the handlers. */
  async stop(): Promise<void> {
    await this.fulfillment.stop();
    await this.summaries.stop();
    for (const registration of this.registrations) registration.unsubscribe();
  }
}

/** Builds the service's plumbing around a store (what `main.ts` does; tests use a `TestEnvironment` instead). */
export function createOrderService(
  store: StreamStore,
  options: Omit<OrderServiceDeps, 'store' | 'serializer' | 'repository' | 'dispatcher' | 'queries'> = {},
): OrderService {
  const serializer = new EventSerializer({ registry: orderServiceEvents });
  const dispatcher = new CommandDispatcher();
  // Commands are not events: record them, so `npx reactive-domain trace <correlationId>` shows them in the tree.
  dispatcher.use(recordCommands(store));
  return new OrderService({
    store,
    serializer,
    repository: new StreamStoreRepository({ store, serializer }),
    dispatcher,
    queries: new QueryBus(),
    ...options,
  });
}
