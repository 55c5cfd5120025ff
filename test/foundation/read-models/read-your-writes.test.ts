import { CorrelatedRepository, ListenerSources, StreamStoreRepository } from '../../../src/foundation';
import { CommandDispatcher } from '../../../src/messaging';
import { EventSerializer, InMemoryStreamStore } from '../../../src/persistence';
import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import {
  AccountId,
  Balances,
  Deposit,
  OpenAccount,
  bankEvents as registry,
  registerAccountHandlers,
} from '../../support/bank';

const serializer = new EventSerializer({ registry });

describe('read your own writes: Success.lastPosition + ReadModelBase.waitFor', () => {
  it('a query after waitFor(outcome.lastPosition) sees the command, even when delivery lags', async () => {
    // Deliveries lag appends, so reading the model right after send() would see stale state.
    const store = new FaultyStreamStore(new InMemoryStreamStore(), { delayMs: 20 });
    const correlated = new CorrelatedRepository(new StreamStoreRepository({ store, serializer }));
    const dispatcher = new CommandDispatcher();
    registerAccountHandlers(dispatcher, correlated);
    const model = new Balances({ store, serializer });
    await model.start(ListenerSources.category('account'));
    await model.whenLive();

    const id = AccountId.create();
    await dispatcher.send(new OpenAccount(id, 'Ada'));
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
