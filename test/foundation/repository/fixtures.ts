import type { StreamStore } from '../../../src/persistence';
import {
  AggregateRoot,
  Command,
  Event,
  EventTypeRegistry,
  type Id,
  type SnapshotSource,
  defineId,
} from '../../../src/core';

export const AccountId = defineId('AccountId');
export type AccountId = Id<'AccountId'>;

export class OpenAccount extends Command {
  constructor(readonly accountId: AccountId) {
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

export const registry = new EventTypeRegistry()
  .register(AccountOpened, 'AccountOpened')
  .register(Deposited, 'Deposited');

export class Account extends AggregateRoot<AccountId> {
  static readonly typeName: string = 'Account';
  static override eventTypes = registry;
  balance = 0;
  deposits = 0;

  static open(id: AccountId, source: Command): Account {
    const account = new Account(id, source);
    account.raise(new AccountOpened(id));
    return account;
  }
  deposit(amount: number): void {
    this.raise(new Deposited(this.id, amount));
  }
  protected applyDeposited(e: Deposited): void {
    this.balance += e.amount;
    this.deposits++;
  }
}

/** The same aggregate, snapshot-capable. */
export class SnapshotAccount
  extends Account
  implements SnapshotSource<{ balance: number; deposits: number }>
{
  static override readonly typeName = 'SnapshotAccount';
  static snapshotVersion = 1;
  restoredFromSnapshot = false;
  takeSnapshot() {
    return { balance: this.balance, deposits: this.deposits };
  }
  restoreFromSnapshot(s: { balance: number; deposits: number }): void {
    this.balance = s.balance;
    this.deposits = s.deposits;
    this.restoredFromSnapshot = true;
  }
  static override open(id: AccountId, source: Command): SnapshotAccount {
    const account = new SnapshotAccount(id, source);
    account.raise(new AccountOpened(id));
    return account;
  }
}

/** Counts the events the repository reads, to prove paging and snapshot savings. */
export function countingStore(store: StreamStore): {
  store: StreamStore;
  reads: { calls: number; events: number };
} {
  const reads = { calls: 0, events: 0 };
  const counting: StreamStore = Object.create(store) as StreamStore;
  counting.readStream = async (name, options) => {
    const result = await store.readStream(name, options);
    reads.calls++;
    if (result.status === 'ok') reads.events += result.events.length;
    return result;
  };
  return { store: counting, reads };
}
