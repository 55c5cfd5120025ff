import { AggregateDeletedError, StreamStoreRepository } from '../../../src/foundation';
import { EventSerializer, InMemoryStreamStore, WrongExpectedVersionError } from '../../../src/persistence';
import { Account, AccountId, Deposit, OpenAccount, countingStore, registry } from './fixtures';

function setup(maxAggregates = 100) {
  const memory = new InMemoryStreamStore();
  const { store, reads } = countingStore(memory);
  const serializer = new EventSerializer({ registry });
  const cached = new StreamStoreRepository({ store, serializer, cache: { maxAggregates } });
  const other = new StreamStoreRepository({ store: memory, serializer }); // another process, no cache
  return { memory, cached, other, reads };
}

async function deposit(repository: StreamStoreRepository, id: AccountId, amount: number): Promise<Account> {
  const account = await repository.getById(Account, id);
  account.source = new Deposit(id, amount);
  account.deposit(amount);
  await repository.save(account);
  return account;
}

async function opened(repository: StreamStoreRepository, deposits: number): Promise<AccountId> {
  const id = AccountId.create();
  const account = Account.open(id, 'Ada', new OpenAccount(id, 'Ada'));
  for (let i = 0; i < deposits; i++) account.deposit(1);
  await repository.save(account);
  return id;
}

describe('StreamStoreRepository with an aggregate cache', () => {
  it('a load after a save reads only the newer events, not the whole stream', async () => {
    const { cached, reads } = setup();
    const id = await opened(cached, 999);
    reads.events = 0;
    const account = await cached.getById(Account, id);
    expect(account.balance).toBe(999);
    expect(reads.events).toBe(1); // re-reads the cached version's own event to prove the stream is unchanged
  });

  it('catches up with events another writer appended meanwhile', async () => {
    const { cached, other } = setup();
    const id = await opened(cached, 3);
    await deposit(other, id, 10);
    const account = await cached.getById(Account, id);
    expect(account.balance).toBe(13);
    expect(account.expectedVersion).toBe(4);
    await deposit(cached, id, 1); // the caught-up instance saves with the right expected version
    expect((await other.getById(Account, id)).balance).toBe(14);
  });

  it('never hands one instance to two loads at once', async () => {
    const { cached } = setup();
    const id = await opened(cached, 1);
    const [a, b] = await Promise.all([cached.getById(Account, id), cached.getById(Account, id)]);
    expect(a).not.toBe(b);
    expect(a.balance).toBe(b.balance);
  });

  it('an instance whose save failed is not served again', async () => {
    const { cached, other } = setup();
    const id = await opened(cached, 1);
    const stale = await cached.getById(Account, id);
    await deposit(other, id, 5);
    stale.source = new Deposit(id, 100);
    stale.deposit(100);
    await expect(cached.save(stale)).rejects.toThrow(WrongExpectedVersionError);
    const fresh = await cached.getById(Account, id);
    expect(fresh).not.toBe(stale);
    expect(fresh.balance).toBe(6);
  });

  it('a stream deleted and recreated since is replayed, not caught up', async () => {
    const { cached, other } = setup();
    const id = await opened(cached, 2);
    const victim = await other.getById(Account, id);
    await other.delete(victim);
    const recreated = Account.open(id, 'Ada', new OpenAccount(id, 'Ada'));
    recreated.deposit(7);
    await other.save(recreated);
    const account = await cached.getById(Account, id);
    expect(account.balance).toBe(7);
    expect(account.expectedVersion).toBe(recreated.expectedVersion);
  });

  it('deleted and tombstoned aggregates are not served from the cache', async () => {
    const { cached, other } = setup();
    const soft = await opened(cached, 1);
    await cached.delete(await cached.getById(Account, soft));
    await expect(cached.tryGetById(Account, soft)).resolves.toBeUndefined();
    const hard = await opened(cached, 1);
    await other.hardDelete(await other.getById(Account, hard));
    await expect(cached.getById(Account, hard)).rejects.toThrow(AggregateDeletedError);
  });

  it('loading at a version bypasses the cache; the least recently saved are evicted first', async () => {
    const { cached, reads } = setup(2);
    const first = await opened(cached, 5);
    await opened(cached, 1);
    await opened(cached, 1); // evicts `first`
    reads.events = 0;
    expect((await cached.getById(Account, first)).balance).toBe(5);
    expect(reads.events).toBe(6); // full replay: it was evicted
    const at2 = await cached.getById(Account, first, { version: 2 });
    expect(at2.balance).toBe(2);
  });

  it('rejects a non-positive size', () => {
    expect(
      () => new StreamStoreRepository({ store: new InMemoryStreamStore(), cache: { maxAggregates: 0 } }),
    ).toThrow(/positive integer/);
  });
});
