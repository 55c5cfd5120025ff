/**
 * The sample domain shared by the tests: a bank account. Ids, commands, events (one with a `Date` field and its
 * schema), a typed domain error, the `Account` aggregate, its command handlers, a query and a `Balances` read model.
 * Tests that need a small, ordinary domain use this one; test files keep only their own quirks beside it (see
 * test/testing/fixtures.ts, which adds misbehaving events and methods to check the testing kit's reports).
 *
 * Every test file gets its own copy of this module (Jest isolates modules per file), so registrations never leak
 * between files.
 */
import {
  AggregateRoot,
  Command,
  Event,
  EventTypeRegistry,
  Query,
  ReactiveDomainError,
  type CorrelatedMessage,
  type Id,
  defineId,
} from '../../src/core';
import type { CorrelatedRepository } from '../../src/foundation';
import { ReadModelBase, type ReadModelOptions } from '../../src/foundation/read-models/read-model-base';
import type { CommandDispatcher, QueryBus } from '../../src/messaging';

export const AccountId = defineId('AccountId');
export type AccountId = Id<'AccountId'>;

export class OpenAccount extends Command {
  constructor(
    readonly accountId: AccountId,
    readonly owner: string,
  ) {
    super();
  }
}
export class Deposit extends Command {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}
export class Withdraw extends Command {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}

export class AccountOpened extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly owner: string,
  ) {
    super();
  }
}
export class Deposited extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}
export class Withdrawn extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly amount: number,
  ) {
    super();
  }
}
/** Has a Date: registered with a field schema, so it survives storage. */
export class AccountFrozen extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly at: Date,
  ) {
    super();
  }
}

/** Registers the bank's events in `registry` (returned, for chaining further registrations). */
export function registerBankEvents(registry: EventTypeRegistry): EventTypeRegistry {
  return registry
    .register(AccountOpened, 'AccountOpened')
    .register(Deposited, 'Deposited')
    .register(Withdrawn, 'Withdrawn')
    .register(AccountFrozen, 'AccountFrozen', { fields: { at: Date } });
}

/** The bank's events. */
export const bankEvents = registerBankEvents(new EventTypeRegistry());

export class InsufficientFundsError extends ReactiveDomainError {
  readonly code = 'INSUFFICIENT_FUNDS';
  constructor(
    readonly accountId: string,
    readonly balance: number,
    readonly amount: number,
  ) {
    super(`Account ${accountId}: cannot withdraw ${amount}, balance is ${balance}`);
  }
}

export class Account extends AggregateRoot<AccountId> {
  static readonly typeName: string = 'Account';
  static override eventTypes = bankEvents;
  balance = 0;
  deposits = 0;
  frozen = false;

  /** Opens an account (an instance of the class it is called on, so subclasses open their own kind). */
  static open(id: AccountId, owner: string, source: CorrelatedMessage): Account {
    const account = new this(id, source);
    account.raise(new AccountOpened(id, owner));
    return account;
  }
  deposit(amount: number): void {
    this.raise(new Deposited(this.id, amount));
  }
  withdraw(amount: number): void {
    if (amount > this.balance) throw new InsufficientFundsError(this.id, this.balance, amount);
    this.raise(new Withdrawn(this.id, amount));
  }
  freeze(at: Date): void {
    this.raise(new AccountFrozen(this.id, at));
  }
  protected applyDeposited(e: Deposited): void {
    this.balance += e.amount;
    this.deposits++;
  }
  protected applyWithdrawn(e: Withdrawn): void {
    this.balance -= e.amount;
  }
  protected applyAccountFrozen(): void {
    this.frozen = true;
  }
}

/** Command handlers over a correlated repository. */
export function registerAccountHandlers(
  dispatcher: CommandDispatcher,
  repository: CorrelatedRepository,
  type: typeof Account = Account,
): void {
  dispatcher.register(OpenAccount, async (c) => {
    await repository.save(type.open(c.accountId, c.owner, c));
  });
  dispatcher.register(Deposit, async (c) => {
    const account = await repository.getById(type, c.accountId, c);
    account.deposit(c.amount);
    await repository.save(account);
  });
  dispatcher.register(Withdraw, async (c) => {
    const account = await repository.getById(type, c.accountId, c);
    account.withdraw(c.amount);
    await repository.save(account);
  });
}

export class GetBalance extends Query<number | null> {
  constructor(readonly accountId: AccountId) {
    super();
  }
}

/** Balances per account. */
export class Balances extends ReadModelBase {
  static override eventTypes = bankEvents;
  readonly balances = new Map<string, number>();
  constructor(options: ReadModelOptions) {
    super('balances', options);
  }
  protected applyAccountOpened(e: AccountOpened): void {
    this.balances.set(e.accountId, 0);
  }
  protected applyDeposited(e: Deposited): void {
    this.balances.set(e.accountId, (this.balances.get(e.accountId) ?? 0) + e.amount);
  }
  protected applyWithdrawn(e: Withdrawn): void {
    if (e.amount < 0) throw new RangeError('negative withdrawal');
    this.balances.set(e.accountId, (this.balances.get(e.accountId) ?? 0) - e.amount);
  }
  get(id: string): number | undefined {
    return this.balances.get(id);
  }
  static registerQueries(model: Balances, queries: QueryBus): void {
    queries.register(GetBalance, (q) => model.get(q.accountId) ?? null);
  }
}
