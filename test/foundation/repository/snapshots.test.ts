import {
  InMemorySnapshotStore,
  StreamSnapshotStore,
  StreamStoreRepository,
  everyNEvents,
  type RepositoryWarning,
  type SnapshotStore,
} from '../../../src/foundation';
import { EventSerializer, InMemoryStreamStore } from '../../../src/persistence';
import { AccountId, OpenAccount, SnapshotAccount, countingStore, registry } from './fixtures';

function setup(snapshotStore?: (store: InMemoryStreamStore) => SnapshotStore) {
  const memory = new InMemoryStreamStore();
  const { store, reads } = countingStore(memory);
  const warnings: RepositoryWarning[] = [];
  const snapshots = snapshotStore?.(memory) ?? new StreamSnapshotStore(memory);
  const repository = new StreamStoreRepository({
    store,
    serializer: new EventSerializer({ registry }),
    snapshots: { store: snapshots, policy: everyNEvents(100) },
    onWarning: (w) => warnings.push(w),
  });
  return { memory, repository, reads, warnings, snapshots };
}

async function accountWith(repository: StreamStoreRepository, events: number): Promise<SnapshotAccount> {
  const id = AccountId.create();
  const account = SnapshotAccount.open(id, 'Ada', new OpenAccount(id, 'Ada'));
  await repository.save(account);
  // Save in chunks of 30 so the policy sees several saves crossing multiples of 100.
  for (let saved = 1; saved < events;) {
    const loaded = await repository.getById(SnapshotAccount, id);
    loaded.source = new OpenAccount(id, 'Ada');
    const chunk = Math.min(30, events - saved);
    for (let i = 0; i < chunk; i++) loaded.deposit(1);
    await repository.save(loaded);
    saved += chunk;
  }
  return account;
}

describe('snapshots', () => {
  it('everyNEvents fires when a save crosses a multiple of n', () => {
    const policy = everyNEvents(100);
    expect(policy.shouldSnapshot(-1, 98)).toBe(false);
    expect(policy.shouldSnapshot(98, 99)).toBe(true); // the 100th event is version 99
    expect(policy.shouldSnapshot(99, 150)).toBe(false);
    expect(policy.shouldSnapshot(150, 250)).toBe(true);
    expect(() => everyNEvents(0)).toThrow(/positive integer/);
  });

  it('a snapshot cuts the events read on load', async () => {
    const { repository, reads } = setup();
    const account = await accountWith(repository, 250); // versions 0..249, snapshot at the save crossing 199
    reads.events = 0;
    const loaded = await repository.getById(SnapshotAccount, account.id);
    expect(loaded.restoredFromSnapshot).toBe(true);
    expect(loaded.expectedVersion).toBe(249);
    expect(loaded.balance).toBe(249);
    expect(reads.events).toBeLessThan(100);
    expect(reads.events).toBeGreaterThan(0);

    const { repository: plain } = setup(() => ({ load: async () => undefined, save: async () => undefined }));
    const fresh = await accountWith(plain, 250);
    const replayed = await plain.getById(SnapshotAccount, fresh.id);
    expect(replayed.restoredFromSnapshot).toBe(false);
    expect(replayed.balance).toBe(loaded.balance);
  });

  it('an incompatible snapshot schema version is ignored and the aggregate replayed', async () => {
    const { repository, snapshots, reads } = setup((s) => new StreamSnapshotStore(s));
    const account = await accountWith(repository, 120);
    const streamName = repository.streamNameOf(SnapshotAccount, account.id);
    const stored = await snapshots.load(streamName);
    expect(stored?.schemaVersion).toBe(1);
    await snapshots.save(streamName, { ...stored!, schemaVersion: 99, state: { balance: -1, deposits: -1 } });
    reads.events = 0;
    const loaded = await repository.getById(SnapshotAccount, account.id);
    expect(loaded.restoredFromSnapshot).toBe(false);
    expect(loaded.balance).toBe(119);
    expect(reads.events).toBe(120);
  });

  it('a corrupt snapshot is reported and the aggregate replayed from events, never wrong state', async () => {
    const { repository, memory, warnings } = setup();
    const account = await accountWith(repository, 120);
    const snapshotStream = StreamSnapshotStore.snapshotStreamOf(
      repository.streamNameOf(SnapshotAccount, account.id),
    );
    await memory.appendToStream(snapshotStream, 'any', [
      { eventId: AccountId.create(), type: '$snapshot', data: '{"oops"', metadata: '{}' },
    ]);
    const loaded = await repository.getById(SnapshotAccount, account.id);
    expect(loaded.restoredFromSnapshot).toBe(false);
    expect(loaded.balance).toBe(119);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'snapshot-ignored' });
    expect(String((warnings[0]!.error as Error).message)).toMatch(/corrupt: malformed JSON/);
  });

  it('a snapshot of history that was soft-deleted since is not used', async () => {
    const { repository } = setup();
    const account = await accountWith(repository, 120); // snapshot at version 119
    const old = await repository.getById(SnapshotAccount, account.id);
    await repository.delete(old);
    const recreated = SnapshotAccount.open(account.id, 'Ada', new OpenAccount(account.id, 'Ada'));
    recreated.deposit(7);
    await repository.save(recreated); // revisions 120 and 121; no snapshot (120 events would be needed)
    const loaded = await repository.getById(SnapshotAccount, account.id);
    expect(loaded.restoredFromSnapshot).toBe(false);
    expect(loaded.expectedVersion).toBe(121);
    expect(loaded.balance).toBe(7);
  });

  it('a snapshot at the requested version is used only while its stream still exists', async () => {
    const { repository } = setup();
    const account = await accountWith(repository, 100); // snapshot at version 99, the last event
    const atSnapshot = await repository.getById(SnapshotAccount, account.id, { version: 99 });
    expect(atSnapshot.restoredFromSnapshot).toBe(true);
    expect(atSnapshot.balance).toBe(99);
    await repository.delete(atSnapshot);
    await expect(
      repository.tryGetById(SnapshotAccount, account.id, { version: 99 }),
    ).resolves.toBeUndefined();
    await expect(repository.tryGetById(SnapshotAccount, account.id)).resolves.toBeUndefined();
  });

  it('loading at a version older than the snapshot replays from events', async () => {
    const { repository } = setup();
    const account = await accountWith(repository, 150);
    const loaded = await repository.getById(SnapshotAccount, account.id, { version: 50 });
    expect(loaded.restoredFromSnapshot).toBe(false);
    expect(loaded.expectedVersion).toBe(50);
    expect(loaded.balance).toBe(50);
  });

  it('a failed snapshot write does not fail the committed save, and is reported', async () => {
    const failing: SnapshotStore = {
      load: async () => undefined,
      save: async () => {
        throw new Error('snapshot store down');
      },
    };
    const { repository, warnings } = setup(() => failing);
    const account = await accountWith(repository, 100);
    expect((await repository.getById(SnapshotAccount, account.id)).balance).toBe(99);
    expect(warnings.map((w) => w.kind)).toEqual(['snapshot-save-failed']);
  });

  it('the in-memory snapshot store returns copies', async () => {
    const store = new InMemorySnapshotStore();
    const snapshot = {
      aggregateType: 'A',
      aggregateId: 'x',
      version: 3,
      schemaVersion: 1,
      state: { n: 1 },
      takenAt: new Date(0),
    };
    await store.save('a-x', snapshot);
    const loaded = await store.load('a-x');
    expect(loaded).toEqual(snapshot);
    (loaded!.state as { n: number }).n = 2;
    expect(((await store.load('a-x'))!.state as { n: number }).n).toBe(1);
  });
});
