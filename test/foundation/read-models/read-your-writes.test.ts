import {
  CorrelatedRepository,
  ListenerSources,
  ReadModelBase,
  StreamStoreRepository,
} from '../../../src/foundation';
import { CommandDispatcher } from '../../../src/messaging';
import { EventSerializer, InMemoryStreamStore, type StreamStore } from '../../../src/persistence';
import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import { Account, AccountId, Deposit, type Deposited, OpenAccount, registry } from '../repository/fixtures';

const serializer = new EventSerializer({ registry });

class Balances extends ReadModelBase {
  static override eventTypes = registry;
  readonly balances = new Map<string, number>();
  constructor(store: StreamStore) {
    super('balances', { store, serializer });
  }
  protected applyDeposited(e: Deposited): void {
    this.balances.set(e.accountId, (this.balances.get(e.accountId) ?? 0) + e.amount);
  }
}

describe('read your own writes: Success.lastPosition + ReadModelBase.waitFor', () => {
  it('a query after waitFor(outcome.lastPosition) sees the command, even when delivery lags', async () => {
    // Deliveries lag appends, so reading the model right after send() would see stale state.
    const store = new FaultyStreamStore(new InMemoryStreamStore(), { delayMs: 20 });
    const correlated = new CorrelatedRepository(new StreamStoreRepository({ store, serializer }));
    const dispatcher = new CommandDispatcher();
    dispatcher.register(OpenAccount, async (c) => void (await correlated.save(Account.open(c.accountId, c))));
    dispatcher.register(Deposit, async (c) => {
      const account = await correlated.getById(Account, c.accountId, c);
      account.deposit(c.amount);
      await correlated.save(account);
    });
    const model = new Balances(store);
    await model.start(ListenerSources.category('account'));
    await model.whenLive();

    const id = AccountId.create();
    await dispatcher.send(new OpenAccount(id));
    let expected = 0;
    for (const amount of [5, 7, 11]) {
      const outcome = await dispatcher.send(new Deposit(id, amount));
      expected += amount;
      expect(outcome.lastPosition).toEqual(expect.any(BigInt));
      await model.waitFor(outcome.lastPosition!);
      expect(model.balances.get(id)).toBe(expected);
    }
    await model.stop();
    await store.close();
  });
});
