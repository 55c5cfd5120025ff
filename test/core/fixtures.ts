import { AggregateRoot, Command, Event, EventTypeRegistry, type Id, defineId } from '../../src/core';

export const AccountId = defineId('AccountId');
export type AccountId = Id<'AccountId'>;

export class OpenAccount extends Command {
  constructor(readonly accountId: AccountId) {
    super();
  }
}
export class AccountOpened extends Event {
  constructor(readonly accountId: AccountId) {
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
export class Audited extends Event {}

/** A registry private to these tests, so registrations never leak between test files. */
export const registry = new EventTypeRegistry()
  .register(AccountOpened, 'AccountOpened')
  .register(Deposited, 'Deposited')
  .register(Withdrawn, 'Withdrawn')
  .register(Audited, 'Audited');

/** Routes by convention. */
export class Account extends AggregateRoot<AccountId> {
  static readonly typeName = 'Account';
  static override eventTypes = registry;
  balance = 0;
  opened = false;

  static open(id: AccountId, source: OpenAccount): Account {
    const account = new Account(id, source);
    account.raise(new AccountOpened(id));
    return account;
  }
  deposit(amount: number): void {
    if (amount <= 0) throw new RangeError('amount must be positive');
    this.raise(new Deposited(this.id, amount));
  }
  withdraw(amount: number): void {
    this.raise(new Withdrawn(this.id, amount));
  }
  audit(): void {
    this.raise(new Audited());
  }
  protected applyAccountOpened(): void {
    this.opened = true;
  }
  protected applyDeposited(e: Deposited): void {
    this.balance += e.amount;
  }
  protected applyWithdrawn(e: Withdrawn): void {
    if (e.amount > this.balance) throw new RangeError('insufficient funds');
    this.balance -= e.amount;
  }
}
