import {
  CommandDispatcher,
  CorrelatedRepository,
  EventSerializer,
  ListenerSources,
  PrincipalScope,
  QueryBus,
  StreamSnapshotStore,
  StreamStoreRepository,
  TenantScope,
  TenantStreamNameBuilder,
  allOf,
  allow,
  authorize,
  deny,
  encryptPersonalData,
  encryptSnapshots,
  enforceTenant,
  everyNEvents,
  rolePolicy,
  tenantIsolated,
  type EncryptingStreamStore,
  type KeyStore,
  type Policy,
  type Principal,
  type StreamStore,
  type TenantStreamStore,
} from './reactive-domain';
import {
  ChangeCustomerEmail,
  Customer,
  CustomerDirectory,
  GetCustomer,
  RegisterCustomer,
  registerCustomerHandlers,
} from './customers';
import { orderServiceEvents } from './events';

/**
 * Who may do what with customers: clerks register and look customers up; a customer may change only their own
 * e-mail address (their principal id is their customer id).
 */
export const customerPolicy: Policy = allOf(
  rolePolicy([
    [RegisterCustomer, ['clerk']],
    [ChangeCustomerEmail, ['clerk', 'customer']],
    [GetCustomer, ['clerk']],
  ]),
  (principal: Principal | undefined, message: object) =>
    message instanceof ChangeCustomerEmail &&
    !principal?.roles.includes('clerk') &&
    principal?.id !== message.customerId
      ? deny('a customer may change only their own e-mail address')
      : allow(),
);

/**
 * The customer side of the order service for many tenants sharing one store: every stream in the tenant's
 * namespace (`acme.customer-<id>`), personal fields encrypted per customer, a directory per tenant, and every command
 * and query checked for its tenant and its principal's rights. Run calls inside `TenantScope.run(tenant, ...)` and
 * `PrincipalScope.run(user, ...)` (what an HTTP layer does per request).
 */
export class TenantCustomerService {
  readonly dispatcher = new CommandDispatcher();
  readonly queries = new QueryBus();
  /** The tenant-isolated, encrypting store the service writes to. */
  readonly store: TenantStreamStore;
  /** The encryption layer (forget customers here). */
  readonly personalData: EncryptingStreamStore;
  private readonly serializer = new EventSerializer({ registry: orderServiceEvents });
  private readonly names = new TenantStreamNameBuilder();
  private readonly directories = new Map<string, CustomerDirectory>();

  constructor(sharedStore: StreamStore, keyStore: KeyStore) {
    this.personalData = encryptPersonalData(sharedStore, { registry: orderServiceEvents, keyStore });
    this.store = tenantIsolated(this.personalData);
    const repository = new StreamStoreRepository({
      store: this.store,
      serializer: this.serializer,
      streamNames: this.names,
      snapshots: {
        store: encryptSnapshots(new StreamSnapshotStore(this.store), { keyStore }),
        policy: everyNEvents(5),
      },
    });
    // Every command and query runs through the tenant check first (a message of another tenant is refused whoever
    // sends it), then the policy; a refusal is a typed failure and the handler never runs.
    this.dispatcher.use(enforceTenant());
    this.dispatcher.use(authorize(customerPolicy));
    this.queries.use(enforceTenant());
    this.queries.use(authorize(customerPolicy));
    registerCustomerHandlers(this.dispatcher, new CorrelatedRepository(repository));
    // One directory per tenant; the query answers from the caller's tenant's directory only.
    this.queries.register(
      GetCustomer,
      (q) => this.directories.get(TenantScope.require('GetCustomer'))?.get(q.customerId) ?? null,
    );
  }

  /** Starts the directory of `tenant` (catch-up, then live). */
  async openTenant(tenant: string): Promise<CustomerDirectory> {
    return TenantScope.run(tenant, async () => {
      const directory = new CustomerDirectory(
        { store: this.store, serializer: this.serializer },
        `customer-directory-${tenant}`,
      );
      await directory.start(ListenerSources.category(this.names.forCategory(Customer.typeName)));
      await directory.whenLive();
      this.directories.set(tenant, directory);
      return directory;
    });
  }

  /** Runs `fn` as `principal` of `tenant` (what a request handler does). */
  as<T>(tenant: string, principal: Principal, fn: () => T): T {
    return TenantScope.run(tenant, () => PrincipalScope.run(principal, fn));
  }

  /** Stops every tenant's directory. */
  async stop(): Promise<void> {
    for (const directory of this.directories.values()) await directory.stop();
  }
}
