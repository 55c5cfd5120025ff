/**
 * The repository tests use the shared bank domain (test/support/bank.ts), plus a snapshot-capable account and a
 * store that counts what the repository reads.
 */
import type { CorrelatedMessage, SnapshotSource } from '../../../src/core';
import type { StreamStore } from '../../../src/persistence';
import { Account, type AccountId } from '../../support/bank';

export { Account, AccountId, Deposit, OpenAccount, bankEvents as registry } from '../../support/bank';

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
  static override open(id: AccountId, owner: string, source: CorrelatedMessage): SnapshotAccount {
    return super.open(id, owner, source) as SnapshotAccount;
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
