import {
  AggregateNotFoundError,
  ListenerSources,
  ReadModelBase,
  StreamStoreRepository,
  StreamSnapshotStore,
  everyNEvents,
} from '../../../src/foundation';
import {
  CrossTenantAccessError,
  enforceTenant,
  InvalidTenantIdError,
  TenantRequiredError,
  TenantScope,
  TenantStreamNameBuilder,
  tenantIsolated,
  tenantOfMetadata,
} from '../../../src/foundation/tenancy';
import {
  EventSerializer,
  ExpectedVersion,
  InMemoryStreamStore,
  eventTypeFilter,
  type RecordedEvent,
} from '../../../src/persistence';
import { Account, AccountId, OpenAccount, SnapshotAccount, registry } from '../repository/fixtures';
import { Deposited } from '../../support/bank';

function setup() {
  const inner = new InMemoryStreamStore();
  const store = tenantIsolated(inner);
  const serializer = new EventSerializer({ registry });
  const names = new TenantStreamNameBuilder();
  const repository = new StreamStoreRepository({ store, serializer, streamNames: names });
  return { inner, store, serializer, names, repository };
}

async function open(repository: StreamStoreRepository, deposits: number[] = []): Promise<AccountId> {
  const id = AccountId.create();
  const account = Account.open(id, 'owner', new OpenAccount(id, 'owner'));
  for (const amount of deposits) account.deposit(amount);
  await repository.save(account);
  return id;
}

class Balances extends ReadModelBase {
  static override eventTypes = registry;
  readonly seen: { tenant: string | undefined; amount: number }[] = [];
  protected applyDeposited(e: Deposited): void {
    this.seen.push({ tenant: TenantScope.current(), amount: e.amount });
  }
}

describe('TenantScope', () => {
  it('is undefined outside, set inside, across awaits, and isolated between concurrent chains', async () => {
    expect(TenantScope.current()).toBeUndefined();
    expect(() => TenantScope.require('x')).toThrow(TenantRequiredError);
    const seen = await Promise.all(
      ['acme', 'globex'].map((t) =>
        TenantScope.run(t, async () => {
          await new Promise((r) => setTimeout(r, t === 'acme' ? 20 : 1));
          return TenantScope.current();
        }),
      ),
    );
    expect(seen).toEqual(['acme', 'globex']);
  });

  it.each(['', 'Acme', 'a.b', 'a-b', 'x'.repeat(65), 7, undefined])('rejects tenant id %p', (id) => {
    expect(() => TenantScope.run(id as string, () => 1)).toThrow(InvalidTenantIdError);
  });
});

describe('TenantStreamNameBuilder', () => {
  it('prefixes names with the tenant and refuses to name anything without one', () => {
    const names = new TenantStreamNameBuilder();
    expect(TenantScope.run('acme', () => names.forAggregate('Account', 'a1'))).toBe('acme.account-a1');
    expect(TenantScope.run('globex', () => names.forCategory('Account'))).toBe('globex.account');
    expect(() => names.forAggregate('Account', 'a1')).toThrow(TenantRequiredError);
  });
});

describe('tenantIsolated store', () => {
  it('stamps the tenant into event metadata; each tenant loads its own aggregates only', async () => {
    const { inner, repository } = setup();
    const id = await TenantScope.run('acme', () => open(repository, [5]));
    const raw = await inner.readStream(`acme.account-${id}`);
    expect(raw.status).toBe('ok');
    const events = (raw as unknown as { events: RecordedEvent[] }).events;
    expect(events.map((e) => tenantOfMetadata(e.metadata))).toEqual(['acme', 'acme']);
    // The serializer still reads the stamped metadata the fast way and sees the header.
    expect(new EventSerializer({ registry }).deserialize(events[1]!).metadata.headers).toEqual({
      tenant: 'acme',
    });

    expect((await TenantScope.run('acme', () => repository.getById(Account, id))).balance).toBe(5);
    // Same id in another tenant: the builder names globex's stream, which does not exist.
    await expect(TenantScope.run('globex', () => repository.getById(Account, id))).rejects.toThrow(
      AggregateNotFoundError,
    );
    await expect(repository.getById(Account, id)).rejects.toThrow(TenantRequiredError);
  });

  it("refuses another tenant's stream by name for every operation, writing nothing", async () => {
    const { inner, store, serializer, repository } = setup();
    const id = await TenantScope.run('acme', () => open(repository));
    const acmeStream = `acme.account-${id}`;
    const data = serializer.serialize(new Deposited(id, 1));
    await TenantScope.run('globex', async () => {
      await expect(store.readStream(acmeStream)).rejects.toThrow(CrossTenantAccessError);
      await expect(store.appendToStream(acmeStream, ExpectedVersion.Any, [data])).rejects.toThrow(
        CrossTenantAccessError,
      );
      await expect(store.appendToStream(`account-${id}`, ExpectedVersion.Any, [data])).rejects.toThrow(
        CrossTenantAccessError,
      );
      await expect(store.deleteStream(acmeStream, ExpectedVersion.Any)).rejects.toThrow(
        CrossTenantAccessError,
      );
      await expect(store.tombstoneStream(acmeStream, ExpectedVersion.Any)).rejects.toThrow(
        CrossTenantAccessError,
      );
      expect(() => store.subscribeToStream(acmeStream, {}, { onEvent: () => undefined })).toThrow(
        CrossTenantAccessError,
      );
      await expect(store.readAll({ filter: { on: 'streamName', prefixes: ['acme.'] } })).rejects.toThrow(
        CrossTenantAccessError,
      );
      await expect(store.forTenant('acme').readStream(acmeStream)).rejects.toThrow(CrossTenantAccessError);
    });
    const after = await inner.readStream(acmeStream);
    expect((after as unknown as { events: unknown[] }).events).toHaveLength(1);
  });

  it('refuses events planted in its namespace with another stamp or none, and pre-stamped events of another tenant', async () => {
    const { inner, store, serializer } = setup();
    const id = AccountId.create();
    const stream = `acme.account-${id}`;
    const planted = serializer.serialize(new Deposited(id, 1), { headers: { tenant: 'globex' } });
    await inner.appendToStream(stream, ExpectedVersion.Any, [planted]);
    await TenantScope.run('acme', async () => {
      await expect(store.readStream(stream)).rejects.toThrow(CrossTenantAccessError);
      await expect(store.readAll()).rejects.toThrow(CrossTenantAccessError);
      await expect(store.appendToStream(`acme.account-x`, ExpectedVersion.Any, [planted])).rejects.toThrow(
        CrossTenantAccessError,
      );
    });
    const unstamped = `acme.account-${AccountId.create()}`;
    await inner.appendToStream(unstamped, ExpectedVersion.Any, [serializer.serialize(new Deposited(id, 2))]);
    await expect(TenantScope.run('acme', () => store.readStream(unstamped))).rejects.toThrow(
      CrossTenantAccessError,
    );
    expect((await inner.readStream('acme.account-x')).status).toBe('not_found');
  });

  it('$all reads see only the tenant, with or without filters, paging included', async () => {
    const { store, repository } = setup();
    await Promise.all([
      TenantScope.run('acme', async () => {
        for (let i = 0; i < 3; i++) await open(repository, [1, 2]);
      }),
      TenantScope.run('globex', async () => {
        for (let i = 0; i < 3; i++) await open(repository, [100]);
      }),
    ]);
    await TenantScope.run('acme', async () => {
      const all = await store.readAll();
      expect(all.events).toHaveLength(9);
      expect(all.events.every((e) => e.streamName.startsWith('acme.'))).toBe(true);
      // An event-type filter is narrowed to the tenant, one event per page: never an empty page before the end.
      const amounts: RecordedEvent[] = [];
      let after: bigint | 'start' = 'start';
      for (;;) {
        const page = await store.readAll({ after, maxCount: 1, filter: eventTypeFilter('Deposited') });
        amounts.push(...page.events);
        if (page.isEnd || page.events.length === 0) break;
        after = page.events.at(-1)!.position;
      }
      expect(amounts).toHaveLength(6);
      expect(amounts.every((e) => e.streamName.startsWith('acme.'))).toBe(true);
    });
  });

  it("read models follow their tenant's category only, and handle events inside the tenant's scope", async () => {
    const { store, serializer, names, repository } = setup();
    const models = await Promise.all(
      ['acme', 'globex'].map((tenant) =>
        TenantScope.run(tenant, async () => {
          const model = new Balances(`balances-${tenant}`, { store, serializer });
          await model.start(ListenerSources.category(names.forCategory('Account')));
          return model;
        }),
      ),
    );
    await TenantScope.run('acme', () => open(repository, [1, 2]));
    await TenantScope.run('globex', () => open(repository, [300]));
    await waitFor(() => models[0]!.seen.length === 2 && models[1]!.seen.length === 1);
    expect(models[0]!.seen).toEqual([
      { tenant: 'acme', amount: 1 },
      { tenant: 'acme', amount: 2 },
    ]);
    expect(models[1]!.seen).toEqual([{ tenant: 'globex', amount: 300 }]);
    // Code of tenant acme cannot subscribe to globex's category.
    TenantScope.run('acme', () => {
      expect(() =>
        store.subscribeToAll(
          { filter: { on: 'streamName', prefixes: ['globex.account-'] } },
          { onEvent: () => undefined },
        ),
      ).toThrow(CrossTenantAccessError);
    });
    await Promise.all(models.map((m) => m.stop()));
  });

  it('snapshots live in the tenant namespace too', async () => {
    const inner = new InMemoryStreamStore();
    const store = tenantIsolated(inner);
    const repository = new StreamStoreRepository({
      store,
      serializer: new EventSerializer({ registry }),
      streamNames: new TenantStreamNameBuilder(),
      snapshots: { store: new StreamSnapshotStore(store), policy: everyNEvents(2) },
    });
    const id = AccountId.create();
    await TenantScope.run('acme', async () => {
      const account = SnapshotAccount.open(id, 'owner', new OpenAccount(id, 'owner'));
      account.deposit(3);
      await repository.save(account);
    });
    expect((await inner.readStream(`acme.snapshotAccount-${id}.snapshots`)).status).toBe('ok');
  });
});

async function waitFor(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('enforceTenant middleware', () => {
  class Rename extends OpenAccount {
    constructor(
      accountId: AccountId,
      readonly tenantId?: string,
    ) {
      super(accountId, 'owner');
    }
  }
  function run(message: object, metadata = new Map<string, unknown>(), options = {}) {
    let handledIn: string | undefined | null = null;
    const failed: unknown[] = [];
    return enforceTenant(options)(
      { message, metadata, fail: (e: unknown) => (failed.push(e), 'failed' as const) },
      () => {
        handledIn = TenantScope.current();
        return Promise.resolve('handled' as const);
      },
    ).then((result) => ({ result, failed, handledIn: handledIn as string | undefined | null }));
  }

  it('a message of tenant A inside scope B never reaches its handler', async () => {
    const outcome = await TenantScope.run('globex', () => run(new Rename(AccountId.create(), 'acme')));
    expect(outcome.result).toBe('failed');
    expect(outcome.handledIn).toBeNull();
    expect(outcome.failed[0]).toBeInstanceOf(CrossTenantAccessError);
    const fromHeader = await TenantScope.run('globex', () =>
      run(new Rename(AccountId.create()), new Map([['tenant', 'acme']])),
    );
    expect(fromHeader.failed[0]).toBeInstanceOf(CrossTenantAccessError);
  });

  it("a message naming its tenant outside a scope is handled in that tenant's scope", async () => {
    const outcome = await run(new Rename(AccountId.create(), 'acme'));
    expect(outcome).toMatchObject({ result: 'handled', handledIn: 'acme' });
    expect((await TenantScope.run('acme', () => run(new Rename(AccountId.create(), 'acme')))).handledIn).toBe(
      'acme',
    );
    expect((await TenantScope.run('acme', () => run(new Rename(AccountId.create())))).handledIn).toBe('acme');
  });

  it('no tenant anywhere: refused unless not required; a malformed tenant is refused', async () => {
    expect((await run(new Rename(AccountId.create()))).failed[0]).toBeInstanceOf(TenantRequiredError);
    expect((await run(new Rename(AccountId.create()), new Map(), { required: false })).result).toBe(
      'handled',
    );
    expect((await run(new Rename(AccountId.create(), 'ACME; drop'))).failed[0]).toBeInstanceOf(
      InvalidTenantIdError,
    );
  });
});
