import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCheckpointStore, SqliteDatabase, SqliteSnapshotStore } from '../../../src/adapters/sqlite';
import { allCheckpoint, streamCheckpoint } from '../../../src/foundation/subscriptions/checkpoint';
import type { StoredSnapshot } from '../../../src/foundation/snapshots/snapshot-store';
import { CorruptSnapshotError } from '../../../src/foundation/snapshots/snapshot.errors';

describe('SqliteCheckpointStore and SqliteSnapshotStore', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rd-sqlite-cp-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checkpoints: per model and source, replaced on save, bigint positions exact, durable across reopen', async () => {
    const file = join(dir, 'checkpoints.sqlite');
    let database = SqliteDatabase.open(file);
    let store = new SqliteCheckpointStore(database);
    expect(await store.load('m')).toEqual(new Map());
    const big = 2n ** 62n + 7n;
    await store.save('m', '$all', allCheckpoint(big));
    await store.save('m', 'stream:a', streamCheckpoint(3));
    await store.save('m', 'stream:a', streamCheckpoint(4));
    await store.save('other', '$all', allCheckpoint(1n));
    database.close();

    database = SqliteDatabase.open(file);
    store = new SqliteCheckpointStore(database);
    expect(await store.load('m')).toEqual(
      new Map([
        ['$all', { kind: 'all', position: big }],
        ['stream:a', { kind: 'stream', revision: 4 }],
      ]),
    );
    await store.delete('m');
    expect(await store.load('m')).toEqual(new Map());
    expect((await store.load('other')).size).toBe(1);
    database.close();
  });

  it('a checkpoint saved inside a write transaction rolls back with it', () => {
    const database = SqliteDatabase.open(':memory:');
    const store = new SqliteCheckpointStore(database);
    expect(() =>
      database.writeTransaction('test', () => {
        store.saveSync('m', '$all', allCheckpoint(10n));
        throw new Error('the read model failed after writing');
      }),
    ).toThrow('the read model failed');
    expect(store.loadSync('m').size).toBe(0);
    database.close();
  });

  it('a corrupt stored checkpoint is an error, never a silent restart', async () => {
    const database = SqliteDatabase.open(':memory:');
    database.connection
      .prepare('INSERT INTO rd_checkpoints (model, source_key, checkpoint, updated) VALUES (?, ?, ?, 0)')
      .run('m', '$all', '{"kind":"all","position":-1}');
    await expect(new SqliteCheckpointStore(database).load('m')).rejects.toThrow(/not a stored checkpoint/);
    database.close();
  });

  it('snapshots: the latest per stream, round-tripped exactly; a corrupt row is a typed error', async () => {
    const database = SqliteDatabase.open(':memory:');
    const store = new SqliteSnapshotStore(database);
    expect(await store.load('order-1')).toBeUndefined();
    const snapshot: StoredSnapshot = {
      aggregateType: 'Order',
      aggregateId: '1',
      version: 9,
      schemaVersion: 2,
      state: { lines: [{ sku: 'a', qty: 2 }], note: null },
      takenAt: new Date('2026-11-30T12:00:00.123Z'),
    };
    await store.save('order-1', snapshot);
    await store.save('order-1', { ...snapshot, version: 19 });
    expect(await store.load('order-1')).toEqual({ ...snapshot, version: 19 });
    database.connection.prepare('UPDATE rd_snapshots SET snapshot = \'{"version":1}\'').run();
    await expect(store.load('order-1')).rejects.toBeInstanceOf(CorruptSnapshotError);
    database.close();
  });
});
