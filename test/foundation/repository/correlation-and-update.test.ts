import { MissingSourceError } from '../../../src/core';
import {
  CorrelatedRepository,
  InvalidHeadersError,
  StreamStoreRepository,
  type StreamStoreRepositoryOptions,
} from '../../../src/foundation';
import {
  CommandDispatcher,
  CorrelationScope,
  NoCorrelationScopeError,
  collectWrittenPositions,
  takeWrittenPositions,
} from '../../../src/messaging';
import { EventSerializer, InMemoryStreamStore } from '../../../src/persistence';
import { Account, AccountId, Deposit, OpenAccount, registry } from './fixtures';

function setup(options: Partial<StreamStoreRepositoryOptions> = {}) {
  const memory = new InMemoryStreamStore();
  const repository = new StreamStoreRepository({
    store: memory,
    serializer: new EventSerializer({ registry }),
    ...options,
  });
  return { memory, repository, correlated: new CorrelatedRepository(repository) };
}

async function openAccount(repository: StreamStoreRepository): Promise<AccountId> {
  const id = AccountId.create();
  await repository.save(Account.open(id, 'Ada', new OpenAccount(id, 'Ada')));
  return id;
}

describe('CorrelatedRepository ends the unit of work', () => {
  it('save() with nothing pending still clears the source, so later raises need a new one', async () => {
    const { repository, correlated } = setup();
    const id = await openAccount(repository);
    const first = new Deposit(id, 1);
    const account = await correlated.getById(Account, id, first);
    expect(await correlated.save(account)).toBeUndefined();
    // Before: the source stayed set and this deposit was stamped with the old command's ids.
    expect(account.source).toBeUndefined();
    expect(() => account.deposit(5)).toThrow(MissingSourceError);
  });

  it('saveAndContinue() with nothing pending keeps the source', async () => {
    const { repository, correlated } = setup();
    const id = await openAccount(repository);
    const command = new Deposit(id, 1);
    const account = await correlated.getById(Account, id, command);
    await correlated.saveAndContinue(account);
    expect(account.source).toBe(command);
  });
});

describe('update with a source (load, act, save, retry, correlated)', () => {
  it('StreamStoreRepository.update(Type, id, act, { source }) lets act raise, correlated with the source', async () => {
    const { repository, memory } = setup();
    const id = await openAccount(repository);
    const command = new Deposit(id, 7);
    const saved = await repository.update(Account, id, (account) => account.deposit(command.amount), {
      source: command,
    });
    expect(saved.balance).toBe(7);
    expect(saved.source).toBeUndefined();
    const slice = await memory.readStream(`account-${id}`);
    const last = slice.status === 'ok' ? slice.events[slice.events.length - 1]! : undefined;
    expect(JSON.parse(last!.metadata)).toMatchObject({
      $causationId: command.msgId,
      $correlationId: command.msgId,
    });
  });

  it('without a source, update still fails loudly (raise needs one)', async () => {
    const { repository } = setup();
    const id = await openAccount(repository);
    await expect(repository.update(Account, id, (account) => account.deposit(1))).rejects.toBeInstanceOf(
      MissingSourceError,
    );
  });

  it('CorrelatedRepository.update(Type, id, source, act) retries a conflict with a fresh load and the same source', async () => {
    const { repository, correlated } = setup();
    const id = await openAccount(repository);
    const command = new Deposit(id, 10);
    let attempts = 0;
    const saved = await correlated.update(Account, id, command, async (account) => {
      attempts++;
      if (attempts === 1) {
        // A concurrent writer gets in between this load and its save.
        await repository.update(Account, id, (other) => other.deposit(1), { source: new Deposit(id, 1) });
      }
      account.deposit(command.amount);
    });
    expect(attempts).toBe(2);
    expect(saved.balance).toBe(11);
    expect((await repository.getById(Account, id)).balance).toBe(11);
  });

  it('takes the ambient CorrelationScope source when none is given, and says so when there is none', async () => {
    const { repository, correlated } = setup();
    const id = await openAccount(repository);
    const command = new Deposit(id, 3);
    const saved = await CorrelationScope.run(command, () =>
      correlated.update(Account, id, undefined, (account) => account.deposit(3)),
    );
    expect(saved.balance).toBe(3);
    const loaded = await CorrelationScope.run(command, () => correlated.getById(Account, id));
    expect(loaded.source).toBe(command);
    await expect(correlated.getById(Account, id)).rejects.toBeInstanceOf(NoCorrelationScopeError);
  });
});

describe('the repository records positions written on behalf of the source', () => {
  it('every save of an aggregate whose source is the command records its last position under the command', async () => {
    const { repository, correlated } = setup();
    const id = await openAccount(repository);
    const command = new Deposit(id, 2);
    collectWrittenPositions(command); // as the dispatcher does for each command it runs
    const account = await correlated.getById(Account, id, command);
    account.deposit(1);
    const first = await correlated.saveAndContinue(account);
    account.deposit(1);
    const second = await correlated.save(account);
    expect(takeWrittenPositions(command)).toEqual([first!.position, second!.position]);
    expect(takeWrittenPositions(command)).toEqual([]); // taken once
  });
});

describe('headers callback', () => {
  it.each([
    ['null', null],
    ['a string', 'user=alice'],
    ['an array', [['user', 'alice']]],
  ])('returning %s fails the save with a typed error and writes nothing', async (_label, value) => {
    const { repository, memory } = setup({ headers: () => value as never });
    const id = AccountId.create();
    const account = Account.open(id, 'Ada', new OpenAccount(id, 'Ada'));
    const error = await repository.save(account).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidHeadersError);
    expect((error as InvalidHeadersError).code).toBe('INVALID_HEADERS');
    expect((await memory.readStream(`account-${id}`)).status).toBe('not_found');
    expect(account.hasRecordedEvents).toBe(true);
  });

  it('a plain object is written into the metadata', async () => {
    const { repository, memory } = setup({ headers: () => ({ user: 'alice' }) });
    const id = await openAccount(repository);
    const slice = await memory.readStream(`account-${id}`);
    expect(slice.status === 'ok' && JSON.parse(slice.events[0]!.metadata).headers).toEqual({ user: 'alice' });
  });
});

describe('read your own writes through the dispatcher', () => {
  it("a command's Success carries the positions its handler's saves appended", async () => {
    const { repository, correlated, memory } = setup();
    const id = await openAccount(repository);
    const dispatcher = new CommandDispatcher();
    dispatcher.register(Deposit, async (command) => {
      await correlated.update(Account, id, command, (account) => account.deposit(command.amount));
      const again = await correlated.getById(Account, id, command);
      again.deposit(1);
      await correlated.save(again);
      return again.balance;
    });
    const success = await dispatcher.send(new Deposit(id, 5));
    expect(success.result).toBe(6);
    expect(success.positions).toHaveLength(2);
    const last = await memory.readAll({ direction: 'backwards', after: 'end', maxCount: 1 });
    expect(success.lastPosition).toBe(last.events[0]!.position);
    expect(success.positions[0]!).toBeLessThan(success.lastPosition!);
  });
});
