/**
 * Crypto-shredding on the order service: customers' e-mail and name are encrypted per customer; forgetting a customer
 * deletes its key. Afterwards every event still loads, the read models rebuild, the aggregate (and its snapshot)
 * loads — and the personal data is readable nowhere: not in the store, not in snapshots, not in any read model.
 */
import {
  CommandDispatcher,
  CorrelatedRepository,
  EventSerializer,
  InMemoryKeyStore,
  InMemoryStreamStore,
  ListenerSources,
  QueryBus,
  REDACTED,
  StreamSnapshotStore,
  StreamStoreRepository,
  SubjectForgottenError,
  encryptPersonalData,
  encryptSnapshots,
  everyNEvents,
  type RecordedEvent,
  type StreamStore,
} from './reactive-domain';
import { PlaceOrder } from './commands';
import {
  ChangeCustomerEmail,
  Customer,
  CustomerDirectory,
  GetCustomer,
  RegisterCustomer,
  registerCustomerHandlers,
} from './customers';
import { OrderLine, orderServiceEvents } from './events';
import { CustomerId, OrderId, ProductId } from './ids';
import { ListOrders } from './order-summaries';
import { OrderService } from './order-service';

const ADA_EMAIL = 'ada.canary-91@example.org';
const ADA_NEW_EMAIL = 'ada.second-canary-92@example.org';
const ADA_NAME = 'Ada Canaryworth';

async function everything(store: StreamStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let after: bigint | 'start' = 'start';
  for (;;) {
    const slice = await store.readAll({ after, maxCount: 500 });
    out.push(...slice.events);
    if (slice.isEnd || slice.events.length === 0) return out;
    after = slice.events.at(-1)!.position;
  }
}

function expectNoCanary(text: string): void {
  for (const canary of [ADA_EMAIL, ADA_NEW_EMAIL, ADA_NAME, 'Canaryworth', 'canary-9'])
    expect(text).not.toContain(canary);
}

describe('order service: forgetting a customer (crypto-shredding)', () => {
  it('forget a customer, rebuild the read models: nothing fails, no personal field is readable anywhere', async () => {
    const base = new InMemoryStreamStore();
    const keyStore = new InMemoryKeyStore();
    const store = encryptPersonalData(base, { registry: orderServiceEvents, keyStore });
    const serializer = new EventSerializer({ registry: orderServiceEvents });
    const warnings: unknown[] = [];
    const repository = new StreamStoreRepository({
      store,
      serializer,
      snapshots: {
        // Customer snapshots hold e-mail and name: encrypted with the customer's key. Other aggregates' are clear.
        store: encryptSnapshots(new StreamSnapshotStore(base), {
          keyStore,
          subjectOf: (s) => (s.aggregateType === Customer.typeName ? s.aggregateId : undefined),
        }),
        policy: everyNEvents(1),
      },
      onWarning: (w) => warnings.push(w),
    });
    const dispatcher = new CommandDispatcher();
    const queries = new QueryBus();
    const service = new OrderService({ store, serializer, repository, dispatcher, queries });
    registerCustomerHandlers(dispatcher, new CorrelatedRepository(repository));
    const directory = new CustomerDirectory({ store, serializer });
    directory.registerQueries(queries);
    await service.start();
    await directory.start(ListenerSources.category('customer'));

    const ada = CustomerId.create();
    const bob = CustomerId.create();
    await dispatcher.send(new RegisterCustomer(ada, ADA_EMAIL, ADA_NAME));
    await dispatcher.send(new ChangeCustomerEmail(ada, ADA_NEW_EMAIL));
    await dispatcher.send(new RegisterCustomer(bob, 'bob@example.org', 'Bob'));
    const order = OrderId.create();
    await dispatcher.send(new PlaceOrder(order, ada, [new OrderLine(ProductId.create(), 1, 1_000)]));
    await waitFor(() => directory.get(bob) !== null && directory.get(ada)?.email === ADA_NEW_EMAIL);
    expect(await queries.fetch(new GetCustomer(ada))).toMatchObject({ email: ADA_NEW_EMAIL, name: ADA_NAME });

    // Before forgetting: the store and the snapshots hold only ciphertext already.
    const snapshots = await base.readStream(`customer-${ada}.snapshots`);
    if (snapshots.status !== 'ok') throw new Error('no customer snapshot was written');
    expect(snapshots.events.length).toBeGreaterThan(0);
    const rawBefore = [...(await everything(base)), ...snapshots.events];
    expectNoCanary(rawBefore.map((e) => e.data + e.metadata).join('\n'));
    // Read through the decrypting store, the same events still show the personal data (so the checks can fail).
    const readableBefore = (await everything(store)).map((e) => e.data).join('\n');
    expect(readableBefore).toContain(ADA_NEW_EMAIL);
    expect(readableBefore).toContain(ADA_NAME);

    await store.forget(ada);

    // The aggregate loads (its snapshot cannot be decrypted any more: replayed from redacted events).
    const forgotten = await repository.getById(Customer, ada);
    expect(forgotten.forgotten).toBe(true);
    expect(forgotten.email).toBe(REDACTED);
    expect(forgotten.expectedVersion).toBe(1);
    expectNoCanary(JSON.stringify(forgotten));
    expect((await repository.getById(Customer, bob)).email).toBe('bob@example.org');

    // New personal data for a forgotten customer is refused, and nothing is appended.
    const refused = await dispatcher.trySend(new ChangeCustomerEmail(ada, ADA_EMAIL));
    expect(refused.kind).toBe('fail');
    expect((refused as { error?: unknown }).error).toBeInstanceOf(SubjectForgottenError);
    expect((await repository.getById(Customer, ada)).expectedVersion).toBe(1);

    // Rebuild both read models from the start: nothing fails, ada's personal fields are Redacted, bob's intact.
    await directory.rebuild();
    await service.summaries.rebuild();
    expect(directory.get(ada)).toEqual({ customerId: ada, email: REDACTED, name: REDACTED });
    expect(directory.get(bob)).toMatchObject({ email: 'bob@example.org', name: 'Bob' });
    expect((await queries.fetch(new ListOrders(ada))).total).toBe(1);
    expectNoCanary(JSON.stringify(directory.all()));
    expectNoCanary(JSON.stringify(await queries.fetch(new GetCustomer(ada))));
    expect(directory.status).not.toBe('failed');

    // Everything stored, snapshots included, read through the decrypting store: still nothing readable.
    const decrypted = await everything(store);
    expectNoCanary(decrypted.map((e) => e.data + e.metadata).join('\n'));
    expectNoCanary((await everything(base)).map((e) => e.data + e.metadata).join('\n'));
    const snapshotsAfter = await store.readStream(`customer-${ada}.snapshots`);
    expectNoCanary(
      JSON.stringify(snapshotsAfter.status === 'ok' ? snapshotsAfter.events.map((e) => e.data) : []),
    );
    expect(warnings).toEqual([]);

    await directory.stop();
    await service.stop();
  });
});

async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
