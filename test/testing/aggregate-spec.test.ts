import { MessageBuilder } from '../../src/messaging';
import {
  SpecificationCommand,
  SpecificationFailedError,
  SpecificationUsageError,
  aggregateSpec,
} from '../../src/testing';
import {
  Account,
  AccountFrozen,
  AccountId,
  AccountOpened,
  Deposit,
  Deposited,
  InsufficientFundsError,
  OpenAccount,
  Withdrawn,
} from './fixtures';

/** Runs `promise`, expecting it to reject with a SpecificationFailedError; returns its message. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpecificationFailedError);
  return (error as Error).message;
}

describe('aggregateSpec', () => {
  const id = AccountId.create();

  it('passes when the raised events match (msgId ignored) and returns what it saw', async () => {
    const outcome = await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'), new Deposited(id, 10))
      .when((account) => account.withdraw(4))
      .then(new Withdrawn(id, 4));
    expect(outcome.aggregate.balance).toBe(6);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.source).toBeInstanceOf(SpecificationCommand);
    // The raised event is correlated with the synthetic source, as under a CorrelatedRepository.
    expect((outcome.events[0] as Withdrawn).causationId).toBe(outcome.source.msgId);
  });

  it('reports different payloads with a diff naming the aggregate, the event and the field', async () => {
    const message = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'), new Deposited(id, 10))
        .when((account) => account.withdraw(4))
        .then(new Withdrawn(id, 5)),
    );
    expect(message).toContain(`Account "${id}": the raised events differ from the expected ones`);
    expect(message).toContain('Expected 1 event(s):');
    expect(message).toContain(`#0 Withdrawn { accountId: "${id}", amount: 5 }`);
    expect(message).toContain('Actual 1 event(s):');
    expect(message).toContain(`#0 Withdrawn { accountId: "${id}", amount: 4 }`);
    expect(message).toContain('#0 Withdrawn.amount: expected 5, got 4');
  });

  it('reports a missing and an unexpected event, and a wrong class', async () => {
    const missing = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.deposit(1))
        .then(new Deposited(id, 1), new Deposited(id, 2)),
    );
    expect(missing).toContain('#1: missing, expected Deposited { accountId');
    const unexpected = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => {
          a.deposit(1);
          a.deposit(2);
        })
        .then(new Deposited(id, 1)),
    );
    expect(unexpected).toContain('#1: unexpected Deposited { accountId');
    const wrongClass = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'), new Deposited(id, 5))
        .when((a) => a.withdraw(1))
        .then(new Deposited(id, 1)),
    );
    expect(wrongClass).toContain('#0: expected Deposited');
    expect(wrongClass).toContain('got Withdrawn');
  });

  it('thenNothing passes when nothing is raised and fails listing what was', async () => {
    await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'))
      .when(() => undefined)
      .thenNothing();
    const message = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.deposit(3))
        .thenNothing(),
    );
    expect(message).toContain('Expected 0 event(s):');
    expect(message).toContain('#0: unexpected Deposited');
  });

  it('thenThrows checks the error class and message', async () => {
    const error = await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'), new Deposited(id, 3))
      .when((a) => a.withdraw(10))
      .thenThrows(InsufficientFundsError, 'balance is 3');
    expect(error.amount).toBe(10);
    await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'))
      .when((a) => a.withdraw(10))
      .thenThrows(InsufficientFundsError, /cannot withdraw \d+/);
  });

  it('thenThrows fails when nothing, another error, or another message is thrown', async () => {
    const nothing = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'), new Deposited(id, 30))
        .when((a) => a.withdraw(10))
        .thenThrows(InsufficientFundsError),
    );
    expect(nothing).toContain(
      `Account "${id}": expected InsufficientFundsError to be thrown, but nothing was thrown`,
    );
    expect(nothing).toContain('#0 Withdrawn { accountId');
    const other = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when(() => {
          throw new TypeError('not this');
        })
        .thenThrows(InsufficientFundsError),
    );
    expect(other).toContain('expected InsufficientFundsError to be thrown, got TypeError: not this');
    const wrongMessage = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.withdraw(10))
        .thenThrows(InsufficientFundsError, 'balance is 99'),
    );
    expect(wrongMessage).toContain('expected it to contain "balance is 99"');
  });

  it('thenThrows fails when events were recorded before the error', async () => {
    const message = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.depositThenFail(5))
        .thenThrows(Error, 'boom'),
    );
    expect(message).toContain('Error was thrown as expected, but events were recorded before it');
    expect(message).toContain('#0 Deposited');
  });

  it('then fails when the when step throws, naming the error', async () => {
    const message = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.withdraw(1))
        .then(new Withdrawn(id, 1)),
    );
    expect(message).toContain(
      `Account "${id}": expected 1 event(s), but the when step threw InsufficientFundsError`,
    );
  });

  it('whenCreating tests creation, with the given command as source', async () => {
    const open = MessageBuilder.new(() => new OpenAccount(id, 'ada'));
    const outcome = await aggregateSpec(Account)
      .whenCreating(open, (source) => Account.open(source.accountId, source.owner, source))
      .then(MessageBuilder.from(open).build(() => new AccountOpened(id, 'ada')));
    expect(outcome.source).toBe(open);
    await aggregateSpec(Account)
      .whenCreating((source) => Account.open(id, 'bob', source))
      .then(new AccountOpened(id, 'bob'));
  });

  it('checks correlation ids only when the expected event sets them', async () => {
    const deposit = MessageBuilder.new(() => new Deposit(id, 2));
    const other = MessageBuilder.new(() => new Deposit(id, 2));
    await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'))
      .when(deposit, (a, c) => a.deposit(c.amount))
      .then(MessageBuilder.from(deposit).build(() => new Deposited(id, 2)));
    const message = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when(deposit, (a, c) => a.deposit(c.amount))
        .then(MessageBuilder.from(other).build(() => new Deposited(id, 2))),
    );
    expect(message).toContain(
      `#0 Deposited.correlationId: expected "${other.msgId}", got "${deposit.msgId}"`,
    );
    expect(message).toContain('#0 Deposited.causationId');
  });

  it('round-trips events through the serializer: Date fields with a schema pass', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const outcome = await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'))
      .when((a) => a.freeze(at))
      .then(new AccountFrozen(id, new Date(at.getTime())));
    expect((outcome.events[0] as AccountFrozen).at).toBeInstanceOf(Date);
    expect(outcome.aggregate.frozen).toBe(true);
  });

  it('round trip catches events that would not survive storage', async () => {
    const noSchema = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.audit(new Date()))
        .thenNothing(),
    );
    expect(noSchema).toMatch(
      /event #0 AuditNoted .* raised by Account ".*" would not survive storage: EventSerializationError/,
    );
    const unregistered = await failure(
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'ada'))
        .when((a) => a.raiseUnregistered())
        .thenNothing(),
    );
    expect(unregistered).toContain('would not survive storage: UnregisteredEventTypeError');
    // Opting out compares the raw instances.
    await aggregateSpec(Account, id, { roundTrip: false })
      .given(new AccountOpened(id, 'ada'))
      .when((a) => a.raiseUnregistered())
      .then(expect.objectContaining({ accountId: id }) as object);
  });

  it('honours asymmetric matchers in expected events', async () => {
    await aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'ada'))
      .when((a) => a.freeze(new Date()))
      .then(new AccountFrozen(id, expect.any(Date) as Date));
  });

  it('reports given events that cannot be applied', async () => {
    const message = await failure(
      aggregateSpec(Account, id)
        .given({ not: 'an event' })
        .when(() => undefined)
        .thenNothing(),
    );
    expect(message).toContain('would not survive storage');
    const unapplicable = await failure(
      aggregateSpec(Account, id, { roundTrip: false })
        .given(new AccountOpened(id, 'ada'), null as unknown as object)
        .when(() => undefined)
        .thenNothing(),
    );
    expect(unapplicable).toContain(
      `Account "${id}": the given events could not be applied: InvalidEventError`,
    );
    expect(unapplicable).toContain('#1 null');
  });

  it('reports usage errors: acting without an id, creating with history, awaiting without an outcome', async () => {
    await expect(
      aggregateSpec(Account)
        .when((a) => a.deposit(1))
        .thenNothing(),
    ).rejects.toThrow(
      new SpecificationUsageError(
        'aggregateSpec(Account): when() acts on an existing aggregate, so it needs its id: aggregateSpec(Account, id) (use whenCreating() to test creation)',
      ),
    );
    expect(() =>
      aggregateSpec(Account, id)
        .given(new AccountOpened(id, 'a'))
        .whenCreating((s) => Account.open(id, 'a', s)),
    ).toThrow(SpecificationUsageError);
    const stage = aggregateSpec(Account, id)
      .given(new AccountOpened(id, 'a'))
      .when((a) => a.deposit(1));
    // Awaiting the stage itself (forgetting `then(...)`) must not pass silently.
    await expect((async () => await (stage as unknown as Promise<unknown>))()).rejects.toThrow(
      /awaited without an outcome/,
    );
  });
});
