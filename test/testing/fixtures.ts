import {
  AggregateRoot,
  Command,
  Event,
  EventTypeRegistry,
  Query,
  ReactiveDomainError,
  type Id,
  defineId,
} from '../../src/core';
import type { CorrelatedMessage } from '../../src/core';
import type { CorrelatedRepository } from '../../src/foundation';
import { ReadModelBase, type ReadModelOptions } from '../../src/foundation/read-models/read-model-base';
import type { CommandDispatcher, QueryBus } from '../../src/messaging';

/** A small bank-account domain for the testing kit's own tests. */

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
/** Has a Date but is registered WITHOUT a schema: must be caught by the round trip. */
export class AuditNoted extends Event {
  constructor(
    readonly accountId: AccountId,
    readonly at: Date,
  ) {
    super();
  }
}
/** Never registered. */
export class Unregistered extends Event {
  constructor(readonly accountId: AccountId) {
    super();
  }
}

export const registry = new EventTypeRegistry()
  .register(AccountOpened, 'AccountOpened')
  .register(Deposited, 'Deposited')
  .register(Withdrawn, 'Withdrawn')
  .register(AccountFrozen, 'AccountFrozen', { fields: { at: Date } })
  .register(AuditNoted, 'AuditNoted');

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
  static readonly typeName = 'Account';
  static override eventTypes = registry;
  balance = 0;
  frozen = false;

  static open(id: AccountId, owner: string, source: CorrelatedMessage): Account {
    const account = new Account(id, source);
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
  /** Raises then throws: a bug the specs must report. */
  depositThenFail(amount: number): void {
    this.deposit(amount);
    throw new Error('boom after raising');
  }
  freeze(at: Date): void {
    this.raise(new AccountFrozen(this.id, at));
  }
  audit(at: Date): void {
    this.raise(new AuditNoted(this.id, at));
  }
  raiseUnregistered(): void {
    this.raise(new Unregistered(this.id));
  }
  protected applyDeposited(e: Deposited): void {
    this.balance += e.amount;
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
): void {
  dispatcher.register(OpenAccount, async (c) => {
    await repository.save(Account.open(c.accountId, c.owner, c));
  });
  dispatcher.register(Deposit, async (c) => {
    const account = await repository.getById(Account, c.accountId, c);
    account.deposit(c.amount);
    await repository.save(account);
  });
  dispatcher.register(Withdraw, async (c) => {
    const account = await repository.getById(Account, c.accountId, c);
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
  static override eventTypes = registry;
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
