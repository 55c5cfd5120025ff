import { AckCommand, MessageBuilder, Success } from '../../src/messaging';
import { ExpectedVersion } from '../../src/persistence';
import { TestQueueTimeoutError, createTestEnvironment, type TestEnvironment } from '../../src/testing';
import {
  Account,
  AccountId,
  AccountOpened,
  Deposit,
  Deposited,
  OpenAccount,
  registerAccountHandlers,
  registry,
} from './fixtures';

describe('TestEnvironment', () => {
  let env: TestEnvironment;
  afterEach(() => env?.dispose());
  const id = AccountId.create();

  it('wires store, repositories, dispatcher and queues in one call', async () => {
    env = createTestEnvironment({ registry });
    registerAccountHandlers(env.dispatcher, env.correlated);
    const open = MessageBuilder.new(() => new OpenAccount(id, 'ada'));
    await env.dispatcher.send(open);
    await env.dispatcher.send(MessageBuilder.from(open).build(() => new Deposit(id, 5)));
    // Commands and bus messages, in order.
    env.queue
      .assertNext(OpenAccount)
      .assertNext(AckCommand)
      .assertNext(Success, { correlationId: open.msgId })
      .assertNext(Deposit)
      .assertNext(AckCommand)
      .assertNext(Success)
      .assertEmpty();
    // Stored events, deserialized, from the store subscription.
    const [opened, deposited] = await env.events.waitForMany(Object as never, 2);
    expect(opened).toBeInstanceOf(AccountOpened);
    expect((deposited as Deposited).correlationId).toBe(open.msgId);
    expect(env.streamOf(Account, id)).toBe(`account-${id}`);
    expect(await env.readEvents([Account, id])).toHaveLength(2);
    expect((await env.repository.getById(Account, id)).balance).toBe(5);
    const stored = await env.readStored(`account-${id}`);
    expect(stored[1]!.metadata.aggregateType).toBe('Account');
    expect(await env.readEvents('nothing-here')).toEqual([]);
  });

  it('given writes history; readAllStored/endPosition see what was appended since', async () => {
    env = createTestEnvironment({ registry, streamNamePrefix: 'bank' });
    await env.given(Account, id, new AccountOpened(id, 'ada'));
    const before = await env.endPosition();
    await env.givenStream('other-1', new Deposited(id, 1));
    const since = await env.readAllStored(before);
    expect(since.map((e) => e.streamName)).toEqual(['other-1']);
    expect((await env.readAllStored()).map((e) => e.streamName)).toEqual([`bank.account-${id}`, 'other-1']);
    await expect(env.given(Account, id)).rejects.toThrow('give at least one event');
  });

  it('publishStoredEvents republishes stored events on the bus; settle waits until the system is quiet', async () => {
    env = createTestEnvironment({ registry, publishStoredEvents: true, ignore: [AckCommand] });
    registerAccountHandlers(env.dispatcher, env.correlated);
    // A reaction: every account opened gets a welcome deposit (a saga in miniature).
    env.bus.subscribe(AccountOpened, async (e) => {
      await env.dispatcher.send(MessageBuilder.from(e).build(() => new Deposit(e.accountId, 1)));
    });
    await env.dispatcher.send(new OpenAccount(id, 'ada'));
    await env.settle();
    expect(await env.readEvents([Account, id])).toEqual([
      expect.any(AccountOpened),
      expect.objectContaining({ amount: 1 }),
    ]);
    expect(env.queue.ofType(AccountOpened)).toHaveLength(1);
    expect(env.queue.ofType(Deposited)).toHaveLength(1);
  });

  it('dispose stops tracked objects, is idempotent, and reports unreadable stored events', async () => {
    env = createTestEnvironment({ registry, queueTimeoutMs: 50 });
    const stopped: string[] = [];
    env.track({ stop: () => stopped.push('a') });
    env.track({ unsubscribe: () => stopped.push('b') });
    await env.store.appendToStream('x-1', ExpectedVersion.Any, [
      { eventId: AccountId.create(), type: 'NoSuchType', data: '{}', metadata: '{}' },
    ]);
    await expect(env.settle()).rejects.toThrow(
      /Unknown event type "NoSuchType" in stream "x-1" at revision 0/,
    );
    await expect(env.dispose()).rejects.toThrow(/NoSuchType/);
    expect(stopped).toEqual(['b', 'a']);
    await env.dispose();
  });

  it('a settle that cannot complete times out with a clear error', async () => {
    env = createTestEnvironment({ registry, publishStoredEvents: true, queueTimeoutMs: 50 });
    env.bus.subscribe(AccountOpened, () => new Promise<void>(() => undefined)); // never finishes
    await env.given(Account, id, new AccountOpened(id, 'ada'));
    await expect(env.settle(30)).rejects.toThrow(TestQueueTimeoutError);
    await expect(env.dispose()).rejects.toThrow(
      /TestEnvironment.dispose: a handler of a stored event was still running after 50 ms/,
    );
  });
});

describe('TestEnvironment with correlationScope', () => {
  it('runs handlers in a scope of their command: a CorrelatedRepository needs no source there', async () => {
    const env = createTestEnvironment({ registry, correlationScope: true });
    try {
      const id = AccountId.create();
      env.dispatcher.register(OpenAccount, async (c) => {
        await env.correlated.save(Account.open(c.accountId, c.owner, c));
      });
      env.dispatcher.register(Deposit, async (c) => {
        const account = await env.correlated.getById(Account, c.accountId); // ambient source
        account.deposit(c.amount);
        await env.correlated.save(account);
      });
      const open = MessageBuilder.new(() => new OpenAccount(id, 'ada'));
      await env.dispatcher.send(open);
      const deposit = MessageBuilder.from(open).build(() => new Deposit(id, 5));
      const success = await env.dispatcher.send(deposit);
      expect(success.positions).toHaveLength(1);
      const [, deposited] = await env.events.waitForMany(Object as never, 2);
      expect((deposited as Deposited).causationId).toBe(deposit.msgId);
    } finally {
      await env.dispose();
    }
  });
});
