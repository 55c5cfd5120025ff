import { Canceled, CommandNotHandledError, Fail, MessageBuilder, Success } from '../../src/messaging';
import { CommandTimedOutError } from '../../src/messaging';
import { TestQueue, createTestEnvironment, reactiveDomainMatchers } from '../../src/testing';
import {
  Account,
  AccountId,
  AccountOpened,
  Deposit,
  Deposited,
  InsufficientFundsError,
  registerAccountHandlers,
  registry,
} from './fixtures';

expect.extend(reactiveDomainMatchers);

/** The message of a failing assertion. */
function failureOf(assertion: () => void): string {
  try {
    assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

describe('Jest matchers', () => {
  const id = AccountId.create();
  const opened = () => {
    const account = new Account(id);
    account.restoreFromEvents([new AccountOpened(id, 'ada')]);
    account.source = MessageBuilder.new(() => new Deposit(id, 2));
    return account;
  };

  it("toHaveRaised compares an aggregate's pending events (or an array)", () => {
    const account = opened();
    expect(account).toHaveRaised();
    account.deposit(2);
    expect(account).toHaveRaised(new Deposited(id, 2));
    expect([new Deposited(id, 2)]).toHaveRaised(new Deposited(id, 2));
    expect(account).not.toHaveRaised(new Deposited(id, 3));
    const message = failureOf(() => expect(account).toHaveRaised(new Deposited(id, 3)));
    expect(message).toContain(`toHaveRaised (Account "${id}"): the events differ`);
    expect(message).toContain('#0 Deposited.amount: expected 3, got 2');
    expect(failureOf(() => expect(account).not.toHaveRaised(new Deposited(id, 2)))).toContain(
      'expected the events not to be exactly',
    );
    expect(failureOf(() => expect(42).toHaveRaised())).toBe(
      'toHaveRaised: expected an aggregate or an array of events, received 42',
    );
  });

  it("toHaveAppended reads the environment's stream (async)", async () => {
    const env = createTestEnvironment({ registry });
    try {
      registerAccountHandlers(env.dispatcher, env.correlated);
      await env.given(Account, id, new AccountOpened(id, 'ada'));
      await env.dispatcher.send(new Deposit(id, 4));
      await expect(env).toHaveAppended(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 4));
      await expect(env).toHaveAppended(`account-${id}`, new AccountOpened(id, 'ada'), new Deposited(id, 4));
      await expect(env).not.toHaveAppended(Account, id, new AccountOpened(id, 'ada'));
      const error = await expect(env)
        .toHaveAppended(Account, id, new AccountOpened(id, 'ada'))
        .catch((e: unknown) => e as Error);
      expect((error as Error).message).toContain(
        `toHaveAppended (stream of Account ${id}): the events differ`,
      );
      expect((error as Error).message).toContain('#1: unexpected Deposited');
    } finally {
      await env.dispose();
    }
  });

  it('toBeCorrelatedWith checks both ids', () => {
    const command = MessageBuilder.new(() => new Deposit(id, 1));
    const event = MessageBuilder.from(command).build(() => new Deposited(id, 1));
    expect(event).toBeCorrelatedWith(command);
    const stranger = MessageBuilder.new(() => new Deposited(id, 1));
    expect(stranger).not.toBeCorrelatedWith(command);
    const message = failureOf(() => expect(stranger).toBeCorrelatedWith(command));
    expect(message).toContain(`correlationId: expected "${command.msgId}", got "${stranger.msgId}"`);
    expect(message).toContain(`causationId:   expected "${command.msgId}", got undefined`);
  });

  it('toHaveReceived finds a captured message by type, fields or predicate', () => {
    const queue = new TestQueue();
    queue.push(new Deposited(id, 5));
    expect(queue).toHaveReceived(Deposited);
    expect(queue).toHaveReceived(Deposited, { amount: 5 });
    expect(queue).toHaveReceived(Deposited, (d) => d.amount > 4);
    expect(queue).not.toHaveReceived(AccountOpened);
    const message = failureOf(() => expect(queue).toHaveReceived(Deposited, { amount: 6 }));
    expect(message).toBe(
      `toHaveReceived: no Deposited with { amount: 6 } among 1 captured message(s):\n  #0 Deposited { accountId: "${id}", amount: 5 }`,
    );
  });

  it('toSucceed and toFailWith read command responses', () => {
    const command = new Deposit(id, 1);
    const ok = new Success(command);
    const failed = new Fail(command, new InsufficientFundsError(id, 0, 1));
    const canceled = new Canceled(command, new CommandTimedOutError(command, 10), 'timeout');
    expect(ok).toSucceed();
    expect(failed).not.toSucceed();
    expect(failed).toFailWith(InsufficientFundsError, 'balance is 0');
    expect(failed).toFailWith(InsufficientFundsError, /withdraw 1/);
    expect(ok).not.toFailWith(InsufficientFundsError);
    expect(canceled).not.toFailWith(CommandTimedOutError);
    expect(failureOf(() => expect(failed).toSucceed())).toBe(
      `toSucceed: the command Deposit { accountId: "${id}", amount: 1 } failed with InsufficientFundsError: Account ${id}: cannot withdraw 1, balance is 0`,
    );
    expect(failureOf(() => expect(canceled).toSucceed())).toContain(
      'was canceled (timeout): CommandTimedOutError',
    );
    expect(failureOf(() => expect(failed).toFailWith(CommandNotHandledError))).toContain(
      'toFailWith: expected CommandNotHandledError; the command',
    );
    expect(failureOf(() => expect(ok).toFailWith(InsufficientFundsError))).toContain(
      'expected InsufficientFundsError, but the command',
    );
    expect(failureOf(() => expect(failed).toFailWith(InsufficientFundsError, 'nope'))).toContain(
      'does not contain "nope"',
    );
  });
});
