/**
 * The testing kit's own tests use the shared bank domain (test/support/bank.ts) plus a few deliberate faults, so
 * that the specs' reports can be checked: an event with a Date but no field schema, an event that is never
 * registered, and a method that raises then throws.
 */
import { Event, EventTypeRegistry, type CorrelatedMessage } from '../../src/core';
import type { CorrelatedRepository } from '../../src/foundation';
import type { CommandDispatcher } from '../../src/messaging';
import {
  type AccountId,
  Account as BankAccount,
  Balances as BankBalances,
  registerAccountHandlers as registerBankHandlers,
  registerBankEvents,
} from '../support/bank';

export {
  AccountFrozen,
  AccountId,
  AccountOpened,
  Deposit,
  Deposited,
  GetBalance,
  InsufficientFundsError,
  OpenAccount,
  Withdraw,
  Withdrawn,
} from '../support/bank';

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

/** The bank's events plus AuditNoted (no schema on purpose). */
export const registry = registerBankEvents(new EventTypeRegistry()).register(AuditNoted, 'AuditNoted');

/** The bank account with the faults above. */
export class Account extends BankAccount {
  static override eventTypes = registry;

  static override open(id: AccountId, owner: string, source: CorrelatedMessage): Account {
    return super.open(id, owner, source) as Account;
  }
  /** Raises then throws: a bug the specs must report. */
  depositThenFail(amount: number): void {
    this.deposit(amount);
    throw new Error('boom after raising');
  }
  audit(at: Date): void {
    this.raise(new AuditNoted(this.id, at));
  }
  raiseUnregistered(): void {
    this.raise(new Unregistered(this.id));
  }
}

/** Command handlers over a correlated repository, for this file's Account. */
export function registerAccountHandlers(
  dispatcher: CommandDispatcher,
  repository: CorrelatedRepository,
): void {
  registerBankHandlers(dispatcher, repository, Account);
}

/** The bank's balances read model over this file's registry (a read model uses its serializer's registry). */
export class Balances extends BankBalances {
  static override eventTypes = registry;
}
