import { AckCommand, CommandDispatcher, InMemoryBus, MessageBuilder, Success } from '../../src/messaging';
import { TestQueue, TestQueueAssertionError, TestQueueTimeoutError } from '../../src/testing';
import { AccountId, AccountOpened, Deposit, Deposited } from './fixtures';

describe('TestQueue', () => {
  const id = AccountId.create();

  it('captures bus messages in order and waits for one that has not arrived yet', async () => {
    const bus = new InMemoryBus();
    const queue = TestQueue.capture(bus);
    await bus.publish(new AccountOpened(id, 'ada'));
    const waiting = queue.waitFor(Deposited, { where: (e) => e.amount === 2 });
    await bus.publish(new Deposited(id, 1));
    await bus.publish(new Deposited(id, 2));
    expect((await waiting).amount).toBe(2);
    // Already captured messages satisfy a wait at once; waits do not consume.
    expect((await queue.waitFor(AccountOpened)).owner).toBe('ada');
    expect(await queue.waitForMany(Deposited, 2)).toHaveLength(2);
    expect(queue.messages).toHaveLength(3);
    expect(queue.ofType(Deposited).map((d) => d.amount)).toEqual([1, 2]);
    queue
      .assertNext(AccountOpened)
      .assertNext(Deposited, (d) => d.amount === 1)
      .assertNext(Deposited)
      .assertEmpty();
  });

  it('a timed-out wait names the awaited type and lists what was seen', async () => {
    const queue = new TestQueue({ name: 'q', timeoutMs: 20 });
    queue.push(new AccountOpened(id, 'ada'));
    const error = await queue.waitFor(Deposited).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestQueueTimeoutError);
    expect((error as Error).message).toBe(
      `q: no Deposited arrived within 20 ms. Seen 1 message(s):\n  AccountOpened { accountId: "${id}", owner: "ada" }`,
    );
    const many = await queue.waitForMany(AccountOpened, 2, { timeoutMs: 10 }).catch((e: unknown) => e);
    expect((many as Error).message).toMatch(/^q: no 2 x AccountOpened arrived within 10 ms \(got 1\)/);
    const filtered = await queue
      .waitFor(AccountOpened, { where: () => false, timeoutMs: 10 })
      .catch((e: unknown) => e);
    expect((filtered as Error).message).toMatch(/no AccountOpened matching the predicate arrived/);
  });

  it('assertNext reports the wrong type, a failed predicate, a wrong correlation id and an empty queue', () => {
    const queue = new TestQueue({ name: 'q' });
    const opened = MessageBuilder.new(() => new AccountOpened(id, 'ada'));
    queue.push(opened);
    expect(() => queue.assertNext(Deposited)).toThrow(
      new TestQueueAssertionError(
        `q: expected next message Deposited, got AccountOpened { accountId: "${id}", owner: "ada" }\nPending:\n  AccountOpened { accountId: "${id}", owner: "ada" }`,
      ),
    );
    expect(() => queue.assertNext(AccountOpened, (e) => e.owner === 'bob')).toThrow(
      /does not satisfy the predicate/,
    );
    expect(() => queue.assertNext(AccountOpened, { correlationId: 'other' })).toThrow(
      `q: next message AccountOpened has correlationId "${opened.msgId}", expected "other"`,
    );
    // Failed assertions do not consume.
    expect(queue.dequeueNext(AccountOpened, { correlationId: opened.msgId })).toBe(opened);
    expect(() => queue.assertNext(AccountOpened)).toThrow(
      'q: expected next message AccountOpened, but no message is pending (1 consumed)',
    );
  });

  it('assertEmpty lists the pending messages; clear forgets everything', () => {
    const queue = new TestQueue({ name: 'q' });
    queue.push(new Deposited(id, 1));
    expect(() => queue.assertEmpty()).toThrow(
      `q: expected no pending message, found 1:\n  Deposited { accountId: "${id}", amount: 1 }`,
    );
    queue.clear();
    expect(queue.messages).toHaveLength(0);
    queue.assertEmpty();
  });

  it('next waits for the next message and checks it', async () => {
    const queue = new TestQueue({ name: 'q', timeoutMs: 20 });
    setTimeout(() => queue.push(new Deposited(id, 7)), 1);
    expect((await queue.next(Deposited)).amount).toBe(7);
    await expect(queue.next(Deposited)).rejects.toThrow(
      /q: expected a next message Deposited, but nothing arrived within 20 ms/,
    );
  });

  it('captures dispatcher commands and ignores the listed types; detach stops capture', async () => {
    const dispatcher = new CommandDispatcher();
    const queue = new TestQueue({ ignore: [AckCommand] })
      .attachToObservable(dispatcher.commands$)
      .attachTo(dispatcher.bus);
    dispatcher.register(Deposit, () => undefined);
    const command = MessageBuilder.new(() => new Deposit(id, 1));
    await dispatcher.send(command);
    queue.assertNext(Deposit).assertNext(Success, { correlationId: command.msgId }).assertEmpty();
    queue.detach();
    await dispatcher.send(new Deposit(id, 2));
    queue.assertEmpty();
  });

  it('rejects a non-positive count', async () => {
    await expect(new TestQueue().waitForMany(Deposited, 0)).rejects.toThrow(TestQueueAssertionError);
  });
});
