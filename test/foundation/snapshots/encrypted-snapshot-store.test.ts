import { REDACTED } from '../../../src/core/redacted';
import {
  InMemorySnapshotStore,
  SnapshotDecryptionError,
  encryptSnapshots,
  type SnapshotStore,
  type StoredSnapshot,
} from '../../../src/foundation/snapshots';
import { InMemoryKeyStore } from '../../../src/persistence';

const CANARY = 'snap-canary-12@example.org';
const snapshot = (state: unknown, aggregateId = 'c-1', version = 3): StoredSnapshot => ({
  aggregateType: 'Customer',
  aggregateId,
  version,
  schemaVersion: 1,
  state,
  takenAt: new Date('2026-01-01T00:00:00.000Z'),
});

/** A snapshot store whose stored records the test can read and change. */
class RawSnapshots implements SnapshotStore {
  readonly records = new Map<string, StoredSnapshot>();
  load(streamName: string) {
    return Promise.resolve(this.records.get(streamName));
  }
  save(streamName: string, s: StoredSnapshot) {
    this.records.set(streamName, JSON.parse(JSON.stringify(s)) as StoredSnapshot);
    return Promise.resolve();
  }
}

function setup() {
  const raw = new RawSnapshots();
  const keyStore = new InMemoryKeyStore();
  const store = encryptSnapshots(raw, { keyStore });
  return { raw, keyStore, store };
}

describe('encryptSnapshots', () => {
  it('stores only ciphertext and restores the state (Redacted values included)', async () => {
    const { raw, store } = setup();
    await store.save('customer-c-1', snapshot({ email: CANARY, name: REDACTED }));
    expect(JSON.stringify([...raw.records.values()])).not.toContain(CANARY);
    const loaded = await store.load('customer-c-1');
    expect(loaded?.state).toEqual({ email: CANARY, name: REDACTED });
    expect((loaded?.state as { name: unknown }).name).toBe(REDACTED);
    expect(loaded?.version).toBe(3);
  });

  it('a forgotten subject loads as no snapshot (the repository replays the redacted events)', async () => {
    const { store, keyStore } = setup();
    await store.save('customer-c-1', snapshot({ email: CANARY }));
    await keyStore.forget('c-1');
    expect(await store.load('customer-c-1')).toBeUndefined();
    await expect(store.save('customer-c-1', snapshot({ email: REDACTED }))).rejects.toThrow(/forgotten/);
  });

  it('tampered, moved, relabelled or unencrypted snapshots are typed errors that leak nothing', async () => {
    const { raw, store } = setup();
    await store.save('customer-c-1', snapshot({ email: CANARY }));
    const good = raw.records.get('customer-c-1')!;
    const sealed = (good.state as { $rdSealedState: Record<string, unknown> }).$rdSealedState;
    const ct = Buffer.from(sealed.ct as string, 'base64');
    ct[0] = ct[0]! ^ 1;
    const cases: [string, StoredSnapshot][] = [
      ['customer-c-1', { ...good, state: { $rdSealedState: { ...sealed, ct: ct.toString('base64') } } }],
      ['customer-c-1', { ...good, version: 2 }], // an older state relabelled as newer
      ['customer-c-1', { ...good, aggregateId: 'c-2' }],
      ['customer-c-1', { ...good, state: { $rdSealedState: { ...sealed, subject: 'c-2' } } }],
      ['customer-c-1', { ...good, state: { email: CANARY } }], // stored in clear although it has a subject
    ];
    for (const [stream, record] of cases) {
      raw.records.set(stream, record);
      const error = await store.load(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnapshotDecryptionError);
      expect(`${(error as Error).message}${JSON.stringify(error)}`).not.toContain(CANARY);
    }
    raw.records.set('customer-c-9', good); // moved to another stream
    await expect(store.load('customer-c-9')).rejects.toThrow(SnapshotDecryptionError);
  });

  it('aggregates without a subject are stored in clear, as before', async () => {
    const inner = new InMemorySnapshotStore();
    const store = encryptSnapshots(inner, { keyStore: new InMemoryKeyStore(), subjectOf: () => undefined });
    await store.save('order-1', snapshot({ total: 5 }, 'o-1'));
    expect((await inner.load('order-1'))?.state).toEqual({ total: 5 });
    expect((await store.load('order-1'))?.state).toEqual({ total: 5 });
  });
});
