import {
  AggregateRoot,
  Command,
  Query,
  ReadModelBase,
  isRedacted,
  type BusSubscription,
  type CommandDispatcher,
  type CorrelatedMessage,
  type CorrelatedRepository,
  type EventContext,
  type QueryBus,
  type ReadModelOptions,
  type Redacted,
  type SnapshotSource,
} from './reactive-domain';
import type { CustomerId } from './ids';
import { CustomerEmailChanged, CustomerRegistered, orderServiceEvents } from './events';
import { OrderServiceError } from './errors';

// ---- Commands --------------------------------------------------------------------------------------------------------

/** Signs a customer up. */
export class RegisterCustomer extends Command {
  constructor(
    readonly customerId: CustomerId,
    readonly email: string,
    readonly name: string,
  ) {
    super();
  }
}
/** Changes a customer's e-mail address. */
export class ChangeCustomerEmail extends Command {
  constructor(
    readonly customerId: CustomerId,
    readonly email: string,
  ) {
    super();
  }
}

/** An e-mail address without an `@` (the message never repeats the address: it is personal data). */
export class InvalidEmailError extends OrderServiceError {
  readonly code = 'CUSTOMER_EMAIL_INVALID';
  constructor(readonly customerId: string) {
    super(`Customer ${customerId}: the e-mail address is not valid`);
  }
}
/** The customer already exists. */
export class CustomerExistsError extends OrderServiceError {
  readonly code = 'CUSTOMER_EXISTS';
  constructor(readonly customerId: string) {
    super(`Customer ${customerId} is already registered`);
  }
}

// ---- Aggregate -------------------------------------------------------------------------------------------------------

/** What a customer snapshot holds (personal data: snapshots of customers are encrypted, see `encryptSnapshots`). */
export interface CustomerSnapshot {
  readonly email: string | Redacted;
  readonly name: string | Redacted;
}

/**
 * A customer. Its state holds personal data, which reads as `Redacted` once the customer is forgotten: the
 * aggregate still loads, and a rule that needs the value (none here) would have to say what a forgotten customer
 * may still do.
 */
export class Customer extends AggregateRoot<CustomerId> implements SnapshotSource<CustomerSnapshot> {
  static readonly typeName = 'Customer';
  static override eventTypes = orderServiceEvents;
  static override strictRouting = true;
  static snapshotVersion = 1;

  email: string | Redacted = '';
  name: string | Redacted = '';

  /** Registers a new customer. */
  static register(id: CustomerId, email: string, name: string, source: CorrelatedMessage): Customer {
    if (!email.includes('@')) throw new InvalidEmailError(id);
    const customer = new Customer(id, source);
    customer.raise(new CustomerRegistered(id, email, name));
    return customer;
  }

  /** Changes the e-mail address. */
  changeEmail(email: string): void {
    if (!email.includes('@')) throw new InvalidEmailError(this.id);
    this.raise(new CustomerEmailChanged(this.id, email));
  }

  /** True when the customer was forgotten (its personal data is gone). */
  get forgotten(): boolean {
    return isRedacted(this.name);
  }

  /** {@inheritDoc SnapshotSource.takeSnapshot} */
  takeSnapshot(): CustomerSnapshot {
    return { email: this.email, name: this.name };
  }
  /** {@inheritDoc SnapshotSource.restoreFromSnapshot} */
  restoreFromSnapshot(snapshot: CustomerSnapshot): void {
    this.email = snapshot.email;
    this.name = snapshot.name;
  }

  protected applyCustomerRegistered(e: CustomerRegistered): void {
    this.email = e.email;
    this.name = e.name;
  }
  protected applyCustomerEmailChanged(e: CustomerEmailChanged): void {
    this.email = e.email;
  }
}

/** Registers the customer command handlers. */
export function registerCustomerHandlers(
  dispatcher: Pick<CommandDispatcher, 'register'>,
  repository: CorrelatedRepository,
): BusSubscription[] {
  return [
    dispatcher.register(RegisterCustomer, async (c) => {
      if (await repository.tryGetById(Customer, c.customerId, c)) throw new CustomerExistsError(c.customerId);
      await repository.save(Customer.register(c.customerId, c.email, c.name, c));
    }),
    dispatcher.register(ChangeCustomerEmail, async (c) => {
      const customer = await repository.getById(Customer, c.customerId, c);
      customer.changeEmail(c.email);
      await repository.save(customer);
    }),
  ];
}

// ---- Read model --------------------------------------------------------------------------------------------------------

/** What the customer directory shows. `Redacted` fields: the customer was forgotten. */
export interface CustomerEntry {
  readonly customerId: CustomerId;
  readonly email: string | Redacted;
  readonly name: string | Redacted;
}

/** One customer by id, or `null`. */
export class GetCustomer extends Query<CustomerEntry | null> {
  constructor(readonly customerId: CustomerId) {
    super();
  }
}

/** The customer directory: follows the customer category (give the category name to `start`). */
export class CustomerDirectory extends ReadModelBase {
  static override eventTypes = orderServiceEvents;
  private readonly customers = new Map<CustomerId, CustomerEntry>();

  constructor(options: ReadModelOptions, name = 'customer-directory') {
    super(name, options);
  }

  /** One customer, or null. */
  get(customerId: CustomerId): CustomerEntry | null {
    return this.customers.get(customerId) ?? null;
  }

  /** Every entry (for the example's checks). */
  all(): readonly CustomerEntry[] {
    return [...this.customers.values()];
  }

  /** Answers {@link GetCustomer} on `queries`. */
  registerQueries(queries: QueryBus): BusSubscription[] {
    return [queries.register(GetCustomer, (q) => this.get(q.customerId))];
  }

  protected override reset(): void {
    this.customers.clear();
  }

  protected applyCustomerRegistered(e: CustomerRegistered, _context: EventContext): void {
    this.customers.set(e.customerId, { customerId: e.customerId, email: e.email, name: e.name });
  }
  protected applyCustomerEmailChanged(e: CustomerEmailChanged): void {
    const current = this.customers.get(e.customerId);
    if (current) this.customers.set(e.customerId, { ...current, email: e.email });
  }
}
