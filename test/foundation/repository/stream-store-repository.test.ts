import { type Command, MissingSourceError } from '../../../src/core';
import {
  AggregateDeletedError,
  AggregateNotFoundError,
  AggregateVersionError,
  ConcurrencyRetriesExhaustedError,
  CorrelatedRepository,
  StreamStoreRepository,
  type StreamStoreRepositoryOptions,
} from '../../../src/foundation';
import { EventSerializer, InMemoryStreamStore, WrongExpectedVersionError } from '../../../src/persistence';
import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import { Account, AccountId, Deposit, OpenAccount, countingStore, registry } from './fixtures';

function setup(options: Partial<StreamStoreRepositoryOptions> = {}) {
  const memory = new FaultyStreamStore(new InMemoryStreamStore());
  const repository = new StreamStoreRepository({
    store: memory,
    serializer: new EventSerializer({ registry }),
    ...options,
  });
  return { memory, repository, correlated: new CorrelatedRepository(repository) };
}

async function savedAccount(repository: StreamStoreRepository, deposits = 0): Promise<Account> {
  const id = AccountId.create();
  const account = Account.open(id, 'Ada', new OpenAccount(id, 'Ada'));
  for (let i = 1; i <= deposits; i++) account.deposit(i);
  await repository.save(account);
  return account;
}

describe('StreamStoreRepository', () => {
  it('saves and loads an aggregate, version = revision of the last event', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository, 3);
    expect(account.expectedVersion).toBe(3);
    expect(account.hasRecordedEvents).toBe(false);
    const loaded = await repository.getById(Account, account.id);
    expect(loaded.balance).toBe(6);
    expect(loaded.expectedVersion).toBe(3);
    expect(repository.streamNameOf(Account, account.id)).toBe(`account-${account.id}`);
  });

  it('an empty save is a no-op', async () => {
    const { repository, memory } = setup();
    const account = await savedAccount(repository);
    expect(await repository.save(account)).toBeUndefined();
    const slice = await memory.readStream(`account-${account.id}`);
    expect(slice.status === 'ok' && slice.events.length).toBe(1);
  });

  it('reports what a save wrote', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository, 1);
    account.source = new Deposit(account.id, 5);
    account.deposit(5);
    account.deposit(6);
    const result = await repository.save(account);
    expect(result).toMatchObject({ streamName: `account-${account.id}`, firstRevision: 2, lastRevision: 3 });
    expect(typeof result?.position).toBe('bigint');
  });

  it('missing -> AggregateNotFoundError; tryGetById -> undefined', async () => {
    const { repository } = setup();
    const id = AccountId.create();
    await expect(repository.getById(Account, id)).rejects.toThrow(AggregateNotFoundError);
    await expect(repository.getById(Account, id)).rejects.toThrow(
      `Account "${id}" (stream "account-${id}"): not found`,
    );
    await expect(repository.tryGetById(Account, id)).resolves.toBeUndefined();
  });

  it('soft delete reads as not found; hard delete is a distinct error that tryGetById does not swallow', async () => {
    const { repository } = setup();
    const soft = await savedAccount(repository);
    await repository.delete(soft);
    await expect(repository.getById(Account, soft.id)).rejects.toThrow(AggregateNotFoundError);
    const hard = await savedAccount(repository);
    await repository.hardDelete(hard);
    await expect(repository.getById(Account, hard.id)).rejects.toThrow(AggregateDeletedError);
    await expect(repository.tryGetById(Account, hard.id)).rejects.toThrow(AggregateDeletedError);
  });

  it('recreated after a soft delete: version = the revision the stream continues at', async () => {
    const { repository } = setup();
    const deleted = await savedAccount(repository, 2); // revisions 0..2
    await repository.delete(deleted);
    const recreated = Account.open(deleted.id, 'Ada', new OpenAccount(deleted.id, 'Ada'));
    const result = await repository.save(recreated);
    expect(result).toMatchObject({ firstRevision: 3, lastRevision: 3 });
    expect(recreated.expectedVersion).toBe(3);

    const loaded = await repository.getById(Account, deleted.id);
    expect(loaded.expectedVersion).toBe(3);
    expect(loaded.balance).toBe(0);
    loaded.source = new Deposit(deleted.id, 5);
    loaded.deposit(5);
    await repository.save(loaded);
    expect(loaded.expectedVersion).toBe(4);
    expect((await repository.getById(Account, deleted.id, { version: 4 })).balance).toBe(5);
    // Revision 1 was deleted with the old history: the aggregate as of it no longer exists.
    await expect(repository.tryGetById(Account, deleted.id, { version: 1 })).resolves.toBeUndefined();
  });

  it('loads at a version: the event with that revision is the last applied', async () => {
    const { repository } = setup({ pageSize: 100 });
    const account = await savedAccount(repository, 3000);
    const at64 = await repository.getById(Account, account.id, { version: 64 });
    expect(at64.expectedVersion).toBe(64);
    expect(at64.deposits).toBe(64); // the creation event + 64 deposits
    expect(at64.balance).toBe((64 * 65) / 2);
    const at0 = await repository.getById(Account, account.id, { version: 0 });
    expect(at0.balance).toBe(0);
  });

  it('a version past the end -> AggregateVersionError; a negative version -> invalid argument', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository, 2);
    await expect(repository.getById(Account, account.id, { version: 3 })).rejects.toThrow(
      AggregateVersionError,
    );
    await expect(repository.getById(Account, account.id, { version: 3 })).rejects.toThrow(
      'version 3 was requested but the last version is 2',
    );
    await expect(repository.getById(Account, account.id, { version: -1 })).rejects.toThrow(/integer >= 0/);
  });

  it('a stale save -> WrongExpectedVersionError and the aggregate keeps its pending events and version', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository);
    const first = await repository.getById(Account, account.id);
    const stale = await repository.getById(Account, account.id);
    first.source = new Deposit(account.id, 1);
    first.deposit(1);
    await repository.save(first);

    stale.source = new Deposit(account.id, 2);
    stale.deposit(2);
    const error = await repository.save(stale).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamName: `account-${account.id}`, expected: 0, actual: 1 });
    expect(stale.pendingEvents).toHaveLength(1);
    expect(stale.expectedVersion).toBe(0);
    expect(stale.source).toBeDefined();
  });

  it('a failed append loses nothing: the same aggregate saves once the store recovers', async () => {
    const { repository, memory } = setup();
    const account = await savedAccount(repository);
    account.source = new Deposit(account.id, 9);
    account.deposit(9);
    memory.failNextAppend(new Error('disk full'));
    await expect(repository.save(account)).rejects.toThrow('disk full');
    expect(account.pendingEvents).toHaveLength(1);
    await repository.save(account);
    expect((await repository.getById(Account, account.id)).balance).toBe(9);
  });

  it('creating an aggregate whose stream already exists is a conflict', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository);
    const duplicate = Account.open(account.id, 'Ada', new OpenAccount(account.id, 'Ada'));
    await expect(repository.save(duplicate)).rejects.toThrow(WrongExpectedVersionError);
  });

  it('update() retries load-act-save on conflict', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository);
    let attempts = 0;
    const updated = await repository.update(Account, account.id, async (a) => {
      attempts++;
      if (attempts === 1) {
        // Someone else writes between our load and our save.
        const other = await repository.getById(Account, account.id);
        other.source = new Deposit(account.id, 100);
        other.deposit(100);
        await repository.save(other);
      }
      a.source = new Deposit(account.id, 1);
      a.deposit(1);
    });
    expect(attempts).toBe(2);
    expect(updated.balance).toBe(101);
    expect((await repository.getById(Account, account.id)).balance).toBe(101);
  });

  it('update() gives up after maxAttempts with a clear error', async () => {
    const { repository } = setup();
    const account = await savedAccount(repository);
    const act = async (a: Account) => {
      const other = await repository.getById(Account, account.id);
      other.source = new Deposit(account.id, 1);
      other.deposit(1);
      await repository.save(other);
      a.source = new Deposit(account.id, 1);
      a.deposit(1);
    };
    const error = await repository
      .update(Account, account.id, act, { maxAttempts: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyRetriesExhaustedError);
    expect((error as Error).message).toMatch(/still conflicting after 2 attempt\(s\)/);
    expect((error as Error).cause).toBeInstanceOf(WrongExpectedVersionError);
  });

  it('writes repository and per-save headers into metadata', async () => {
    const { repository, memory } = setup({ headers: () => ({ userId: 'u-1' }) });
    const id = AccountId.create();
    await repository.save(Account.open(id, 'Ada', new OpenAccount(id, 'Ada')), {
      headers: { tenant: 't-9' },
    });
    const slice = await memory.readStream(`account-${id}`);
    if (slice.status !== 'ok') throw new Error('expected the stream');
    const metadata = JSON.parse(slice.events[0]!.metadata) as Record<string, unknown>;
    expect(metadata.headers).toEqual({ userId: 'u-1', tenant: 't-9' });
    expect(metadata.aggregateType).toBe('Account');
    expect(typeof metadata.commitId).toBe('string');
  });

  it('saves 50,000 events in one save and reloads them in pages', async () => {
    const memory = new InMemoryStreamStore();
    const { store, reads } = countingStore(memory);
    const repository = new StreamStoreRepository({
      store,
      serializer: new EventSerializer({ registry }),
      pageSize: 1000,
    });
    const account = await savedAccount(repository, 49_999);
    const loaded = await repository.getById(Account, account.id);
    expect(loaded.expectedVersion).toBe(49_999);
    expect(loaded.deposits).toBe(49_999);
    expect(reads.calls).toBe(50);
    expect(reads.events).toBe(50_000);
  });
});

describe('CorrelatedRepository', () => {
  it('persists correlation ids; the source itself is not persisted', async () => {
    const { repository, correlated } = setup();
    const account = await savedAccount(repository);
    const command = new Deposit(account.id, 5);
    command.correlationId = 'conversation-7';
    const loaded = await correlated.getById(Account, account.id, command);
    loaded.deposit(5);
    await correlated.save(loaded);
    const reloaded = await repository.getById(Account, account.id);
    expect(reloaded.source).toBeUndefined();
    const slice = await repository.store.readStream(`account-${account.id}`, { fromRevision: 1 });
    if (slice.status !== 'ok') throw new Error('expected the stream');
    const { event } = repository.serializer.deserialize(slice.events[0]!);
    expect(event).toMatchObject({ correlationId: 'conversation-7', causationId: command.msgId, amount: 5 });
  });

  it('raising after save throws; saveAndContinue keeps the ids for the next raise', async () => {
    const { repository, correlated } = setup();
    const account = await savedAccount(repository);
    const command: Command = new Deposit(account.id, 1);
    const loaded = await correlated.getById(Account, account.id, command);
    loaded.deposit(1);
    await correlated.saveAndContinue(loaded);
    loaded.deposit(2);
    expect((loaded.pendingEvents[0] as Deposit).causationId).toBe(command.msgId);
    await correlated.save(loaded);
    expect(() => loaded.deposit(3)).toThrow(MissingSourceError);
  });

  it('tryGetById sets the source only when found', async () => {
    const { correlated } = setup();
    const id = AccountId.create();
    await expect(correlated.tryGetById(Account, id, new Deposit(id, 1))).resolves.toBeUndefined();
  });
});
