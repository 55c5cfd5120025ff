import { MessageBuilder } from '../../src/messaging';
import { ExpectedVersion } from '../../src/persistence';
import { SpecificationFailedError, appended, commandSpec, type TestEnvironment } from '../../src/testing';
import {
  Account,
  AccountId,
  AccountOpened,
  Deposit,
  Deposited,
  InsufficientFundsError,
  OpenAccount,
  Withdraw,
  Withdrawn,
  registerAccountHandlers,
  registry,
} from './fixtures';

const setup = (env: TestEnvironment) => registerAccountHandlers(env.dispatcher, env.correlated);

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpecificationFailedError);
  return (error as Error).message;
}

describe('commandSpec', () => {
  const id = AccountId.create();

  it('sends the command through the dispatcher and checks the appends per stream', async () => {
    const outcome = await commandSpec(setup, { registry })
      .given(Account, id, new AccountOpened(id, 'ada'), new Deposited(id, 10))
      .when(new Withdraw(id, 4))
      .then(appended(Account, id, new Withdrawn(id, 4)));
    expect(outcome.response.kind).toBe('success');
    expect([...outcome.appended.keys()]).toEqual([`account-${id}`]);
  });

  it('accepts streams by name and creation commands', async () => {
    await commandSpec(setup, { registry })
      .when(new OpenAccount(id, 'ada'))
      .then(appended(`account-${id}`, new AccountOpened(id, 'ada')));
  });

  it('reports different events in a stream with a diff', async () => {
    const message = await failure(
      commandSpec(setup, { registry })
        .given(Account, id, new AccountOpened(id, 'ada'))
        .when(new Deposit(id, 5))
        .then(appended(Account, id, new Deposited(id, 6))),
    );
    expect(message).toContain(
      `commandSpec(Deposit { accountId: "${id}", amount: 5 }): the appended events differ from the expected ones`,
    );
    expect(message).toContain(`Stream "account-${id}":`);
    expect(message).toContain('#0 Deposited.amount: expected 6, got 5');
  });

  it('reports appends to streams that were not expected', async () => {
    const message = await failure(
      commandSpec(setup, { registry })
        .given(Account, id, new AccountOpened(id, 'ada'))
        .when(new Deposit(id, 5))
        .then(),
    );
    expect(message).toContain(
      `Stream "account-${id}": unexpected appends:\n  #0 Deposited { accountId: "${id}", amount: 5 }`,
    );
  });

  it('thenFails checks the handler error and that nothing was appended', async () => {
    const error = await commandSpec(setup, { registry })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .when(new Withdraw(id, 5))
      .thenFails(InsufficientFundsError, 'balance is 0');
    expect(error.amount).toBe(5);
    const succeeded = await failure(
      commandSpec(setup, { registry })
        .given(Account, id, new AccountOpened(id, 'ada'))
        .when(new Deposit(id, 5))
        .thenFails(InsufficientFundsError),
    );
    expect(succeeded).toContain('expected it to fail with InsufficientFundsError, got Success');
    expect(succeeded).toContain(`Appended:\nStream "account-${id}":\n  #0 Deposited`);
  });

  it('then reports a failed command with its error; a missing handler is a failure too', async () => {
    const message = await failure(
      commandSpec(setup, { registry })
        .given(Account, id, new AccountOpened(id, 'ada'))
        .when(new Withdraw(id, 5))
        .then(appended(Account, id, new Withdrawn(id, 5))),
    );
    expect(message).toContain('expected success, got Fail: InsufficientFundsError: Account');
    const unhandled = await failure(
      commandSpec(() => undefined, { registry })
        .when(new Deposit(id, 1))
        .then(),
    );
    expect(unhandled).toContain(
      'expected success, got Fail: CommandNotHandledError: No handler is registered for command Deposit',
    );
  });

  it('checks that appended events belong to the command conversation', async () => {
    const stray = (env: TestEnvironment) =>
      env.dispatcher.register(Deposit, async (c) => {
        // Written outside the correlated repository: a new conversation, not the command's.
        const event = MessageBuilder.new(() => new Deposited(c.accountId, c.amount));
        await env.store.appendToStream(env.streamOf(Account, c.accountId), ExpectedVersion.Any, [
          env.serializer.serialize(event),
        ]);
      });
    const command = new Deposit(id, 1);
    const message = await failure(
      commandSpec(stray, { registry })
        .when(command)
        .then(appended(Account, id, new Deposited(id, 1))),
    );
    expect(message).toContain(`expected the command's conversation "${command.msgId}"`);
    await commandSpec(stray, { registry, checkCorrelation: false })
      .when(new Deposit(id, 1))
      .then(appended(Account, id, new Deposited(id, 1)));
  });

  it('checks correlation ids of expected events built from the command', async () => {
    const command = MessageBuilder.new(() => new Deposit(id, 3));
    await commandSpec(setup, { registry })
      .given(Account, id, new AccountOpened(id, 'ada'))
      .when(command)
      .then(
        appended(
          Account,
          id,
          MessageBuilder.from(command).build(() => new Deposited(id, 3)),
        ),
      );
  });
});

describe('commandSpec usage', () => {
  it('awaiting a specification without an outcome is reported', async () => {
    const stage = commandSpec(setup, { registry }).when(new Deposit(AccountId.create(), 1));
    await expect((async () => await (stage as unknown as Promise<unknown>))()).rejects.toThrow(
      /awaited without an outcome/,
    );
  });
});
