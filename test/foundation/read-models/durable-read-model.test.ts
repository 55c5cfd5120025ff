import type { ReactiveDomainError } from '../../../src/core';
import {
  DurableReadModel,
  EventParkedError,
  InMemoryProjectionTransactions,
  ListenerSources,
  ProjectionCheckpointConflictError,
  ProjectionTransactionError,
  ReadModelHandlerError,
  RebuildNotSupportedError,
  streamCheckpoint,
  type DurableEventContext,
  type DurableReadModelOptions,
  type InMemoryProjectionTx,
  type RebuildProgress,
} from '../../../src/foundation';
import type { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import {
  AccountOpened,
  Deposited,
  append,
  appendDeposits,
  eventually,
  newStore,
  registry,
  serializer,
  triangle,
} from '../subscriptions/fixtures';

interface Totals {
  totals: Record<string, number>;
  opened: number;
}
type Tx = InMemoryProjectionTx<Totals>;

const stream1 = ListenerSources.stream('account-1');
/** Batches close only when full, on live or on stop: the tests never depend on timing. */
const NO_TIMER = 3_600_000;

const emptyTotals = (): Totals => ({ totals: {}, opened: 0 });

/** Sums deposits per account in the transaction's draft; records which transaction handled which event. */
class DurableBalances extends DurableReadModel<Tx> {
  static override eventTypes = registry;
  /** `revision@txId` per handled event, including rolled-back attempts. */
  readonly attempts: string[] = [];
  failOn: number | undefined;

  constructor(
    options: Partial<DurableReadModelOptions<Tx>> &
      Pick<DurableReadModelOptions<Tx>, 'store' | 'transactions'>,
  ) {
    super('durable-balances', { serializer, source: stream1, batchDelayMs: NO_TIMER, ...options });
  }

  protected applyDeposited(event: Deposited, { tx, recorded }: DurableEventContext<Tx>): void {
    this.attempts.push(`${recorded.revision}@${tx.id}`);
    if (event.amount === this.failOn) throw new RangeError(`bad amount ${event.amount}`);
    tx.state.totals[event.accountId] = (tx.state.totals[event.accountId] ?? 0) + event.amount;
  }

  protected applyAccountOpened(_event: AccountOpened, { tx }: DurableEventContext<Tx>): void {
    tx.state.opened++;
  }

  protected override reset(tx: Tx): void {
    tx.state = emptyTotals();
  }

  /** Transaction ids, in order, with the number of events each handled. */
  batches(): number[] {
    const sizes = new Map<string, number>();
    for (const attempt of this.attempts) {
      const tx = attempt.split('@')[1]!;
      sizes.set(tx, (sizes.get(tx) ?? 0) + 1);
    }
    return [...sizes.values()];
  }
}

describe('DurableReadModel', () => {
  let store: FaultyStreamStore;
  let transactions: InMemoryProjectionTransactions<Totals>;
  beforeEach(() => {
    store = newStore();
    transactions = new InMemoryProjectionTransactions(emptyTotals());
  });
  afterEach(async () => {
    await store.close();
  });

  it('handles batchSize events per transaction and saves the checkpoint in the same transaction', async () => {
    await appendDeposits(store, 'account-1', 25);
    const model = new DurableBalances({ store, transactions, batchSize: 10 });
    await model.start();
    await model.whenLive();
    expect(model.batches()).toEqual([10, 10, 5]); // the partial batch is committed when the source goes live
    expect(transactions.state.totals['account-1']).toBe(triangle(25));
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(24));
    expect(model.checkpoint).toEqual(streamCheckpoint(24));
    expect(model.handledCount).toBe(25);
    expect(model.status).toBe('live');
    expect(transactions.committed).toBe(1 + 3); // checkpoint load, then three batches

    await append(store, 'account-1', new Deposited('account-1', 100));
    await eventually(() => model.pendingCount === 1, 'the new event waits in a partial batch');
    expect(transactions.state.totals['account-1']).toBe(triangle(25));
    await model.stop(); // commits whatever is pending
    expect(transactions.state.totals['account-1']).toBe(triangle(25) + 100);
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(25));
  });

  it('fail: a handler error rolls the whole batch back — state and checkpoint stay at the last commit', async () => {
    await appendDeposits(store, 'account-1', 25);
    const errors: ReactiveDomainError[] = [];
    const model = new DurableBalances({ store, transactions, batchSize: 10, onError: (e) => errors.push(e) });
    model.failOn = 15; // revision 14, in the second batch
    await model.start();
    await expect(model.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
    expect(model.status).toBe('failed');
    const failure = model.failure as ReadModelHandlerError;
    expect(failure.revision).toBe(14);
    expect(failure.cause).toBeInstanceOf(RangeError);
    expect(errors).toEqual([failure]);
    expect(transactions.state.totals['account-1']).toBe(triangle(10)); // revisions 10..13 were undone
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(9));
    expect(model.checkpoint).toEqual(streamCheckpoint(9));
    expect(transactions.rolledBack).toBe(1);
    await model.stop();
  });

  it('restart after a failed batch resumes exactly at the checkpoint: every effect happens once', async () => {
    await appendDeposits(store, 'account-1', 25);
    const first = new DurableBalances({ store, transactions, batchSize: 10, onError: () => undefined });
    first.failOn = 15;
    await first.start();
    await expect(first.whenLive()).rejects.toBeInstanceOf(ReadModelHandlerError);
    await first.stop();

    const second = new DurableBalances({ store, transactions, batchSize: 10 }); // the bug is fixed
    await second.start();
    await second.whenLive();
    expect(second.attempts.map((a) => Number(a.split('@')[0]))).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 10),
    );
    expect(transactions.state.totals['account-1']).toBe(triangle(25)); // 10..13 counted once, not twice
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(24));
    await second.stop();

    await appendDeposits(store, 'account-1', 3);
    const third = new DurableBalances({ store, transactions, batchSize: 10 });
    await third.start();
    await third.whenLive();
    expect(third.attempts.map((a) => Number(a.split('@')[0]))).toEqual([25, 26, 27]);
    expect(transactions.state.totals['account-1']).toBe(triangle(25) + triangle(3));
    await third.stop();
  });

  it('park: the batch is replayed one event per transaction and exactly the failing event is parked', async () => {
    await appendDeposits(store, 'account-1', 12);
    const errors: ReactiveDomainError[] = [];
    const model = new DurableBalances({
      store,
      transactions,
      batchSize: 5,
      onHandlerError: 'park',
      onError: (e) => errors.push(e),
    });
    model.failOn = 7; // revision 6, in the second batch
    await model.start();
    await model.whenLive();
    expect(model.status).toBe('live');
    expect(model.parked.map((p) => p.event.revision)).toEqual([6]);
    expect(errors.map((e) => e.constructor)).toEqual([EventParkedError]);
    expect(transactions.state.totals['account-1']).toBe(triangle(12) - 7);
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(11));
    await model.stop();

    // The parked event's checkpoint was committed: a restart does not retry it.
    const again = new DurableBalances({ store, transactions, batchSize: 5 });
    await again.start();
    await again.whenLive();
    expect(again.attempts).toEqual([]);
    await again.stop();
  });

  it('a failing commit fails the model with ProjectionTransactionError and changes nothing', async () => {
    await appendDeposits(store, 'account-1', 3);
    const model = new DurableBalances({ store, transactions, batchSize: 10, onError: () => undefined });
    await model.start(); // the checkpoint load commits first
    transactions.failNextCommit(new Error('disk full'));
    await expect(model.whenLive()).rejects.toBeInstanceOf(ProjectionTransactionError);
    expect((model.failure as ProjectionTransactionError).operation).toBe('apply');
    expect(transactions.state.totals).toEqual({});
    expect(transactions.checkpointOf('durable-balances')).toBeUndefined();
    await model.stop();
  });

  it('rebuild resets the state and deletes the checkpoint in one transaction, then replays with progress', async () => {
    await appendDeposits(store, 'account-1', 30);
    await append(store, 'account-1', new AccountOpened('account-1'));
    const model = new DurableBalances({ store, transactions, batchSize: 7 });
    await model.start();
    await model.whenLive();
    const before = structuredClone(transactions.state);

    const progress: RebuildProgress[] = [];
    const result = await model.rebuild({ onProgress: (p) => progress.push(p), progressEvery: 10 });
    expect(result).toEqual({ handled: 31, total: 31 });
    expect(progress.map((p) => p.handled)).toEqual([10, 20, 30, 31]);
    expect(transactions.state).toEqual(before);
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(30));
    expect(model.status).toBe('live');
    await model.stop();
  });

  it('rebuild needs reset(tx): the default throws RebuildNotSupportedError', async () => {
    class NoReset extends DurableReadModel<Tx> {
      static override eventTypes = registry;
    }
    const model = new NoReset('no-reset', { store, serializer, transactions, source: stream1 });
    await expect(model.rebuild()).rejects.toBeInstanceOf(RebuildNotSupportedError);
  });

  it('waitFor(position) resolves once the appended event is committed, without waiting for the batch to fill', async () => {
    const model = new DurableBalances({ store, transactions, batchSize: 50 }); // and no batch timer
    await model.start();
    await model.whenLive();
    const { position } = await store.appendToStream('account-1', 'any', [
      serializer.serialize(new Deposited('account-1', 42)),
    ]);
    await model.waitFor(position);
    expect(transactions.state.totals['account-1']).toBe(42);
    await model.stop();
  });

  it('two instances of one model on one database: the second writer is refused, nothing is applied twice', async () => {
    await appendDeposits(store, 'account-1', 5);
    const errors: ReactiveDomainError[] = [];
    const a = new DurableBalances({ store, transactions, batchSize: 1, onError: (e) => errors.push(e) });
    const b = new DurableBalances({ store, transactions, batchSize: 1, onError: (e) => errors.push(e) });
    await Promise.all([a.start(), b.start()]);
    await Promise.allSettled([a.whenLive(), b.whenLive()]);
    await eventually(
      () => transactions.checkpointOf('durable-balances')?.kind === 'stream' && errors.length > 0,
    );
    const failed = [a, b].filter((m) => m.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.failure).toBeInstanceOf(ProjectionCheckpointConflictError);
    expect(errors.map((e) => e.constructor)).toEqual([ProjectionCheckpointConflictError]);
    const survivor = failed[0] === a ? b : a;
    await survivor.whenLive();
    expect(transactions.state.totals['account-1']).toBe(triangle(5)); // each deposit counted once
    expect(transactions.checkpointOf('durable-balances')).toEqual(streamCheckpoint(4));
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a dropped subscription is reported and resumed from the committed checkpoint: nothing lost or doubled', async () => {
    await appendDeposits(store, 'account-1', 40);
    const errors: ReactiveDomainError[] = [];
    const model = new DurableBalances({
      store,
      transactions,
      batchSize: 7,
      source: ListenerSources.category('account'),
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
      onError: (e) => errors.push(e),
    });
    await model.start();
    await model.whenLive();
    await store.dropSubscriptions(); // while a partial batch may be pending
    await appendDeposits(store, 'account-1', 10);
    const { position } = await store.appendToStream('account-2', 'any', [
      serializer.serialize(new Deposited('account-2', 5)),
    ]);
    await model.waitFor(position);
    expect(transactions.state.totals).toEqual({ 'account-1': triangle(40) + triangle(10), 'account-2': 5 });
    expect(errors.map((e) => e.constructor.name)).toEqual(['SubscriptionDroppedError']);
    expect(model.status).toBe('live');
    await model.stop();
  });
});
